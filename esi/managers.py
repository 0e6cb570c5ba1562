"""Managers and querysets of the token models."""

from __future__ import annotations

import datetime
import logging
from collections import Counter
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.db import models, router, transaction
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from . import signals, sso
from .app_settings import app_settings
from .errors import SSOError, SSOUnavailable, TokenError, TokenInvalidError

if TYPE_CHECKING:
    from django.http import HttpRequest

    from .models import Token

__all__ = ["CallbackRedirectManager", "TokenManager", "TokenQuerySet", "TokenQueryset", "scope_names"]

logger = logging.getLogger(__name__)

#: Tokens loaded per query by the bulk refresh paths.
BATCH_SIZE = 100
#: A bulk refresh stops after this many SSO outages in a row (the rest is kept for the next run).
MAX_CONSECUTIVE_OUTAGES = 3
#: Refresh tokens revoked per ``revoke_refresh_tokens`` task, so that one task stays short.
REVOKE_BATCH_SIZE = 20


def scope_names(scopes: Any) -> set[str]:
    """Return scope names from a list, a space-delimited string, or Scope objects.

    ``None`` and ``""`` mean no scopes. A one-item list holding a space-delimited
    string is split too, as django-esi 2.x did.
    """
    if scopes is None:
        return set()
    if isinstance(scopes, models.QuerySet):
        return {str(s) for s in scopes}
    if isinstance(scopes, str):
        return set(scopes.split())
    names: set[str] = set()
    for scope in scopes:
        names.update(str(scope).split())
    return names


class TokenQuerySet(models.QuerySet):
    """Tokens, filtered by scopes and validity."""

    def require_scopes(self, scopes: Any) -> TokenQuerySet:
        """Return the tokens that carry all ``scopes`` (list or space-delimited string).

        No scopes returns the tokens that carry none, as in django-esi 2.x.
        """
        names = scope_names(scopes)
        if not names:
            return self.filter(scopes__isnull=True)
        matching = (
            _scope_links()
            .filter(scope__name__in=names)
            .values("token_id")
            .annotate(n=models.Count("scope_id"))
            .filter(n=len(names))
            .values("token_id")
        )
        return self.filter(pk__in=matching)

    def require_scopes_exact(self, scopes: Any) -> TokenQuerySet:
        """Return the tokens that carry ``scopes`` and no other."""
        names = scope_names(scopes)
        if not names:
            return self.filter(scopes__isnull=True)
        matching = (
            _scope_links()
            .values("token_id")
            .annotate(
                total=models.Count("scope_id"),
                n=models.Count("scope_id", filter=models.Q(scope__name__in=names)),
            )
            .filter(total=len(names), n=len(names))
            .values("token_id")
        )
        return self.filter(pk__in=matching)

    def equivalent_to(self, token: Token) -> TokenQuerySet:
        """Return the other tokens of the same character, scopes, and user (or no user)."""
        return (
            self.filter(character_id=token.character_id)
            .require_scopes_exact(token.scopes.values_list("name", flat=True))
            .filter(models.Q(user=token.user) | models.Q(user__isnull=True))
            .exclude(pk=token.pk)
        )

    def get_expired(self) -> TokenQuerySet:
        """Return the tokens whose access token expired (or will within ``ESI_TOKEN_REFRESH_LEEWAY``)."""
        leeway = datetime.timedelta(seconds=app_settings.ESI_TOKEN_REFRESH_LEEWAY)
        return self.filter(expiry__lte=timezone.now() + leeway)

    def bulk_refresh(self) -> TokenQuerySet:
        """Refresh every token of the queryset; return those now usable.

        Tokens SSO refuses (``invalid_grant``, changed owner) are deleted. Tokens
        that fail for any other reason (SSO down, a timeout) are kept, left out
        of the result, and the others are still refreshed. Tokens without a
        refresh token are left out too.
        """
        counts, unusable = _refresh_pks(list(self.values_list("pk", flat=True)))
        return self.exclude(pk__in=unusable) if unusable else self.all()

    @sensitive_variables()
    def delete_and_revoke(self) -> int:
        """Delete the tokens; once that commits, revoke their refresh tokens at SSO in Celery tasks.

        Return how many tokens were deleted. No SSO call is made here: the
        refresh tokens go, :data:`REVOKE_BATCH_SIZE` per task, to
        :func:`esi.tasks.revoke_refresh_tokens` after the commit (nothing is
        revoked when the deletion rolls back).
        """
        refresh_tokens = [rt for rt in self.values_list("refresh_token", flat=True) if rt]
        _, per_model = self.delete()
        if refresh_tokens:

            def queue_revocations() -> None:
                _queue_revocations(refresh_tokens)

            # robust: a broker that is down is logged; the tokens are already deleted
            transaction.on_commit(queue_revocations, using=self.db, robust=True)
        return per_model.get(self.model._meta.label, 0)

    def require_valid(self) -> TokenQuerySet:
        """Return the tokens with a usable access token, refreshing the expired ones first."""
        stale = list(self.get_expired().values_list("pk", flat=True))
        if not stale:
            return self.all()
        counts, unusable = _refresh_pks(stale, expired_only=True)
        return self.exclude(pk__in=unusable) if unusable else self.all()


