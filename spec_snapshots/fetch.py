"""Download ESI specs (Swagger routes and OpenAPI compatibility dates)."""

from __future__ import annotations

import json
import os
from datetime import datetime, timedelta, timezone
from typing import Any

import requests

from . import DEFAULT_API_URL, MAX_SPEC_BYTES, Snapshot, SnapshotError, describe_spec

__all__ = [
    "DEFAULT_API_URL",
    "FAKE_SPEC_HEADER",
    "SnapshotFetchError",
    "download_snapshot",
    "fetch_expected",
    "fetch_spec",
    "fetched_source",
    "openapi_url",
    "route_url",
    "today_compatibility_date",
]

TIMEOUT = (5.0, 60.0)
#: The header with which django-esi's fake ESI marks the specs it serves: such a spec
#: is never recorded as ESI's (``source.kind`` is ``"fake"``) nor kept on disk.
FAKE_SPEC_HEADER = "X-Django-Esi-Fake"


class SnapshotFetchError(SnapshotError):
    """A spec could not be downloaded; ``url`` and ``status`` (if any) say where and how."""

    def __init__(self, message: str, url: str, status: int | None = None) -> None:
        super().__init__(message)
        self.url = url
        self.status = status


def route_url(route: str, api_url: str = DEFAULT_API_URL) -> str:
    """Return the URL of the Swagger spec of ``route``."""
    return f"{api_url.rstrip('/')}/{route}/swagger.json"


def openapi_url(compatibility_date: str, api_url: str = DEFAULT_API_URL) -> str:
    """Return the URL of the OpenAPI spec of a compatibility date."""
    return f"{api_url.rstrip('/')}/meta/openapi.json?compatibility_date={compatibility_date}"


def today_compatibility_date(now: datetime | None = None) -> str:
    """Return today's compatibility date (ESI's day turns at 11:00 UTC, its downtime).

    ESI answers a date with the spec of the newest compatibility date on or
    before it, so this asks for the newest one.
    """
    now = now or datetime.now(timezone.utc)
    return (now.astimezone(timezone.utc) - timedelta(hours=11)).date().isoformat()


def _user_agent() -> str:
    from esi import __title__, __url__, __version__

    return f"{__title__}/{__version__} spec_snapshots (+{__url__})"


def _read_bounded(response: requests.Response, url: str) -> bytes:
    """Return the (inflated) body, refusing one past MAX_SPEC_BYTES without reading the rest."""
    out = bytearray()
    try:
        for chunk in response.iter_content(64 * 1024):
            out += chunk
            if len(out) > MAX_SPEC_BYTES:
                raise SnapshotError(
                    f"{url} answered a body larger than {MAX_SPEC_BYTES} bytes (MAX_SPEC_BYTES)"
                )
    finally:
        response.close()
    return bytes(out)


def fetch_spec(url: str, session: requests.Session | None = None) -> tuple[bytes, dict[str, Any]]:
    """Download the spec at ``url``; return its original bytes and its description.

    The description is :func:`~spec_snapshots.describe_spec`'s, plus
    ``served_by_fake``: True when django-esi's fake ESI answered
    (:data:`FAKE_SPEC_HEADER`).

    Raise :class:`SnapshotFetchError` naming the URL and the status (or the
    network error), and :class:`~spec_snapshots.SnapshotError` naming the URL
    when the answer is not an ESI spec.
    """
    http = session or requests.Session()
    try:
        response = http.get(url, timeout=TIMEOUT, headers={"User-Agent": _user_agent()}, stream=True)
        raw = _read_bounded(response, url)
    except requests.RequestException as exc:
        raise SnapshotFetchError(f"could not download {url}: {exc}", url) from exc
    finally:
        if session is None:
            http.close()
    if response.status_code != 200:
        text = raw[:2000].decode(response.encoding or "utf-8", "replace")
        body = " ".join(text.split())  # one line, even for an HTML error page
        body = body if len(body) <= 120 else body[:117] + "..."
        raise SnapshotFetchError(
            f"could not download {url}: HTTP {response.status_code}" + (f": {body}" if body else ""),
            url,
            response.status_code,
        )
    try:
        meta = describe_spec(json.loads(raw))
    except ValueError as exc:  # SnapshotError is a ValueError, so is a JSON error
        raise SnapshotError(f"{url} did not answer an ESI spec: {exc}") from None
    meta["served_by_fake"] = FAKE_SPEC_HEADER in response.headers
    return raw, meta


def fetched_source(url: str, meta: dict[str, Any]) -> dict[str, Any]:
    """Return the provenance of a spec downloaded from ``url``: ESI's (``live``) or a fake's."""
    if meta.get("served_by_fake"):
        return {"kind": "fake", "url": url}
    return {"kind": "live", "url": url}


def fetch_expected(
    url: str,
    session: requests.Session | None = None,
    *,
    route: str | None = None,
    compatibility_date: str | None = None,
) -> tuple[bytes, dict[str, Any]]:
    """Download the spec at ``url`` and check it is the route, or a date on or before the one, asked for."""
    raw, meta = fetch_spec(url, session)
    if route is not None and (meta["format"] != "swagger2" or meta["route"] != route):
        got = meta["route"] or meta["compatibility_date"]
        raise SnapshotError(f"{url} answered the spec of {meta['format']} {got}, not of route {route!r}")
    if compatibility_date is not None and (
        meta["format"] != "openapi3" or meta["compatibility_date"] > compatibility_date
    ):
        got = meta["route"] or meta["compatibility_date"]
        raise SnapshotError(
            f"{url} answered the spec of {meta['format']} {got}, not of compatibility date {compatibility_date}"
        )
    return raw, meta


def download_snapshot(
    url: str,
    directory: str | os.PathLike[str],
    session: requests.Session | None = None,
    *,
    route: str | None = None,
    compatibility_date: str | None = None,
) -> Snapshot:
    """Download, check, validate and store the spec at ``url``; its source is the URL."""
    from .store import import_spec

    raw, meta = fetch_expected(url, session, route=route, compatibility_date=compatibility_date)
    return import_spec(raw, directory, source=fetched_source(url, meta))
