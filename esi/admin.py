"""Admin of django-esi. Access tokens, refresh tokens, states and session keys are never shown."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.http import HttpRequest

from .models import CallbackRedirect, Scope, Token

__all__ = ["CallbackRedirectAdmin", "ScopeAdmin", "TokenAdmin"]


@admin.register(Scope)
class ScopeAdmin(admin.ModelAdmin):
    list_display = ("name", "friendly_name", "help_text")
    search_fields = ("name", "help_text")


@admin.register(Token)
class TokenAdmin(admin.ModelAdmin):
    """Tokens: search, filter, delete (which revokes the refresh tokens at SSO after the commit). No secrets shown."""

    list_display = (
        "character_name",
        "character_id",
        "user",
        "token_type",
        "scope_names",
        "expiry",
        "created",
    )
    list_filter = ("token_type", ("user", admin.RelatedOnlyFieldListFilter), "created", "scopes")
    search_fields = (
        "character_name",
        "=character_id",
        f"user__{get_user_model().USERNAME_FIELD}",
        "scopes__name",
    )
    date_hierarchy = "created"
    fields = (
        "character_name",
        "character_id",
        "character_owner_hash",
        "token_type",
        "user",
        "scopes",
        "created",
        "expiry",
    )
    readonly_fields = fields
    ordering = ("character_name", "pk")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Token]:
        return super().get_queryset(request).select_related("user").prefetch_related("scopes")

    @admin.display(description="Scopes")
    def scope_names(self, obj: Token) -> str:
        return ", ".join(sorted(s.name for s in obj.scopes.all()))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # tokens come from SSO logins only

    def delete_model(self, request: HttpRequest, obj: Token) -> None:
        self.delete_queryset(request, Token.objects.filter(pk=obj.pk))

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Token]) -> None:
        # SSO is called after the commit, in Celery tasks: the request never waits for it
        deleted = Token.objects.filter(pk__in=queryset.values("pk")).delete_and_revoke()
        if deleted:
            self.message_user(
                request,
                f"The refresh tokens of {deleted} deleted token(s) will be revoked at EVE SSO "
                "by a background task.",
                messages.INFO,
            )


@admin.register(CallbackRedirect)
class CallbackRedirectAdmin(admin.ModelAdmin):
    """Logins in progress. The session key and state are secrets and stay hidden."""

    list_display = ("pk", "url", "token", "created")
    list_filter = ("created",)
    fields = ("url", "token", "created")
    readonly_fields = fields
    list_select_related = ("token",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
