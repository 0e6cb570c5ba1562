"""The fake EVE SSO's state: keys, clients, characters, codes, tokens, faults, journal. No HTTP.

:class:`FakeSSO` holds everything EVE SSO v2 knows and does; ``sso_app.SSOApp`` serves it
over WSGI. Tests and factories use it directly too::

    sso = FakeSSO()
    tokens = sso.issue_tokens(90000001, ["esi-skills.read_skills.v1"])
    claims = sso.verify(tokens["access_token"])        # what ESI would accept

Behaviour, as EVE SSO does it: access tokens are JWTs with EVE's claims
(:mod:`esi_testing.fake.tokens`); refresh tokens rotate (the old one is dead once used:
``invalid_grant``), and die when revoked or when their character is sold; errors are
:class:`OAuthError` with EVE's body and status; faults (:meth:`FakeSSO.inject_fault`)
answer a 5xx, ``invalid_grant``, a dropped connection or a timeout for the next N calls
or a fraction of them; every call lands in :attr:`FakeSSO.journal`;
:meth:`FakeSSO.reset` forgets all but the registrations made at construction. State
changes hold a lock: the server mode answers from several threads.
"""

from __future__ import annotations

import random
import secrets
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import jwt

from esi_testing.fake.tokens import (
    BARE_ISSUER,
    DEFAULT_CLIENT_ID,
    ISSUER,
    jwks_for,
    kid_for,
    mint_access_token,
    owner_hash_for,
    parse_scopes,
    s256,
    verify_access_token,
)

__all__ = [
    "BARE_ISSUER",
    "DEFAULT_CHARACTER",
    "DEFAULT_CLIENT_ID",
    "DEFAULT_CLIENT_SECRET",
    "DEFAULT_PUBLIC_CLIENT_ID",
    "ENDPOINTS",
    "ISSUER",
    "Character",
    "Client",
    "Fault",
    "FakeSSO",
    "OAuthError",
    "SSOCall",
    "mint_access_token",
    "owner_hash_for",
    "parse_scopes",
    "verify_access_token",
]

DEFAULT_CLIENT_SECRET = "esi-fake-client-secret"
DEFAULT_PUBLIC_CLIENT_ID = "esi-fake-public-client"
ENDPOINTS = ("metadata", "jwks", "authorize", "token", "revoke")
CODE_LIFETIME = 300
JOURNAL_SIZE = 10_000
FAULT_KINDS = ("invalid_grant", "drop", "timeout")
FAULT_STATUSES = (429, 500, 502, 503, 504)


class OAuthError(Exception):
    """An OAuth2 error as EVE SSO answers it: ``error``, ``error_description``, HTTP status."""

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(f"{error}: {description}")
        self.error = error
        self.description = description
        self.status = status

    def body(self) -> dict[str, str]:
        """Return the JSON body EVE SSO sends."""
        return {"error": self.error, "error_description": self.description}


@dataclass(frozen=True)
class Client:
    """A registered application. No secret: a public client, which must use PKCE."""

    client_id: str
    client_secret: str | None = None
    redirect_uris: tuple[str, ...] | None = None  # None: any redirect URI is accepted

    def allows_redirect(self, redirect_uri: str) -> bool:
        """Return True when the application registered this callback URL."""
        return self.redirect_uris is None or redirect_uri in self.redirect_uris


@dataclass(frozen=True)
class Character:
    """A character that can log in: id, name and the owner hash of its account."""

    character_id: int
    name: str
    owner_hash: str


#: The default data pack's first character (esi_testing/data/characters.json).
DEFAULT_CHARACTER = Character(90000001, "Ada Quickfoot", owner_hash_for(90000001))


@dataclass
class Fault:
    """A fault answered instead of the real thing: ``kind`` is a status or a name in FAULT_KINDS."""

    kind: int | str
    endpoint: str | None = "token"  # None: every endpoint
    times: int | None = 1  # None: until cleared
    fraction: float | None = None  # of matching calls, drawn from a seeded generator
    seconds: float = 30.0  # how long "timeout" holds the connection in server mode


@dataclass(frozen=True)
class SSOCall:
    """One request the fake SSO answered (or refused)."""

    endpoint: str
    method: str
    status: int | str  # HTTP status, or "drop" / "timeout"
    client_id: str | None = None
    grant_type: str | None = None
    error: str | None = None
    at: float = field(default_factory=time.time)


@dataclass
class _Grant:
    """A live authorization: the current refresh token of one login."""

    client_id: str
    character: Character
    scopes: tuple[str, ...]
    public: bool  # issued through PKCE without a secret


@dataclass
class _Code:
    client_id: str
    redirect_uri: str
    character: Character
    scopes: tuple[str, ...]
    code_challenge: str | None
    expires: float


