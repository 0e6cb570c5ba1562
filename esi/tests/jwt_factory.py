"""EVE SSO-shaped JWTs for tests (django-esi 10.x names), signed with the fake SSO's key.

``generate_token(character_id, character_name)`` returns ``(token, claims)``;
``generate_jwk()`` the public key that verifies it, as EVE's JWKS lists it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import jwt

from esi_testing.fake.tokens import BARE_ISSUER, jwks_for, mint_access_token

__all__ = ["generate_jwk", "generate_token"]


def generate_jwk() -> dict[str, Any]:
    """Return the JWK that verifies :func:`generate_token`'s tokens."""
    return dict(jwks_for([0])["keys"][0])


def generate_token(
    character_id: int,
    character_name: str,
    issued_at: dt.datetime | None = None,
    issuer: str | None = None,
    audience: Any = None,
) -> tuple[str, dict[str, Any]]:
    """Return an access token of the character, valid 20 minutes from ``issued_at``, and its claims."""
    now = (issued_at or dt.datetime.now(dt.timezone.utc)).timestamp()
    extra: dict[str, Any] = {"scp": "esi-characters.read_medals.v1"}
    if audience is not None:
        extra["aud"] = audience
    token = mint_access_token(
        character_id,
        name=character_name,
        issuer=issuer or BARE_ISSUER,
        expires_in=1200,
        now=now,
        extra_claims=extra,
    )
    return token, jwt.decode(token, options={"verify_signature": False})
