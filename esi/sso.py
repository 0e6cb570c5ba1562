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
"""

from __future__ import annotations

import contextvars
import email.utils
import ipaddress
import logging
import re
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urlsplit

import jwt
import requests
import requests_oauthlib.oauth2_session
from django.views.decorators.debug import sensitive_variables
from oauthlib.oauth2 import InvalidGrantError, OAuth2Error
from oauthlib.oauth2.rfc6749 import parameters as oauthlib_parameters
from requests_oauthlib import OAuth2Session

from . import __url__, __version__
from .app_settings import app_settings
from .errors import InvalidGrant, InvalidJWT, SSOError, SSOUnavailable

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

logger = logging.getLogger(__name__)

#: ``iss`` values EVE SSO has used in its access tokens.
EVE_ISSUERS = ("login.eveonline.com", "https://login.eveonline.com")
#: The audience every EVE SSO access token carries besides the client id.
EVE_AUDIENCE = "EVE Online"
METADATA_PATH = "/.well-known/oauth-authorization-server"
#: Minimum seconds between two JWKS fetches forced by an unknown ``kid``.
JWKS_REFETCH_COOLDOWN = 60.0
#: JWKS lifetime when the response carries no caching headers.
JWKS_DEFAULT_MAX_AGE = 300.0
#: Longest we trust a JWKS, whatever its headers say.
JWKS_MAX_MAX_AGE = 86400.0

#: An access token whose ``exp`` is further ahead than this is refused (EVE's live 20 minutes).
MAX_ACCESS_TOKEN_LIFETIME = 86400
#: Longest ``name`` and ``owner`` claims stored (the lengths of the Token columns).
MAX_NAME_LENGTH = 100
MAX_OWNER_HASH_LENGTH = 254

_SUBJECT = re.compile(r"^(CHARACTER|CORPORATION):EVE:(\d{1,18})\Z")


@dataclass(frozen=True)
class Endpoints:
    """The URLs of one SSO."""

    authorize: str
    token: str
    revoke: str
    jwks: str
    issuer: str | None = None


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


# --- Transport: https, or plain http to loopback ----------------------------

#: True while django-esi itself talks to a loopback SSO (this thread or task only).
_loopback_call: contextvars.ContextVar[bool] = contextvars.ContextVar("esi_sso_loopback_call", default=False)


def _is_loopback_http(url: str) -> bool:
    """Return True for a plain ``http://`` URL to localhost, 127.0.0.0/8 or ::1."""
    parts = urlsplit(url)
    # no userinfo or backslash: parsers disagree on where the host of such URLs is
    if parts.scheme.lower() != "http" or "@" in parts.netloc or "\\" in url:
        return False
    host = parts.hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@contextmanager
def _transport(url: str, what: str) -> Iterator[None]:
    """Refuse any SSO URL but https, or plain http to loopback (a fake SSO on this machine).

    oauthlib refuses plain http unless ``OAUTHLIB_INSECURE_TRANSPORT`` is set,
    for the whole process. Instead, its check is answered "secure" for
    loopback http URLs only, and only inside this block: other hosts, other
    threads and other users of oauthlib keep the check as it is.
    """
    if not url.lower().startswith("https://") and not _is_loopback_http(url):
        raise SSOError(f"{what}: {url} is not https; plain http is allowed only to a loopback SSO")
    reset = _loopback_call.set(True)
    try:
        yield
    finally:
        _loopback_call.reset(reset)


def _install_loopback_check() -> None:
    """Wrap oauthlib's ``is_secure_transport`` where requests-oauthlib and oauthlib look it up."""
    for module in (requests_oauthlib.oauth2_session, oauthlib_parameters):
        original = module.is_secure_transport
        if getattr(original, "esi_loopback", False):
            continue

        def is_secure_transport(uri: str, _original: Any = original) -> bool:
            return bool(_original(uri)) or (_loopback_call.get() and _is_loopback_http(uri))

        is_secure_transport.esi_loopback = True  # type: ignore[attr-defined]
        module.is_secure_transport = is_secure_transport


_install_loopback_check()


# --- HTTP helpers ----------------------------------------------------------


def _user_agent() -> str:
    contact = app_settings.ESI_USER_CONTACT_EMAIL
    return f"django-esi/{__version__} (+{__url__}{'; ' + contact if contact else ''})"


