"""EVE SSO v2: the authorization-code flow and access-token (JWT) validation.

The OAuth2 side is requests-oauthlib's :class:`~requests_oauthlib.OAuth2Session`;
the JWT side is PyJWT. Endpoints come from the settings, or from the SSO's
metadata document (``{ESI_SSO_BASE_URL}/.well-known/oauth-authorization-server``),
so pointing ``ESI_SSO_BASE_URL`` at a fake SSO is enough.

Failures map onto :mod:`esi.errors`:

- network errors, timeouts, 429 and 5xx raise :class:`~esi.errors.SSOUnavailable`
  (nothing about the token is known, so nothing may be changed);
- ``invalid_grant`` raises :class:`~esi.errors.InvalidGrant` (the code or refresh
  token is dead);
- a JWT that fails validation raises :class:`~esi.errors.InvalidJWT`;
- any other refusal raises :class:`~esi.errors.SSOError`.

Nothing here touches the database: the models call these functions.

The package: :mod:`~esi.sso.transport` (https, or plain http to loopback only;
User-Agent; error mapping), :mod:`~esi.sso.discovery` (endpoints),
:mod:`~esi.sso.jwks` (the cached signing keys), :mod:`~esi.sso.claims` (JWT
validation, token responses) and :mod:`~esi.sso.flow` (login, code exchange,
refresh, revocation).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from .claims import EVE_AUDIENCE, EVE_ISSUERS, SSOToken, parse_token_response, validate_jwt
    from .discovery import Endpoints, endpoints
    from .flow import authorization_url, exchange_code, refresh, revoke, uses_pkce

#: Public name -> the submodule that defines it. The submodules are imported on
#: first use: claims imports PyJWT (and so cryptography), transport imports
#: requests-oauthlib, and ``esi.models`` imports this package when Django starts.
_NAMES = {
    "EVE_AUDIENCE": "claims",
    "EVE_ISSUERS": "claims",
    "SSOToken": "claims",
    "parse_token_response": "claims",
    "validate_jwt": "claims",
    "Endpoints": "discovery",
    "endpoints": "discovery",
    "authorization_url": "flow",
    "exchange_code": "flow",
    "refresh": "flow",
    "revoke": "flow",
    "uses_pkce": "flow",
}

__all__ = [
    "EVE_AUDIENCE",
    "EVE_ISSUERS",
    "Endpoints",
    "SSOToken",
    "authorization_url",
    "clear_caches",
    "endpoints",
    "exchange_code",
    "parse_token_response",
    "refresh",
    "revoke",
    "uses_pkce",
    "validate_jwt",
]


def __getattr__(name: str) -> Any:
    module = _NAMES.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value  # once: later lookups (and mock.patch) see a plain attribute
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_NAMES})


def clear_caches() -> None:
    """Forget the cached metadata document and JWKS (for tests and key rotation)."""
    from .discovery import clear_metadata
    from .jwks import clear_jwks

    clear_metadata()
    clear_jwks()