def _scope_links() -> models.QuerySet:
    """Return the rows of the token-scope link table."""
    from .models import Token

    return Token.scopes.through.objects.all()


#: The name django-esi 2.x gave the queryset.
TokenQueryset = TokenQuerySet


def _refresh_pks(pks: list[int], *, expired_only: bool = False) -> tuple[Counter[str], set[int]]:
    """Refresh the tokens ``pks`` in batches; return outcome counts and the pks not usable now.

    With ``expired_only``, a token that another worker refreshed since ``pks``
    was listed is taken as it is, without calling SSO again.
    """
    from .models import Token

    counts: Counter[str] = Counter()
    unusable: set[int] = set()
    outages = 0
    done = 0  # pks handled, in batch order
    for start in range(0, len(pks), BATCH_SIZE):
        if outages >= MAX_CONSECUTIVE_OUTAGES:
            break
        batch = pks[start : start + BATCH_SIZE]
        for token in Token.objects.filter(pk__in=batch).order_by("expiry"):
            if outages >= MAX_CONSECUTIVE_OUTAGES:
                counts["skipped"] += 1
                unusable.add(token.pk)
                continue
            outcome = _refresh_one(token, expired_only=expired_only)
            counts[outcome] += 1
            outages = outages + 1 if outcome == "unavailable" else 0
            if outcome != "refreshed":
                unusable.add(token.pk)
        done = start + len(batch)
    if outages >= MAX_CONSECUTIVE_OUTAGES:
        # the rest is neither loaded nor refreshed: counted from the pks alone
        rest = pks[done:]
        if rest:
            counts["skipped"] += len(rest)
            unusable.update(rest)
        logger.warning("EVE SSO looks down: stopped refreshing after %d failures in a row", outages)
    return counts, unusable


def _refresh_one(token: Token, *, expired_only: bool = False) -> str:
    """Refresh one token; return "refreshed", "invalid", "not_refreshable", "unavailable" or "failed".

    With ``expired_only`` a token loaded fresh (another worker refreshed it
    after it was listed) counts as refreshed without an SSO call; one loaded
    before that is adopted by :meth:`Token.refresh` under the row lock.
    """
    if expired_only and not token.expired:
        return "refreshed"
    if not token.can_refresh:
        return "not_refreshable"
    try:
        token.refresh()
    except TokenInvalidError:
        return "invalid"
    except SSOUnavailable as exc:
        logger.warning("Could not refresh %r, kept: %s", token, exc)
        return "unavailable"
    except (SSOError, TokenError) as exc:
        logger.error("Could not refresh %r, kept: %s", token, exc)
        return "failed"
    return "refreshed"


@sensitive_variables()
def _queue_revocations(refresh_tokens: list[str]) -> None:
    """Send the refresh tokens to ``revoke_refresh_tokens`` in batches; logs show only how many."""
    from .tasks import revoke_refresh_tokens

    for start in range(0, len(refresh_tokens), REVOKE_BATCH_SIZE):
        batch = refresh_tokens[start : start + REVOKE_BATCH_SIZE]
        revoke_refresh_tokens.apply_async(args=(batch,), argsrepr=f"(<{len(batch)} refresh tokens>,)")


@sensitive_variables()
def revoke_refresh_tokens(refresh_tokens: list[str]) -> tuple[dict[str, int], list[str]]:
    """Revoke refresh tokens at SSO; return the outcome counts and those to retry later.

    Those SSO was unavailable for are to retry, and after
    :data:`MAX_CONSECUTIVE_OUTAGES` outages in a row the rest is not tried.
    """
    counts: Counter[str] = Counter()
    retry: list[str] = []
    outages = 0
    for done, refresh_token in enumerate(refresh_tokens):
        if outages >= MAX_CONSECUTIVE_OUTAGES:
            logger.warning("EVE SSO looks down: %d revocations left for later", len(refresh_tokens) - done)
            return dict(counts), retry + refresh_tokens[done:]
        try:
            sso.revoke(refresh_token)
        except SSOUnavailable as exc:
            outages += 1
            counts["unavailable"] += 1
            retry.append(refresh_token)
            logger.warning("Could not revoke a refresh token, EVE SSO unavailable: %s", exc)
            continue
        except SSOError as exc:
            counts["failed"] += 1
            logger.error("EVE SSO refused to revoke a refresh token: %s", exc)
        else:
            counts["revoked"] += 1
        outages = 0
    return dict(counts), retry