class FakeSSO:
    """EVE SSO v2's state and rules, without HTTP."""

    def __init__(
        self,
        *,
        issuer: str = ISSUER,
        characters: Iterable[Character] = (DEFAULT_CHARACTER,),
        clients: Iterable[Client] | None = None,
        seed: int = 0,
        jwks_max_age: int = 300,
    ) -> None:
        if issuer not in (ISSUER, BARE_ISSUER):
            raise ValueError(f"issuer must be {ISSUER!r} or {BARE_ISSUER!r}, not {issuer!r}")
        self.issuer = issuer
        self.jwks_max_age = jwks_max_age
        self._seed = seed
        self._lock = threading.RLock()
        self._initial_characters = tuple(characters)
        self._initial_clients = tuple(
            clients
            if clients is not None
            else (Client(DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET), Client(DEFAULT_PUBLIC_CLIENT_ID))
        )
        self.reset()

    # --- registrations ---------------------------------------------------------

    def reset(self) -> None:
        """Forget tokens, codes, faults, journal and later registrations; keep the first key."""
        with self._lock:
            self.clients: dict[str, Client] = {c.client_id: c for c in self._initial_clients}
            self.characters: dict[int, Character] = {c.character_id: c for c in self._initial_characters}
            self.key_generations: list[int] = [0]
            self.journal: list[SSOCall] = []
            self.faults: list[Fault] = []
            self.revoked_jtis: set[str] = set()
            self._codes: dict[str, _Code] = {}
            self._grants: dict[str, _Grant] = {}
            self._random = random.Random(self._seed)
            self._consent_character: int | None = None
            self._consent_scopes: tuple[str, ...] | None = None
            self.auto_consent = False

    def add_client(
        self, client_id: str, client_secret: str | None = None, redirect_uris: Iterable[str] | None = None
    ) -> Client:
        """Register an application (no secret: a public client that must use PKCE)."""
        client = Client(client_id, client_secret, tuple(redirect_uris) if redirect_uris is not None else None)
        with self._lock:
            self.clients[client_id] = client
        return client

    def add_character(self, character_id: int, name: str, owner_hash: str | None = None) -> Character:
        """Register a character that can log in (owner hash derived from the id by default)."""
        character = Character(int(character_id), name, owner_hash or owner_hash_for(int(character_id)))
        with self._lock:
            self.characters[character.character_id] = character
        return character

    def transfer_character(self, character_id: int) -> Character:
        """Sell a character: give it a new owner hash; its old grants die."""
        with self._lock:
            old = self.character(character_id)
            generation = 1
            while owner_hash_for(old.character_id, generation) == old.owner_hash:
                generation += 1
            new = Character(old.character_id, old.name, owner_hash_for(old.character_id, generation))
            self.characters[new.character_id] = new
            for token, grant in list(self._grants.items()):
                if grant.character.character_id == new.character_id:
                    self._kill(token)
            return new

    def character(self, character_id: int) -> Character:
        """Return a registered character, or a new one made up for an unknown id."""
        with self._lock:
            if int(character_id) not in self.characters:
                self.add_character(int(character_id), f"Fake Character {character_id}")
            return self.characters[int(character_id)]

    def set_consent(
        self,
        character_id: int | None = None,
        scopes: str | Iterable[str] | None = None,
        *,
        auto: bool | None = None,
    ) -> None:
        """Choose who logs in at the authorize step and which scopes they grant.

        ``scopes=None`` grants the scopes asked for. ``auto=True`` skips the consent
        page: the authorize URL redirects at once to the callback with a code.
        """
        with self._lock:
            self._consent_character = character_id
            self._consent_scopes = None if scopes is None else parse_scopes(scopes)
            if auto is not None:
                self.auto_consent = auto

    def consent_character(self) -> Character:
        """Return the character the authorize step logs in."""
        with self._lock:
            if self._consent_character is not None:
                return self.character(self._consent_character)
            return next(iter(self.characters.values()), DEFAULT_CHARACTER)

    def rotate_key(self, *, keep_old: bool = True) -> str:
        """Sign with a new key from now on; the JWKS keeps the old one unless told not to."""
        with self._lock:
            new = max(self.key_generations) + 1
            self.key_generations = [*self.key_generations, new] if keep_old else [new]
            return kid_for(new)

    # --- faults and journal ----------------------------------------------------

    def inject_fault(
        self,
        kind: int | str,
        *,
        endpoint: str | None = "token",
        times: int | None = 1,
        fraction: float | None = None,
        seconds: float = 30.0,
    ) -> Fault:
        """Answer the next ``times`` calls (``None``: all) of ``endpoint`` with a fault.

        ``kind``: 429 (with ``Retry-After``), 500, 502, 503, 504, ``"invalid_grant"``, ``"drop"`` (connection closed)
        or ``"timeout"`` (nothing sent for ``seconds``). With ``fraction``, each matching
        call faults with that probability (seeded, so a run repeats).
        """
        if kind not in FAULT_STATUSES and kind not in FAULT_KINDS:
            raise ValueError(f"fault kind must be one of {FAULT_STATUSES + FAULT_KINDS}, not {kind!r}")
        if endpoint is not None and endpoint not in ENDPOINTS:
            raise ValueError(f"endpoint must be one of {ENDPOINTS} or None, not {endpoint!r}")
        if fraction is not None and not 0 < fraction <= 1:
            raise ValueError(f"fraction must be in (0, 1], not {fraction!r}")
        if times is not None and times < 1:
            raise ValueError(f"times must be at least 1 or None, not {times!r}")
        fault = Fault(kind, endpoint, times, fraction, seconds)
        with self._lock:
            self.faults.append(fault)
        return fault

    def clear_faults(self) -> None:
        """Remove every injected fault."""
        with self._lock:
            self.faults.clear()

    def take_fault(self, endpoint: str) -> Fault | None:
        """Return the fault to answer this call of ``endpoint`` with, using it up."""
        with self._lock:
            for fault in list(self.faults):
                if fault.endpoint not in (None, endpoint):
                    continue
                if fault.fraction is not None and self._random.random() >= fault.fraction:
                    continue
                if fault.times is not None:
                    fault.times -= 1
                    if fault.times <= 0:
                        self.faults.remove(fault)
                return fault
            return None

    def record(self, call: SSOCall) -> None:
        """Append a call to the journal (the newest JOURNAL_SIZE calls are kept)."""
        with self._lock:
            self.journal.append(call)
            if len(self.journal) > JOURNAL_SIZE:
                del self.journal[: len(self.journal) - JOURNAL_SIZE]

    def clear_journal(self) -> None:
        """Forget the calls made so far."""
        with self._lock:
            self.journal.clear()

    def calls(self, endpoint: str | None = None, *, grant_type: str | None = None) -> list[SSOCall]:
        """Return the journal's calls, optionally of one endpoint and grant type."""
        with self._lock:
            return [
                c
                for c in self.journal
                if (endpoint is None or c.endpoint == endpoint)
                and (grant_type is None or c.grant_type == grant_type)
            ]

    # --- tokens ------------------------------------------------------------------

    def jwks(self) -> dict[str, Any]:
        """Return the JWKS document listing the keys in use."""
        with self._lock:
            return jwks_for(self.key_generations)

    def issue_tokens(
        self,
        character_id: int,
        scopes: str | Iterable[str] = (),
        *,
        expires_in: int = 1199,
        client_id: str = DEFAULT_CLIENT_ID,
        owner_hash: str | None = None,
        scp_as_string: bool | None = None,
        public: bool = False,
    ) -> dict[str, Any]:
        """Return a token response (access_token, refresh_token, expires_in, token_type).

        The refresh token is live: it can be refreshed and revoked as one from a login.
        """
        character = self.character(character_id)
        if owner_hash is not None and owner_hash != character.owner_hash:
            character = Character(character.character_id, character.name, owner_hash)
        scope_list = parse_scopes(scopes)
        refresh_token = secrets.token_urlsafe(18)
        with self._lock:
            self._grants[refresh_token] = _Grant(client_id, character, scope_list, public)
            generation = self.key_generations[-1]
        access_token = mint_access_token(
            character.character_id,
            scope_list,
            name=character.name,
            owner_hash=character.owner_hash,
            client_id=client_id,
            expires_in=expires_in,
            issuer=self.issuer,
            scp_as_string=scp_as_string,
            key_generation=generation,
        )
        return {
            "access_token": access_token,
            "expires_in": int(expires_in),
            "token_type": "Bearer",
            "refresh_token": refresh_token,
        }

    def verify(self, access_token: str, *, client_id: str | None = None) -> dict[str, Any]:
        """Return an access token's claims if this SSO signed it and it is unexpired and unrevoked."""
        with self._lock:
            generations = tuple(self.key_generations)
        claims = verify_access_token(access_token, key_generations=generations, client_id=client_id)
        if claims.get("jti") in self.revoked_jtis:
            raise jwt.InvalidTokenError("the access token was revoked")
        return claims

    def is_live(self, refresh_token: str) -> bool:
        """Return True when a refresh token can still be used."""
        with self._lock:
            return refresh_token in self._grants

    # --- the OAuth2 steps ----------------------------------------------------------

    def authorize(
        self,
        *,
        client_id: str,
        redirect_uri: str,
        scopes: str | Iterable[str] = (),
        code_challenge: str | None = None,
        code_challenge_method: str | None = None,
        character_id: int | None = None,
    ) -> str:
        """Log in a character (the consent choice by default) and return an authorization code."""
        client = self.clients.get(client_id)
        if client is None:
            raise OAuthError("invalid_client", f"Unknown client_id {client_id!r}", 401)
        if not redirect_uri or not client.allows_redirect(redirect_uri):
            raise OAuthError("invalid_request", f"redirect_uri {redirect_uri!r} is not registered")
        if code_challenge is not None and code_challenge_method != "S256":
            raise OAuthError("invalid_request", "code_challenge_method must be S256")
        if client.client_secret is None and code_challenge is None:
            raise OAuthError("invalid_request", "a client without secret must send a code_challenge")
        with self._lock:
            character = self.character(character_id) if character_id else self.consent_character()
            granted = self._consent_scopes if self._consent_scopes is not None else parse_scopes(scopes)
            now = time.time()
            for stale in [c for c, pending in self._codes.items() if pending.expires < now]:
                del self._codes[stale]
            code = secrets.token_urlsafe(16)
            self._codes[code] = _Code(
                client_id, redirect_uri, character, granted, code_challenge, now + CODE_LIFETIME
            )
        return code

    def exchange_code(
        self,
        code: str,
        *,
        client_id: str | None,
        client_secret: str | None = None,
        code_verifier: str | None = None,
        redirect_uri: str | None = None,
    ) -> dict[str, Any]:
        """Redeem an authorization code once (grant_type=authorization_code)."""
        client = self._authenticate(client_id, client_secret, pkce=code_verifier is not None)
        with self._lock:
            pending = self._codes.pop(code, None)
        if pending is None or pending.expires < time.time() or pending.client_id != client.client_id:
            raise OAuthError("invalid_grant", "Authorization code not found or expired")
        if redirect_uri is not None and redirect_uri != pending.redirect_uri:
            raise OAuthError("invalid_grant", "redirect_uri does not match the authorization request")
        if pending.code_challenge is not None or code_verifier is not None:
            if pending.code_challenge is None:
                raise OAuthError("invalid_grant", "code_verifier sent for a code issued without PKCE")
            if code_verifier is None or s256(code_verifier) != pending.code_challenge:
                raise OAuthError("invalid_grant", "code_verifier does not match the code_challenge")
        character = pending.character
        return self.issue_tokens(
            character.character_id,
            pending.scopes,
            client_id=client.client_id,
            owner_hash=character.owner_hash,
            public=client_secret is None,
        )

    def refresh(
        self,
        refresh_token: str,
        *,
        client_id: str | None,
        client_secret: str | None = None,
        scopes: str | Iterable[str] | None = None,
    ) -> dict[str, Any]:
        """Trade a refresh token for new tokens; the old refresh token dies (rotation)."""
        client = self._authenticate(client_id, client_secret, pkce=True)
        with self._lock:
            grant = self._grants.get(refresh_token)
            if grant is None or grant.client_id != client.client_id:
                raise OAuthError("invalid_grant", "Invalid refresh token. Character grant missing/expired.")
            if client_secret is None and not grant.public:
                raise OAuthError("invalid_client", "Client authentication failed", 401)
            wanted = grant.scopes if scopes is None else parse_scopes(scopes)
            if not set(wanted) <= set(grant.scopes):
                raise OAuthError("invalid_scope", "Requested scopes exceed the granted scopes")
            self._kill(refresh_token)
        return self.issue_tokens(
            grant.character.character_id,
            wanted,
            client_id=client.client_id,
            owner_hash=grant.character.owner_hash,
            public=grant.public,
        )

    def revoke(
        self,
        token: str,
        *,
        client_id: str | None,
        client_secret: str | None = None,
        token_type_hint: str | None = None,
    ) -> None:
        """Revoke a refresh token (it dies) or an access token (its jti is refused); unknown: no-op."""
        self._authenticate(client_id, client_secret, pkce=True)
        with self._lock:
            if token in self._grants:
                self._kill(token)
                return
        if token_type_hint != "refresh_token" and token.count(".") == 2:
            try:
                claims = jwt.decode(token, options={"verify_signature": False})
            except jwt.InvalidTokenError:
                return
            with self._lock:
                self.revoked_jtis.add(str(claims.get("jti")))

    def _kill(self, refresh_token: str) -> None:
        self._grants.pop(refresh_token, None)

    def _authenticate(self, client_id: str | None, client_secret: str | None, *, pkce: bool) -> Client:
        """Return the calling client, or raise ``invalid_client`` (401) as EVE SSO does."""
        client = self.clients.get(client_id or "")
        if client is None:
            raise OAuthError("invalid_client", f"Unknown client_id {client_id!r}", 401)
        if client_secret is not None:
            if client.client_secret is None or not secrets.compare_digest(
                client_secret, client.client_secret
            ):
                raise OAuthError("invalid_client", "Client authentication failed", 401)
        elif not pkce:
            raise OAuthError("invalid_client", "Client authentication failed: no secret and no PKCE", 401)
        return client
