"""The authorization-code flow: login URL, code exchange, refresh, revocation."""

from __future__ import annotations

from collections.abc import Iterable

import requests
from django.views.decorators.debug import sensitive_variables

from ..app_settings import app_settings
from ..errors import InvalidJWT, SSOError
from .claims import SSOToken, parse_token_response
from .discovery import endpoints
from .transport import oauth_session, raise_unavailable, secure_transport, sso_errors, user_agent


def uses_pkce() -> bool:
    """Return whether logins use PKCE: ``ESI_SSO_USE_PKCE``, else when there is no client secret."""
    setting = app_settings.ESI_SSO_USE_PKCE
    return not app_settings.ESI_SSO_CLIENT_SECRET if setting is None else bool(setting)


@sensitive_variables()
def authorization_url(scopes: Iterable[str], state: str | None = None) -> tuple[str, str, str]:
    """Return ``(url, state, code_verifier)`` for a login; a fresh state unless given.

    ``code_verifier`` is ``""`` when PKCE is not used; keep it for :func:`exchange_code`.
    """
    session = oauth_session(
        redirect_uri=app_settings.ESI_SSO_CALLBACK_URL,
        scope=list(scopes),
        pkce="S256" if uses_pkce() else None,
    )
    authorize = endpoints().authorize
    with secure_transport(authorize, "login"):
        url, state = session.authorization_url(authorize, state=state)
    return url, state, getattr(session, "_code_verifier", None) or ""


@sensitive_variables()
def _client_auth() -> tuple[requests.auth.AuthBase | None, dict[str, str]]:
    """Return the auth and extra body for the token endpoint (basic auth, or client_id in the body)."""
    secret = app_settings.ESI_SSO_CLIENT_SECRET
    if secret:
        return requests.auth.HTTPBasicAuth(app_settings.ESI_SSO_CLIENT_ID, secret), {}
    return None, {"client_id": app_settings.ESI_SSO_CLIENT_ID}


@sensitive_variables()
def exchange_code(code: str, code_verifier: str | None = None) -> SSOToken:
    """Exchange an authorization code for a validated token."""
    if not code:
        raise SSOError("no authorization code to exchange")
    auth, body = _client_auth()
    extra = {"code_verifier": code_verifier} if code_verifier else {}
    session = oauth_session(redirect_uri=app_settings.ESI_SSO_CALLBACK_URL)
    token_url = endpoints().token
    with secure_transport(token_url, "code exchange"), sso_errors("code exchange"):
        response = session.fetch_token(
            token_url,
            code=code,
            auth=auth,
            include_client_id=not auth,
            timeout=app_settings.ESI_SSO_TIMEOUT,
            **extra,
        )
    return parse_token_response(response)


@sensitive_variables()
def refresh(refresh_token: str) -> SSOToken:
    """Use a refresh token once and return the validated new token.

    SSO may rotate the refresh token, which kills the one sent. Whatever goes
    wrong once SSO has answered (an access token that fails validation, a
    malformed claim, a JWKS that cannot be fetched), the exception raised
    carries the rotated refresh token as ``rotated_refresh_token`` so the
    caller can keep the token alive. Raise
    :class:`~esi.errors.SSOUnavailable`, :class:`~esi.errors.InvalidGrant`,
    :class:`~esi.errors.InvalidJWT` or :class:`~esi.errors.SSOError`.
    """
    auth, body = _client_auth()
    session = oauth_session()
    token_url = endpoints().token
    with secure_transport(token_url, "token refresh"), sso_errors("token refresh"):
        response = session.refresh_token(
            token_url,
            refresh_token=refresh_token,
            auth=auth,
            timeout=app_settings.ESI_SSO_TIMEOUT,
            **body,
        )
    try:
        return parse_token_response(response)
    except Exception as exc:
        error = exc if isinstance(exc, SSOError) else InvalidJWT(f"SSO token response unreadable: {exc!r}")
        rotated = response.get("refresh_token")
        error.rotated_refresh_token = rotated if isinstance(rotated, str) and rotated else refresh_token  # type: ignore[attr-defined]
        if error is exc:
            raise
        raise error from exc


@sensitive_variables()
def revoke(refresh_token: str) -> None:
    """Revoke a refresh token at SSO."""
    auth, body = _client_auth()
    data = {"token": refresh_token, "token_type_hint": "refresh_token", **body}
    revoke_url = endpoints().revoke
    with secure_transport(revoke_url, "revoke"), sso_errors("revoke"):
        response = requests.post(
            revoke_url,
            data=data,
            auth=auth,
            timeout=app_settings.ESI_SSO_TIMEOUT,
            headers={"User-Agent": user_agent()},
        )
    raise_unavailable(response)
    if response.status_code != 200:
        raise SSOError(f"revoke: SSO answered {response.status_code}", response=response)
