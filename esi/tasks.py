"""Celery tasks of django-esi; each calls one manager method (beat schedule: see the SSO docs)."""

from __future__ import annotations

import math
from typing import Any

from celery import shared_task

from .errors import SSOUnavailable
from .models import CallbackRedirect, Token

__all__ = [
    "cleanup_callbackredirect",
    "cleanup_token",
    "cleanup_token_subset",
    "refresh_or_delete_token",
    "refresh_token",
    "revoke_refresh_tokens",
]


@shared_task
def cleanup_callbackredirect(max_age: int | None = None) -> int:
    """Delete logins older than ``max_age`` seconds (default ``ESI_CALLBACK_REDIRECT_MAX_AGE``, 300)."""
    return CallbackRedirect.objects.delete_stale(max_age)


@shared_task
def cleanup_token(limit: int | None = None) -> dict[str, int]:
    """Refresh expired tokens in batches (at most ``limit``); delete those SSO refuses.

    An SSO outage deletes nothing: the run stops early and the next one goes on.
    """
    return Token.objects.refresh_expired(limit=limit)


@shared_task(autoretry_for=(SSOUnavailable,), retry_backoff=30, retry_backoff_max=600, max_retries=5)
def refresh_token(token_pk: int) -> str:
    """Refresh one token; retried with backoff while SSO is unavailable."""
    return Token.objects.refresh_pk(token_pk)


@shared_task
def cleanup_token_subset(fraction: int = 48) -> dict[str, int]:
    """Refresh the stalest ``1/fraction`` of the expired tokens; delete those SSO refuses (10.x).

    Run it ``fraction`` times as often as ``cleanup_token`` to spread the work.
    """
    expired = (
        Token.objects.get_expired().exclude(refresh_token="").exclude(refresh_token__isnull=True).count()
    )
    return Token.objects.refresh_expired(limit=math.ceil(expired / max(1, int(fraction)))) if expired else {}


@shared_task(autoretry_for=(SSOUnavailable,), retry_backoff=30, retry_backoff_max=600, max_retries=5)
def refresh_or_delete_token(token_pk: int) -> str:
    """Refresh one token, deleting it when SSO refuses it (10.x name of ``refresh_token``)."""
    return Token.objects.refresh_pk(token_pk)


@shared_task(bind=True, max_retries=5)
def revoke_refresh_tokens(self: Any, refresh_tokens: list[str]) -> dict[str, int]:
    """Revoke refresh tokens at SSO (queued by ``Token.objects.delete_and_revoke``).

    Bounded: a batch, each call within ``ESI_SSO_TIMEOUT``, three outages in a
    row end the attempt, and what is left is retried with backoff at most
    ``max_retries`` times; the task's arguments show in logs as a count only.
    """
    from .managers import revoke_refresh_tokens as revoke

    counts, rest = revoke(refresh_tokens)
    if rest:
        raise self.retry(
            args=(rest,),
            argsrepr=f"(<{len(rest)} refresh tokens>,)",
            countdown=min(30 * 2**self.request.retries, 600),
        )
    return counts
