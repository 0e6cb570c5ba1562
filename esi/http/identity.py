"""Who a request is made for, read from its ``Authorization`` header.

The token itself never leaves this module: callers get the character id from
the JWT's ``sub`` claim (decoded without verification; ESI checks the
signature, we only need a key), ``"public"`` for an anonymous request, or
``None`` when a request carries credentials we cannot attribute.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

__all__ = ["PUBLIC", "redact_url", "request_character", "url_has_secret"]

#: The identity of a request without an ``Authorization`` header.
PUBLIC = "public"

_SECRET_QUERY_PARAMS = frozenset({"token", "access_token"})


def request_character(headers: Mapping[str, Any]) -> str | None:
    """Return the character id a request is made for, ``"public"``, or ``None`` when unknown."""
    authorization = headers.get("Authorization")
    if not authorization:
        return PUBLIC
    scheme, _, token = str(authorization).partition(" ")
    if scheme.lower() != "bearer" or not token:
        return None
    import jwt  # here, not at import: PyJWT pulls in cryptography, a cost to every start-up

    try:
        claims = jwt.decode(token.strip(), options={"verify_signature": False})
    except jwt.PyJWTError:
        return None
    # EVE SSO writes "CHARACTER:EVE:<id>".
    sub = str(claims.get("sub") or "")
    character = sub.rsplit(":", 1)[-1]
    return character if character.isdigit() else None


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
