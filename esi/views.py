"""The SSO views: start a login, receive its callback, and pick a token."""

from __future__ import annotations

import datetime
import functools
import logging
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_variables

from . import sso
from .app_settings import app_settings
from .debug import SecretsExceptionReporterFilter
from .errors import CallbackError, InvalidGrant, InvalidJWT, SSOError, SSOUnavailable
from .managers import scope_names
from .models import CallbackRedirect, Token

__all__ = ["login", "receive_callback", "select_token", "sso_redirect"]

logger = logging.getLogger(__name__)


def _hide_secrets(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Hide the view's codes and tokens on its error pages, DEBUG ones included."""

    @functools.wraps(view)
    @sensitive_variables()
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        request.exception_reporter_filter = SecretsExceptionReporterFilter()  # type: ignore[attr-defined]
        return view(request, *args, **kwargs)

    return wrapped


def _session_key(request: HttpRequest) -> str:
    """Return the session key, creating the session when there is none yet."""
    if not request.session.session_key or not request.session.exists(request.session.session_key):
        request.session.create()
    return request.session.session_key  # type: ignore[return-value]


def _local_path(url: str | None, fallback: str = "/") -> str:
    """Return ``url`` when it is a path on this site (``/...``), else ``fallback``.

    Anything else (another host, a scheme, ``//host``, a bare word that
    Django would try to reverse) goes to ``fallback``: no open redirect, no
    500 after the token is stored.
    """
    if url and url.startswith("/") and url_has_allowed_host_and_scheme(url, allowed_hosts=None):
        return url
    if url:
        logger.warning("Refused to redirect to %r: not a path on this site", url[:200])
    return fallback


@sensitive_variables()
def sso_redirect(
    request: HttpRequest, scopes: Any = None, return_to: str | None = None
) -> HttpResponseRedirect:
    """Start an SSO login for ``scopes`` and come back to ``return_to`` (a URL name or path).

    Without ``return_to`` the login comes back to the current URL. A fresh
    ``state`` (and PKCE verifier) is stored per redirect; a session has one
    login in progress at a time.
    """
    if return_to:
        try:
            url = reverse(return_to)
        except NoReverseMatch:
            url = return_to
    else:
        url = request.get_full_path()
    url = _local_path(url)
    key = _session_key(request)
    redirect_url, state, code_verifier = sso.authorization_url(sorted(scope_names(scopes)))
    CallbackRedirect.objects.filter(session_key=key).delete()
    CallbackRedirect.objects.create(session_key=key, state=state, url=url, code_verifier=code_verifier)
    logger.debug("Session %s… sent to SSO; back to %s", key[:5], url)
    return redirect(redirect_url)


@never_cache
@_hide_secrets
def login(request: HttpRequest) -> HttpResponseRedirect:
    """Start an SSO login: ``?scopes=<space-delimited>&next=<path on this site>``."""
    return sso_redirect(
        request, scopes=request.GET.get("scopes", ""), return_to=_local_path(request.GET.get("next"))
    )


@sensitive_variables()
def _complete_login(request: HttpRequest) -> CallbackRedirect:
    """Check an SSO callback, exchange its code, and store the token; raise CallbackError if forged or broken."""
    code, state = request.GET.get("code"), request.GET.get("state")
    if request.GET.get("error"):
        raise CallbackError(f"SSO returned an error: {request.GET.get('error')}")
    if not code or not state:
        raise CallbackError("callback without code or state")
    key = request.session.session_key
    callback = CallbackRedirect.objects.filter(state=state, session_key=key).first() if key else None
    if callback is None:
        known = CallbackRedirect.objects.filter(state=state).exists()
        raise CallbackError("state belongs to another session" if known else "unknown state")
    if callback.token_id:
        raise CallbackError("callback already used")
    max_age = datetime.timedelta(seconds=app_settings.ESI_CALLBACK_REDIRECT_MAX_AGE)
    if callback.created < timezone.now() - max_age:
        callback.delete()
        raise CallbackError("login took too long")
    try:
        token = Token.objects.create_from_request(request, code_verifier=callback.code_verifier or None)
    except SSOUnavailable:
        raise
    except InvalidGrant as exc:
        raise CallbackError(f"SSO refused the code: {exc}") from exc
    except InvalidJWT as exc:
        raise CallbackError(f"SSO gave an invalid access token: {exc}") from exc
    except SSOError as exc:
        raise CallbackError(f"code exchange failed: {exc}") from exc
    callback.token = token
    callback.save(update_fields=["token"])
    return callback


@never_cache
@_hide_secrets
def receive_callback(request: HttpRequest) -> HttpResponse:
    """Complete an SSO login and go back to where it started.

    A forged or broken callback (unknown state, a state of another session,
    no code, a code or JWT SSO or we refuse) gets a 400 error page and stores
    nothing; an SSO outage gets a 503 page. The reason is logged.
    """
    try:
        callback = _complete_login(request)
    except CallbackError as exc:
        logger.warning("Refused SSO callback from %s: %s", request.META.get("REMOTE_ADDR"), exc)
        return render(request, "esi/sso_error.html", {"reason": "refused"}, status=400)
    except SSOUnavailable as exc:
        logger.warning("SSO callback failed, EVE SSO unavailable: %s", exc)
        return render(request, "esi/sso_error.html", {"reason": "unavailable"}, status=503)
    logger.debug("SSO login of %r complete; back to %s", callback.token, callback.url)
    return HttpResponseRedirect(_local_path(callback.url))


def _back_url(request: HttpRequest) -> str:
    """Return the page of this site the user came from (its ``Referer``), else ``/``."""
    referer = request.headers.get("Referer", "")
    same_site = url_has_allowed_host_and_scheme(
        referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    if referer and same_site and urlsplit(referer).path != request.path:
        return referer
    return "/"


def select_token(request: HttpRequest, scopes: Any = "", new: bool = False) -> HttpResponse:
    """Render ``esi/select_token.html``: the user's tokens that carry ``scopes``.

    Each token posts ``_token=<pk>`` back to the current URL; the add button
    posts ``_add``. :func:`~esi.decorators.token_required` handles both. The page
    also gets ``back_url`` (the page the user came from on this site, else ``/``)
    and ``image_server_url`` (``ESI_IMAGE_SERVER_URL``) for the portraits.
    """
    from .decorators import tokens_required

    @tokens_required(scopes=scopes, new=new)
    def _token_list(request: HttpRequest, tokens: Any) -> HttpResponse:
        context = {
            "tokens": tokens.select_related(None).prefetch_related("scopes").order_by("character_name", "pk"),
            "scopes": sorted(scope_names(scopes)),
            "back_url": _back_url(request),
            "image_server_url": app_settings.ESI_IMAGE_SERVER_URL.rstrip("/"),
        }
        return render(request, "esi/select_token.html", context)

    return _token_list(request)