class TokenManager(models.Manager.from_queryset(TokenQuerySet)):  # type: ignore[misc]
    """Create tokens from SSO logins; refresh them in bulk."""

    @sensitive_variables()
    def create_from_code(self, code: str, user: Any = None, *, code_verifier: str | None = None) -> Token:
        """Exchange an authorization code at SSO and store the token.

        An equivalent token (same character, user and exact scopes) is updated
        instead of duplicated, unless ``ESI_ALWAYS_CREATE_TOKEN``. Nothing is
        stored when the exchange or the JWT validation fails.
        """
        return self.create_from_sso_token(sso.exchange_code(code, code_verifier=code_verifier), user=user)

    @sensitive_variables()
    def create_from_request(self, request: HttpRequest, *, code_verifier: str | None = None) -> Token:
        """Store the token of an SSO callback request (``code`` in its query string)."""
        user = request.user if request.user.is_authenticated else None
        return self.create_from_code(request.GET.get("code", ""), user=user, code_verifier=code_verifier)

    @sensitive_variables()
    def create_from_sso_token(self, data: sso.SSOToken, user: Any = None) -> Token:
        """Store a validated SSO token for ``user``; send ``token_created``."""
        from .models import Scope

        with transaction.atomic(using=router.db_for_write(self.model)):
            scopes = _ensure_scopes(Scope, data.scopes)
            token = None
            if not app_settings.ESI_ALWAYS_CREATE_TOKEN:
                token = (
                    self.filter(character_id=data.character_id, user=user)
                    .require_scopes_exact(data.scopes)
                    .order_by("-pk")
                    .first()
                )
            created = token is None
            if token is None:
                token = self.model(user=user)
            token.character_id = data.character_id
            token.character_name = data.character_name
            token.character_owner_hash = data.character_owner_hash
            token.token_type = data.token_type
            token.access_token = data.access_token
            token.refresh_token = data.refresh_token or ""
            token.expiry = data.expiry
            token.save()
            if created:
                token.scopes.set(scopes)
        logger.info("%s %r for %s", "Stored" if created else "Updated", token, user or "no user")
        signals.token_created.send(sender=self.model, token=token, user=user, created=created)
        return token

    def refresh_expired(self, limit: int | None = None) -> dict[str, int]:
        """Refresh expired tokens, stalest first, in batches; return the outcome counts.

        ``limit`` caps how many are tried. Tokens SSO refuses are deleted; an
        SSO outage deletes nothing. Expired tokens without a refresh token can
        never be used again: they are deleted too, as in 2.x (``"not_refreshable"``).
        """
        no_refresh = models.Q(refresh_token__isnull=True) | models.Q(refresh_token="")
        _, deleted = self.get_expired().filter(no_refresh).delete()
        pks = list(
            self.get_expired().exclude(refresh_token="").order_by("expiry").values_list("pk", flat=True)
        )
        counts, _ = _refresh_pks(pks[:limit] if limit else pks, expired_only=True)
        if deleted.get(self.model._meta.label):
            counts["not_refreshable"] += deleted[self.model._meta.label]
        return dict(counts)

    def refresh_pk(self, pk: int) -> str:
        """Refresh the token ``pk``; return the outcome ("gone" when it no longer exists).

        Raise :class:`~esi.errors.SSOUnavailable` so that a task can retry.
        """
        token = self.filter(pk=pk).first()
        if token is None:
            return "gone"
        outcome = _refresh_one(token)
        if outcome == "unavailable":
            raise SSOUnavailable(f"EVE SSO unavailable while refreshing token {pk}")
        return outcome


def _ensure_scopes(scope_model: Any, names: Iterable[str]) -> list[Any]:
    """Return the Scope rows of ``names``, creating unknown ones with a placeholder description."""
    names = set(names)
    existing = {s.name: s for s in scope_model.objects.filter(name__in=names)}
    missing = [
        scope_model(name=n, help_text=scope_model.friendly_name_of(n).capitalize())
        for n in sorted(names - existing.keys())
    ]
    if missing:
        scope_model.objects.bulk_create(missing, ignore_conflicts=True)
        existing = {s.name: s for s in scope_model.objects.filter(name__in=names)}
    return list(existing.values())


class CallbackRedirectManager(models.Manager):
    """Pending logins."""

    def delete_stale(self, max_age: int | None = None) -> int:
        """Delete logins older than ``max_age`` seconds (``ESI_CALLBACK_REDIRECT_MAX_AGE``); return how many."""
        if max_age is None:
            max_age = app_settings.ESI_CALLBACK_REDIRECT_MAX_AGE
        cutoff = timezone.now() - datetime.timedelta(seconds=max_age)
        _, per_model = self.filter(created__lte=cutoff).delete()
        return per_model.get(self.model._meta.label, 0)
