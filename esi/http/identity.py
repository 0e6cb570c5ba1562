"""Who a request is made for, read from its ``Authorization`` header.

:func:`identify` returns a :class:`Caller` with two different identities:

- ``cache_identity``, what the response cache is keyed on: ``"public"`` for an
  anonymous request, else ``"token:"`` and the SHA-256 of the access token. A
  private response is only ever served back to the very token that fetched it:
  a forged JWT naming a character, another token of that character (expired,
  revoked, or without the scope) is a different digest, so it asks ESI, which
  refuses it. The token is never verified here (ESI does), and never needs to be.
- ``character``, what the error-limit and rate-limit accounting is keyed on: the
  character id of the JWT's ``sub`` claim, read without verification. It only
  ever makes django-esi send fewer requests, never serves data.

The token itself never leaves this module: neither it nor a key derived from it
alone reaches a log line (the digest only goes into hashed cache keys).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any, NamedTuple
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

__all__ = ["PUBLIC", "Caller", "identify", "redact_url", "request_character", "url_has_secret"]

#: The identity of a request without an ``Authorization`` header.
PUBLIC = "public"

_SECRET_QUERY_PARAMS = frozenset({"token", "access_token"})


# Not a dataclass: one compiles its methods with exec in every process that imports it (issue 13).
class Caller(NamedTuple):
    """Who a request is made for (an immutable named tuple)."""

    #: The key of its cached responses: ``"public"``, ``"token:<sha256>"``, or None (not cacheable).
    cache_identity: str | None
    #: The character id of an EVE token (unverified), ``"public"``, or None when unknown.
    character: str | None
    #: The token's ``exp`` claim (seconds since the epoch), when it has one.
    expires_at: float | None = None

    def expired(self, now: float) -> bool:
        """Return True when the token says it has expired by ``now``."""
        return self.expires_at is not None and self.expires_at <= now


_ANONYMOUS = Caller(PUBLIC, PUBLIC)


def identify(headers: Mapping[str, Any]) -> Caller:
    """Return who a request is made for (see the module docstring)."""
    authorization = headers.get("Authorization")
    if not authorization:
        return _ANONYMOUS
    scheme, _, token = str(authorization).partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        return Caller(None, None)
    digest = "token:" + hashlib.sha256(token.encode()).hexdigest()
    claims = _unverified_claims(token)
    if claims is None:
        return Caller(digest, None)
    # EVE SSO writes "CHARACTER:EVE:<id>".
    character = str(claims.get("sub") or "").rsplit(":", 1)[-1]
    exp = claims.get("exp")
    expires_at = float(exp) if isinstance(exp, (int, float)) and not isinstance(exp, bool) else None
    return Caller(digest, character if character.isdigit() else None, expires_at)


def _unverified_claims(token: str) -> dict[str, Any] | None:
    import jwt  # here, not at import: PyJWT pulls in cryptography, a cost to every start-up

    try:
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        return None
    return claims if isinstance(claims, dict) else None


def request_character(headers: Mapping[str, Any]) -> str | None:
    """Return the character id a request is made for, ``"public"``, or ``None`` when unknown."""
    return identify(headers).character


def url_has_secret(url: str) -> bool:
    """Return True when a URL carries a token in its query string."""
    return any(name.lower() in _SECRET_QUERY_PARAMS for name, _ in parse_qsl(urlsplit(url).query))


def redact_url(url: str) -> str:
    """Return the URL with any token in its query string replaced by ``***``."""
    parts = urlsplit(url)
    if not url_has_secret(url):
        return url
    query = [
        (name, "***" if name.lower() in _SECRET_QUERY_PARAMS else value)
        for name, value in parse_qsl(parts.query, keep_blank_values=True)
    ]
    return urlunsplit(parts._replace(query=urlencode(query)))
