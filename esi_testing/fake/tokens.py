"""Access tokens as EVE SSO signs them: keys, JWKS, JWTs with EVE's claims. No state.

The RSA keys are 2048-bit, generated once per process and numbered (``generation``):
key 0 has EVE's own ``kid`` (``JWT-Signature-Key``) and signs by default, so a token
minted here (:func:`mint_access_token`, used by the token factories) is accepted by every
:class:`~esi_testing.fake.sso.FakeSSO` with its default key and by the fake ESI.
:func:`verify_access_token` checks a token as ESI does.
"""

from __future__ import annotations

import base64
import hashlib
import time
import uuid
from collections.abc import Iterable
from functools import cache
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

__all__ = [
    "AUDIENCE",
    "BARE_ISSUER",
    "DEFAULT_CLIENT_ID",
    "ISSUER",
    "KID",
    "jwks_for",
    "kid_for",
    "mint_access_token",
    "owner_hash_for",
    "parse_scopes",
    "s256",
    "signing_key",
    "verify_access_token",
]

ISSUER = "https://login.eveonline.com"
BARE_ISSUER = "login.eveonline.com"
AUDIENCE = "EVE Online"
KID = "JWT-Signature-Key"
DEFAULT_CLIENT_ID = "esi-fake-client"


@cache
def signing_key(generation: int = 0) -> rsa.RSAPrivateKey:
    """Return the process's RSA key number ``generation`` (2048-bit, made once, then cached)."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def kid_for(generation: int) -> str:
    """Return the ``kid`` of key ``generation``: EVE's own name for the first one."""
    return KID if generation == 0 else f"{KID}-{generation}"


def jwks_for(generations: Iterable[int]) -> dict[str, Any]:
    """Return a JWKS document (as EVE SSO serves it) listing the given keys."""
    keys = []
    for generation in generations:
        jwk = RSAAlgorithm.to_jwk(signing_key(generation).public_key(), as_dict=True)
        keys.append({**jwk, "alg": "RS256", "kid": kid_for(generation), "use": "sig"})
    return {"keys": keys, "SkipUnresolvedJsonWebKeys": True}


def owner_hash_for(character_id: int, generation: int = 0) -> str:
    """Return a stable owner hash shaped like EVE's (28 characters of base64)."""
    digest = hashlib.sha1(f"esi-fake-owner:{character_id}:{generation}".encode()).digest()
    return base64.b64encode(digest).decode()


def parse_scopes(scopes: str | Iterable[str] | None) -> tuple[str, ...]:
    """Return scopes given as a space-delimited string or an iterable, deduplicated, in order."""
    if scopes is None:
        return ()
    items = scopes.split() if isinstance(scopes, str) else [str(s) for s in scopes]
    return tuple(dict.fromkeys(s for s in items if s))


def mint_access_token(
    character_id: int,
    scopes: str | Iterable[str] = (),
    *,
    name: str | None = None,
    owner_hash: str | None = None,
    client_id: str = DEFAULT_CLIENT_ID,
    expires_in: int = 1199,
    issuer: str = ISSUER,
    scp_as_string: bool | None = None,
    key_generation: int = 0,
    now: float | None = None,
    extra_claims: dict[str, Any] | None = None,
) -> str:
    """Return an access token JWT with EVE SSO's claims, signed with the process key.

    ``scp_as_string``: ``None`` does as EVE does (a string for one scope, a list
    otherwise); ``True`` always sends a space-delimited string, ``False`` always a list.
    ``extra_claims`` overrides or adds claims (a wrong ``aud`` or ``iss`` for a test).
    """
    scope_list = parse_scopes(scopes)
    issued = int(time.time() if now is None else now)
    kid = kid_for(key_generation)
    claims: dict[str, Any] = {
        "jti": str(uuid.uuid4()),
        "kid": kid,
        "sub": f"CHARACTER:EVE:{int(character_id)}",
        "azp": client_id,
        "tenant": "tranquility",
        "tier": "live",
        "region": "world",
        "aud": [client_id, AUDIENCE],
        "name": name if name is not None else f"Fake Character {character_id}",
        "owner": owner_hash if owner_hash is not None else owner_hash_for(character_id),
        "exp": issued + int(expires_in),
        "iat": issued,
        "iss": issuer,
    }
    if scope_list:
        as_string = len(scope_list) == 1 if scp_as_string is None else scp_as_string
        claims["scp"] = " ".join(scope_list) if as_string else list(scope_list)
    claims.update(extra_claims or {})
    return jwt.encode(claims, signing_key(key_generation), algorithm="RS256", headers={"kid": kid})


def verify_access_token(
    token: str,
    *,
    key_generations: Iterable[int] = (0,),
    client_id: str | None = None,
    leeway: float = 0,
) -> dict[str, Any]:
    """Return the claims of an access token signed by one of the given process keys.

    Checks signature, ``exp``, ``iss`` (both forms) and, when ``client_id`` is given,
    that ``aud`` holds it and ``"EVE Online"``. Raises ``jwt.InvalidTokenError``
    (``jwt.ExpiredSignatureError`` for an expired token).
    """
    header = jwt.get_unverified_header(token)
    keys = {kid_for(g): signing_key(g).public_key() for g in key_generations}
    if header.get("kid") not in keys:
        raise jwt.InvalidSignatureError(f"unknown key id {header.get('kid')!r}")
    claims: dict[str, Any] = jwt.decode(
        token,
        keys[header["kid"]],
        algorithms=["RS256"],
        audience=AUDIENCE,
        issuer=[ISSUER, BARE_ISSUER],
        leeway=leeway,
        options={"require": ["exp", "sub", "iss", "aud"]},
    )
    if client_id is not None and client_id not in claims["aud"]:
        raise jwt.InvalidAudienceError(f"audience does not hold client {client_id!r}")
    return claims


def s256(verifier: str) -> str:
    """Return the PKCE S256 code challenge of a code verifier."""
    digest = hashlib.sha256(verifier.encode("ascii", "replace")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
