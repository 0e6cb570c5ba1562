"""The SSO's signing keys (JWKS), cached as long as its HTTP caching headers allow."""

from __future__ import annotations

import email.utils
import logging
import threading
import time
from datetime import datetime, timezone

import jwt
import requests

from ..errors import InvalidJWT
from .transport import get_json

logger = logging.getLogger(__name__)

#: Minimum seconds between two JWKS fetches forced by an unknown ``kid``.
JWKS_REFETCH_COOLDOWN = 60.0
#: JWKS lifetime when the response carries no caching headers.
JWKS_DEFAULT_MAX_AGE = 300.0
#: Longest we trust a JWKS, whatever its headers say.
JWKS_MAX_MAX_AGE = 86400.0


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
        data, response = get_json(url, "SSO JWKS")
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


def clear_jwks() -> None:
    """Forget the cached signing keys."""
    with _jwks._lock:
        _jwks.clear()