def _session(**kwargs: Any) -> OAuth2Session:
    session = OAuth2Session(app_settings.ESI_SSO_CLIENT_ID, **kwargs)
    session.headers["User-Agent"] = _user_agent()
    # oauthlib parses any body it gets; a 5xx page must not read as a refusal.
    session.register_compliance_hook("access_token_response", _raise_unavailable)
    session.register_compliance_hook("refresh_token_response", _raise_unavailable)
    return session


def _raise_unavailable(response: requests.Response) -> requests.Response:
    if response.status_code >= 500 or response.status_code == 429:
        raise SSOUnavailable(f"EVE SSO answered {response.status_code} on {response.url}", response=response)
    return response


@contextmanager
def _sso_errors(what: str) -> Iterator[None]:
    """Turn requests/oauthlib exceptions into the :mod:`esi.errors` tree."""
    try:
        yield
    except SSOError:
        raise
    except (requests.ConnectionError, requests.Timeout) as exc:
        raise SSOUnavailable(f"{what}: EVE SSO unreachable ({exc.__class__.__name__}: {exc})") from exc
    except InvalidGrantError as exc:
        raise InvalidGrant(f"{what}: invalid_grant ({exc.description})") from exc
    except OAuth2Error as exc:
        raise SSOError(f"{what}: {exc.error} ({exc.description})") from exc
    except requests.RequestException as exc:
        raise SSOUnavailable(f"{what}: {exc}") from exc


def _get_json(url: str, what: str) -> tuple[dict[str, Any], requests.Response]:
    with _transport(url, what), _sso_errors(what):
        response = requests.get(
            url, timeout=app_settings.ESI_SSO_TIMEOUT, headers={"User-Agent": _user_agent()}
        )
    _raise_unavailable(response)
    if response.status_code != 200:
        raise SSOError(f"{what}: {url} answered {response.status_code}", response=response)
    try:
        data = response.json()
    except ValueError as exc:
        raise SSOError(f"{what}: {url} did not answer JSON", response=response) from exc
    if not isinstance(data, dict):
        raise SSOError(f"{what}: {url} did not answer a JSON object", response=response)
    return data, response


# --- Endpoints -------------------------------------------------------------

_metadata_lock = threading.Lock()
_metadata: dict[str, tuple[float, dict[str, Any]]] = {}


def _metadata_document() -> dict[str, Any]:
    base = app_settings.ESI_SSO_BASE_URL.rstrip("/")
    with _metadata_lock:
        cached = _metadata.get(base)
        if cached and cached[0] > time.monotonic():
            return cached[1]
        data, _ = _get_json(base + METADATA_PATH, "SSO metadata")
        _metadata[base] = (time.monotonic() + app_settings.ESI_SSO_METADATA_CACHE_SECONDS, data)
        return data


def endpoints() -> Endpoints:
    """Return the SSO endpoints: each from its setting, else from the metadata document."""
    configured = {
        "authorize": app_settings.ESI_SSO_AUTHORIZE_URL,
        "token": app_settings.ESI_SSO_TOKEN_URL,
        "revoke": app_settings.ESI_SSO_REVOKE_URL,
        "jwks": app_settings.ESI_SSO_JWKS_URL,
    }
    issuer = None
    if not all(configured.values()):
        meta = _metadata_document()
        keys = {
            "authorize": "authorization_endpoint",
            "token": "token_endpoint",
            "revoke": "revocation_endpoint",
            "jwks": "jwks_uri",
        }
        for name, key in keys.items():
            if not configured[name]:
                if not meta.get(key):
                    raise SSOError(f"SSO metadata has no {key!r}; set ESI_SSO_{name.upper()}_URL")
                configured[name] = meta[key]
        issuer = meta.get("issuer")
    return Endpoints(issuer=issuer, **configured)


# --- JWKS ------------------------------------------------------------------


