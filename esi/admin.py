"""Admin of django-esi. Access tokens, refresh tokens, states and session keys are never shown."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.http import HttpRequest

from .errors import SSOError
from .models import CallbackRedirect, Scope, Token

__all__ = ["CallbackRedirectAdmin", "ScopeAdmin", "TokenAdmin"]


@admin.register(Scope)
class ScopeAdmin(admin.ModelAdmin):
    list_display = ("name", "friendly_name", "help_text")
    search_fields = ("name", "help_text")


@admin.register(Token)
class TokenAdmin(admin.ModelAdmin):
    """Tokens: search, filter, delete (which revokes the refresh token at SSO). No secrets shown."""

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

    def _revoke(self, request: HttpRequest, token: Token) -> None:
        try:
            token.revoke()
        except SSOError as exc:
            self.message_user(
                request,
                f"Could not revoke the refresh token of {token.character_name} at EVE SSO ({exc}); "
                "the token was deleted here, the character can revoke it on the EVE website.",
                messages.WARNING,
            )

    def delete_model(self, request: HttpRequest, obj: Token) -> None:
        self._revoke(request, obj)
        super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Token]) -> None:
        for token in queryset:
            self._revoke(request, token)
        super().delete_queryset(request, queryset)


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
