"""The response cache: fresh ``GET 200`` responses kept in the Django cache.

Only a body of a JSON media type that parses is stored. A response is fresh for ``Cache-Control: max-age`` (else ``Expires - Date``)
minus its ``Age``. A fresh entry is served without a request. An expired entry
that has an ``ETag`` is kept ``ESI_CACHE_STALE_SECONDS`` longer so that the next
call revalidates it with ``If-None-Match``; a 304 then returns the stored body.

The key is a hash of the method, the URL with its query sorted, the headers
that select a representation (``Accept-Language``, ``X-Compatibility-Date``,
``X-Tenant``) and the caller's cache identity (:func:`esi.http.identity.identify`):
``"public"``, or the SHA-256 of the access token, so that a private response is
only ever served to the token that fetched it. The token itself is never part
of it.
"""

from __future__ import annotations

from datetime import timedelta
from email.utils import parsedate_to_datetime
from typing import Any, NamedTuple
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import requests
from requests.structures import CaseInsensitiveDict
from requests.utils import get_encoding_from_headers

from esi.app_settings import app_settings

from .store import cache_get, cache_set, hashed_key

__all__ = [
    "CachedResponse",
    "ResponseCache",
    "cache_key",
    "freshness_lifetime",
    "is_json_media_type",
    "parse_http_date",
]

#: Request headers that select a different representation of the same URL.
VARY_HEADERS = ("Accept-Language", "X-Compatibility-Date", "X-Tenant")

# Stored bodies are decoded, and a 304 must not overwrite their length.
_DROPPED_HEADERS = frozenset({"content-length", "content-encoding", "transfer-encoding", "connection"})


def cache_key(method: str, url: str, headers: Any, identity: str, alias: str = "default") -> str:
    """Return the cache key of a request for ``identity`` (``"public"`` or a token digest; no secret)."""
    parts = urlsplit(url)
    query = urlencode(sorted(parse_qsl(parts.query, keep_blank_values=True)))
    normalized = urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path, query, ""))
    fields = [method.upper(), normalized, *(str(headers.get(name, "")) for name in VARY_HEADERS), identity]
    return hashed_key(alias, "response", *fields)


def parse_http_date(value: str | None) -> float | None:
    """Return an HTTP date (``Expires``, ``Date``) as a timestamp; None when absent or garbled."""
    if not value:
        return None
    try:
        return parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def _cache_control(headers: Any) -> dict[str, str]:
    directives: dict[str, str] = {}
    for item in str(headers.get("Cache-Control", "")).split(","):
        name, _, value = item.strip().partition("=")
        if name:
            directives[name.lower()] = value.strip().strip('"')
    return directives


def freshness_lifetime(headers: Any, now: float) -> float | None:
    """Return for how many seconds a response stays fresh; ``None`` when it must not be stored.

    Never more than ``ESI_CACHE_MAX_SECONDS``. A negative, infinite or garbled
    ``max-age`` counts as 0, and so does such an ``Age``: it can only shorten a
    lifetime, never stretch it.
    """
    directives = _cache_control(headers)
    if "no-store" in directives:
        return None
    if "no-cache" in directives:
        return 0.0
    lifetime = 0.0
    if "max-age" in directives:
        lifetime = _seconds(directives["max-age"])
    else:
        expires = parse_http_date(headers.get("Expires"))
        if expires is not None:
            # Measured against the server's Date when there is one, so our clock's skew does not matter.
            date = parse_http_date(headers.get("Date"))
            lifetime = expires - (date if date is not None else now)
    lifetime = min(lifetime, float(app_settings.ESI_CACHE_MAX_SECONDS))
    return max(0.0, lifetime - _seconds(headers.get("Age")))


def _seconds(value: Any) -> float:
    """Return a delta-seconds header value (RFC 9111: a non-negative integer); anything else is 0."""
    text = str(value or "").strip()
    return float(text) if text.isdigit() else 0.0