def _max_age(response: requests.Response) -> float:
    """Return how long a response may be cached, from Cache-Control or Expires."""
    cache_control = response.headers.get("Cache-Control", "")
    directives = {
        d.strip().split("=", 1)[0].lower(): d.strip() for d in cache_control.split(",") if d.strip()
    }
    if "no-store" in directives or "no-cache" in directives:
        return 0.0
    if "max-age" in directives:
        try:
            return min(float(directives["max-age"].split("=", 1)[1].strip('"')), JWKS_MAX_MAX_AGE)
        except (IndexError, ValueError):
            pass
    expires = response.headers.get("Expires")
    if expires:
        try:
            when = email.utils.parsedate_to_datetime(expires)
        except (TypeError, ValueError):
            return 0.0  # an invalid Expires means "already expired" (RFC 9111 5.3)
        if when.tzinfo is None:
            when = when.replace(tzinfo=timezone.utc)
        return max(0.0, min((when - datetime.now(timezone.utc)).total_seconds(), JWKS_MAX_MAX_AGE))
    return JWKS_DEFAULT_MAX_AGE


class _JWKSCache:
    """The signing keys, kept as long as the JWKS response allows.

    An unknown ``kid`` (SSO rotated its keys) fetches the set again at once,
    but at most every :data:`JWKS_REFETCH_COOLDOWN` seconds, so tokens with
    made-up key ids cannot make us hammer SSO.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.clear()

    def clear(self) -> None:
        self._url: str | None = None
        self._keys: dict[str, jwt.PyJWK] = {}
        self._expires = 0.0
        self._last_forced = float("-inf")

    def _fetch(self, url: str) -> None:
        data, response = _get_json(url, "SSO JWKS")
        keys = {}
        for entry in data.get("keys", []):
            try:
                key = jwt.PyJWK.from_dict(entry)
            except jwt.PyJWTError as exc:  # one odd key must not hide the others
                logger.warning("Ignoring a JWKS key SSO served: %s", exc)
                continue
            if key.key_id:
                keys[key.key_id] = key
        self._url, self._keys = url, keys
        self._expires = time.monotonic() + _max_age(response)

    def get(self, url: str, kid: str) -> jwt.PyJWK:
        with self._lock:
            now = time.monotonic()
            if url != self._url or now >= self._expires:
                self._fetch(url)
            if kid not in self._keys and now - self._last_forced >= JWKS_REFETCH_COOLDOWN:
                self._last_forced = now
                logger.info("Unknown JWT key id %r: fetching the JWKS again", kid)
                self._fetch(url)
            try:
                return self._keys[kid]
            except KeyError:
                raise InvalidJWT(f"JWT signed with unknown key id {kid!r}") from None


_jwks = _JWKSCache()


def clear_caches() -> None:
    """Forget the cached metadata document and JWKS (for tests and key rotation)."""
    with _metadata_lock:
        _metadata.clear()
    with _jwks._lock:
        _jwks.clear()


# --- JWT -------------------------------------------------------------------


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


# --- The OAuth2 flow -------------------------------------------------------


def uses_pkce() -> bool:
    """Return whether logins use PKCE: ``ESI_SSO_USE_PKCE``, else when there is no client secret."""
    setting = app_settings.ESI_SSO_USE_PKCE
    return not app_settings.ESI_SSO_CLIENT_SECRET if setting is None else bool(setting)


@sensitive_variables()
def authorization_url(scopes: Iterable[str], state: str | None = None) -> tuple[str, str, str]:
    """Return ``(url, state, code_verifier)`` for a login; a fresh state unless given.

    ``code_verifier`` is ``""`` when PKCE is not used; keep it for :func:`exchange_code`.
    """
    session = _session(
        redirect_uri=app_settings.ESI_SSO_CALLBACK_URL,
        scope=list(scopes),
        pkce="S256" if uses_pkce() else None,
    )
    authorize = endpoints().authorize
    with _transport(authorize, "login"):
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
    session = _session(redirect_uri=app_settings.ESI_SSO_CALLBACK_URL)
    token_url = endpoints().token
    with _transport(token_url, "code exchange"), _sso_errors("code exchange"):
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
    session = _session()
    token_url = endpoints().token
    with _transport(token_url, "token refresh"), _sso_errors("token refresh"):
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
    with _transport(revoke_url, "revoke"), _sso_errors("revoke"):
        response = requests.post(
            revoke_url,
            data=data,
            auth=auth,
            timeout=app_settings.ESI_SSO_TIMEOUT,
            headers={"User-Agent": _user_agent()},
        )
    _raise_unavailable(response)
    if response.status_code != 200:
        raise SSOError(f"revoke: SSO answered {response.status_code}", response=response)
