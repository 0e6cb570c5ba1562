"""Access tokens: JWT validation (PyJWT, against the cached JWKS) and token responses."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import jwt
from django.views.decorators.debug import sensitive_variables

from ..app_settings import app_settings
from ..errors import InvalidJWT, SSOError
from .discovery import endpoints
from .jwks import _jwks

#: ``iss`` values EVE SSO has used in its access tokens.
EVE_ISSUERS = ("login.eveonline.com", "https://login.eveonline.com")
#: The audience every EVE SSO access token carries besides the client id.
EVE_AUDIENCE = "EVE Online"
#: An access token whose ``exp`` is further ahead than this is refused (EVE's live 20 minutes).
MAX_ACCESS_TOKEN_LIFETIME = 86400
#: Longest ``name`` and ``owner`` claims stored (the lengths of the Token columns).
MAX_NAME_LENGTH = 100
MAX_OWNER_HASH_LENGTH = 254

_SUBJECT = re.compile(r"^(CHARACTER|CORPORATION):EVE:(\d{1,18})\Z")


@dataclass(frozen=True)
class SSOToken:
    """A token response from SSO whose access token passed validation."""

    access_token: str = field(repr=False)
    refresh_token: str | None = field(repr=False)
    expiry: datetime
    character_id: int
    character_name: str
    character_owner_hash: str
    token_type: str
    scopes: tuple[str, ...]
    claims: dict[str, Any] = field(repr=False, compare=False)


@sensitive_variables()
def validate_jwt(access_token: str) -> dict[str, Any]:
    """Validate an EVE SSO access token and return its claims.

    Checks the signature against the JWKS; ``iat`` and ``nbf`` with
    ``ESI_SSO_JWT_LEEWAY`` seconds of clock skew (a server clock behind SSO's)
    and ``exp`` strictly; ``iss`` (``login.eveonline.com``, with or without
    ``https://``, or the issuer the metadata document names) and ``aud`` (the
    client id *and* ``"EVE Online"``). Raise :class:`~esi.errors.InvalidJWT`
    when any fails.
    """
    try:
        header = jwt.get_unverified_header(access_token)
    except jwt.PyJWTError as exc:
        raise InvalidJWT(f"not a JWT: {exc}") from exc
    kid = header.get("kid")
    if not kid:
        raise InvalidJWT("JWT header has no key id (kid)")
    urls = endpoints()
    key = _jwks.get(urls.jwks, kid)
    issuers = set(EVE_ISSUERS)
    if urls.issuer:
        issuers.add(urls.issuer)
    client_id = app_settings.ESI_SSO_CLIENT_ID
    try:
        # the leeway is for iat/nbf; exp is checked without it below
        claims = jwt.decode(
            access_token,
            key,
            algorithms=[key.algorithm_name],
            audience=client_id,
            issuer=issuers,
            leeway=app_settings.ESI_SSO_JWT_LEEWAY,
            options={"require": ["exp", "iss", "aud", "sub"]},
        )
    except jwt.PyJWTError as exc:
        raise InvalidJWT(f"JWT rejected: {exc.__class__.__name__}: {exc}") from exc
    audience = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
    if EVE_AUDIENCE not in audience:
        raise InvalidJWT(f"JWT audience {audience!r} lacks {EVE_AUDIENCE!r}")
    _check_exp(claims["exp"])
    return claims


def _check_exp(exp: Any) -> None:
    """Refuse an ``exp`` that is past (no leeway), not a whole number, or absurdly far ahead."""
    if isinstance(exp, bool) or not isinstance(exp, (int, float)):
        raise InvalidJWT(f"JWT exp {exp!r} is not a number")
    now = time.time()
    if exp <= now:
        raise InvalidJWT(f"JWT rejected: ExpiredSignatureError: it expired {now - exp:.0f} s ago")
    if exp > now + MAX_ACCESS_TOKEN_LIFETIME:
        raise InvalidJWT(
            f"JWT exp is {exp - now:.0f} s ahead, more than an access token lives "
            f"({MAX_ACCESS_TOKEN_LIFETIME} s)"
        )


def _scopes(claims: dict[str, Any]) -> tuple[str, ...]:
    scp = claims.get("scp", [])
    if isinstance(scp, str):  # SSO sends a bare string when there is one scope
        scp = scp.split()
    if not isinstance(scp, list) or not all(isinstance(s, str) for s in scp):
        raise InvalidJWT(f"JWT scp {scp!r} is neither a string nor a list of strings")
    return tuple(scp)


def _text_claim(claims: dict[str, Any], name: str, max_length: int) -> str:
    value = claims.get(name)
    if not isinstance(value, str) or not value:
        raise InvalidJWT(f"JWT {name} {value!r} is not a non-empty string")
    if len(value) > max_length:
        raise InvalidJWT(f"JWT {name} is {len(value)} characters long, more than {max_length}")
    return value


@sensitive_variables()
def parse_token_response(response: dict[str, Any]) -> SSOToken:
    """Validate a token endpoint response (its access token) and return what it says.

    Raise :class:`~esi.errors.InvalidJWT` for any malformed claim.
    """
    access_token = response.get("access_token")
    if not access_token or not isinstance(access_token, str):
        raise SSOError("SSO token response has no access_token")
    claims = validate_jwt(access_token)
    match = _SUBJECT.match(str(claims.get("sub", "")))
    if not match:
        raise InvalidJWT(f"JWT subject {claims.get('sub')!r} is not CHARACTER:EVE:<id>")
    refresh_token = response.get("refresh_token") or None
    if refresh_token is not None and not isinstance(refresh_token, str):
        raise SSOError("SSO token response has a refresh_token that is not a string")
    return SSOToken(
        access_token=access_token,
        refresh_token=refresh_token,
        expiry=datetime.fromtimestamp(int(claims["exp"]), tz=timezone.utc),
        character_id=int(match.group(2)),
        character_name=_text_claim(claims, "name", MAX_NAME_LENGTH),
        character_owner_hash=_text_claim(claims, "owner", MAX_OWNER_HASH_LENGTH),
        token_type=match.group(1).capitalize(),
        scopes=_scopes(claims),
        claims=claims,
    )