# Not a dataclass: one compiles its methods with exec in every process that imports it (issue 13).
class CachedResponse(NamedTuple):
    """A stored response: body, headers and when it stops being fresh (an immutable named tuple)."""

    url: str
    headers: dict[str, str]
    content: bytes
    fresh_until: float

    @property
    def etag(self) -> str | None:
        """Return the stored ``ETag``."""
        return CaseInsensitiveDict(self.headers).get("ETag")

    def is_fresh(self, now: float) -> bool:
        """Return True while the response may be served without asking ESI."""
        return now < self.fresh_until

    def to_response(self, request: requests.PreparedRequest, connection: Any = None) -> requests.Response:
        """Return the stored response as a ``200`` :class:`requests.Response`."""
        response = requests.Response()
        response.status_code = 200
        response.reason = "OK"
        response.headers = CaseInsensitiveDict(self.headers)
        response._content = self.content
        response._content_consumed = True
        response.encoding = get_encoding_from_headers(response.headers)
        response.url = request.url or self.url
        response.request = request
        response.connection = connection
        response.elapsed = timedelta(0)
        response.from_cache = True  # type: ignore[attr-defined]
        return response

    def revalidated(self, not_modified: requests.Response, now: float) -> CachedResponse:
        """Return this entry refreshed by a 304's headers."""
        headers = dict(self.headers)
        headers.update(_storable_headers(not_modified.headers))
        lifetime = freshness_lifetime(not_modified.headers, now)
        fresh_until = now + (lifetime or 0.0)
        return CachedResponse(url=self.url, headers=headers, content=self.content, fresh_until=fresh_until)


def is_json_media_type(content_type: str | None) -> bool:
    """Return True for ``application/json`` (any parameters) and ``application/*+json``."""
    media = (content_type or "").split(";", 1)[0].strip().lower()
    return media == "application/json" or (media.startswith("application/") and media.endswith("+json"))


def _well_formed_json(response: requests.Response) -> bool:
    """Return True when the body is JSON that parses: only that is ever stored.

    An HTML page from a proxy or a body cut short must not be served again. The
    value decoded here is handed to the caller's first ``response.json()``, so
    the check costs no second parse.
    """
    if not is_json_media_type(response.headers.get("Content-Type")):
        return False
    try:
        decoded = response.json()
    except ValueError:  # json's, simplejson's and requests' JSONDecodeError
        return False
    parse = response.json
    pending = [decoded]

    def json(**kwargs: Any) -> Any:
        # Once only: every later call parses afresh, as requests does (callers may change the value).
        if pending and not kwargs:
            return pending.pop()
        return parse(**kwargs)

    response.json = json  # type: ignore[method-assign]
    return True


def _storable_headers(headers: Any) -> dict[str, str]:
    return {name: value for name, value in headers.items() if name.lower() not in _DROPPED_HEADERS}


class ResponseCache:
    """Read and write :class:`CachedResponse` entries in a Django cache."""

    def __init__(self, alias: str = "default") -> None:
        self.alias = alias

    def get(self, key: str) -> CachedResponse | None:
        """Return the entry under ``key``, or None (a broken cache counts as a miss)."""
        data = cache_get(self.alias, key)
        if not isinstance(data, dict):
            return None
        try:
            return CachedResponse(**data)
        except TypeError:
            return None

    def entry_for(self, response: requests.Response, now: float) -> CachedResponse | None:
        """Return what to store for a ``200`` response, or None when it may not be stored."""
        lifetime = freshness_lifetime(response.headers, now)
        if lifetime is None or not _well_formed_json(response):
            return None
        return CachedResponse(
            url=response.url,
            headers=_storable_headers(response.headers),
            content=response.content,
            fresh_until=now + lifetime,
        )

    def set(self, key: str, entry: CachedResponse, now: float) -> bool:
        """Store an entry for as long as it is fresh, plus the revalidation window when it has an ETag."""
        timeout = max(0.0, entry.fresh_until - now)
        if entry.etag:
            timeout += float(app_settings.ESI_CACHE_STALE_SECONDS)
        if timeout < 1:
            return False
        data = {
            "url": entry.url,
            "headers": entry.headers,
            "content": entry.content,
            "fresh_until": entry.fresh_until,
        }
        return cache_set(self.alias, key, data, timeout)
