"""Find the spec of a Swagger route: a real snapshot, else fetched once, else derived.

``resolve(route, offline=...)`` is what the client calls for ``version='v4'``
or ``Character='v3'``:

1. a real (not derived) snapshot of the route in any snapshot directory wins
   (the newest ``info.version``);
2. else, unless ``offline``, ``{api_url}{route}/swagger.json`` is downloaded
   once and kept as a snapshot: in the first user snapshot directory, or, when
   none is configured, in the per-user cache directory (then searched too);
   a spec that django-esi's fake ESI served is kept nowhere and recorded as
   ``"kind": "fake"``;
3. else (offline, or the download failed) it is derived from the newest real
   ``latest`` through each operation's ``x-alternate-versions`` (kept in
   memory, marked derived) and a :class:`SpecDerivedWarning` says why and how
   to get the real one.

``_latest`` is never derived; ``latest@0.8.4`` or a snapshot key pins one
snapshot (:func:`spec_snapshots.pinned`).
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import warnings
from collections.abc import Iterable
from pathlib import Path

import requests

from . import (
    _ROUTE_RE,
    DEFAULT_API_URL,
    Snapshot,
    SnapshotNotFound,
    _configured_dirs,
    _dirs_text,
    newest,
    pinned,
)

# .derive, .fetch and .store are imported where a route is derived, fetched or kept:
# a client of a real snapshot (the bundled latest) needs none of them.

__all__ = [
    "SpecDerivedWarning",
    "cache_root",
    "default_cache_dir",
    "derive_snapshot",
    "resolve",
    "search_dirs",
]

PathLike = str | os.PathLike[str]

_lock = threading.Lock()
_fetch_lock = threading.Lock()
_derived: dict[tuple[str, str], Snapshot] = {}
# Fetched specs when the disk cache is off (ESI_SPEC_CACHE_DIR = False): kept for the process.
_fetched: dict[tuple[str, str], Snapshot] = {}


class SpecDerivedWarning(UserWarning):
    """A route's spec was derived from ``latest`` because no real snapshot was reachable."""


def cache_root(cache_dir: PathLike | None | bool = None) -> Path | None:
    """Return django-esi's cache directory (prepared specs, fetched route specs), or None when off.

    ``cache_dir`` has the meaning of the setting ``ESI_SPEC_CACHE_DIR``: a path
    is used as it is, ``False`` turns the disk cache off (None), ``None``
    reads that setting when Django settings are configured, then the
    ``ESI_SPEC_CACHE_DIR`` environment variable, else
    ``$XDG_CACHE_HOME/django-esi`` (``~/.cache/django-esi``).
    """
    if cache_dir is None:
        try:
            from django.conf import settings

            if settings.configured:
                cache_dir = getattr(settings, "ESI_SPEC_CACHE_DIR", None)
        except ImportError:  # pragma: no cover - Django is a dependency
            pass
    if cache_dir is None:
        cache_dir = os.environ.get("ESI_SPEC_CACHE_DIR") or None
    if cache_dir is False:
        return None
    if cache_dir is None or cache_dir is True:
        base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
        return Path(base).expanduser() / "django-esi"
    return Path(cache_dir).expanduser()


def default_cache_dir(cache_dir: PathLike | None | bool = None) -> Path | None:
    """Return the directory where fetched route specs are kept when no user directory is set.

    It is the ``snapshots`` folder of :func:`cache_root` (None when the disk
    cache is off: fetched specs then stay in memory).
    """
    root = cache_root(cache_dir)
    return root / "snapshots" if root is not None else None


def _user_dirs(dirs: Iterable[PathLike] | None) -> list[Path]:
    return [Path(d).expanduser().resolve() for d in dirs] if dirs is not None else _configured_dirs()


def search_dirs(
    dirs: Iterable[PathLike] | None = None, cache_dir: PathLike | None | bool = None
) -> list[Path]:
    """Return the user directories, plus the cache directory when no user directory is set.

    ``cache_dir`` is read as :func:`default_cache_dir` reads it.
    The bundled directory is added by the loader after these.
    """
    user = _user_dirs(dirs)
    if user:
        return user
    cache = default_cache_dir(cache_dir)
    return [cache.resolve()] if cache is not None else []


def _made_by_a_fake(snap: Snapshot) -> bool:
    """Return True for a spec from django-esi's fake ESI, which a client of ESI must never use.

    Older django-esi test runs kept the derived specs a fake served in the user's
    cache, recorded as ``live``: their content still says they were derived.
    """
    if snap.source.get("kind") == "fake":
        return True
    if snap.bundled or snap.derived or snap.source.get("kind") != "live":
        return False
    if "x-django-esi-derived" not in snap.load():
        return False
    warnings.warn(
        f"Ignoring {snap.path}: recorded as downloaded from ESI, but it is a spec a django-esi fake "
        "derived (kept by a test run of an older django-esi). Delete it.",
        SpecDerivedWarning,
        stacklevel=4,
    )
    return True


def _newest_real(route: str, dirs: list[Path]) -> Snapshot | None:
    try:
        return newest(route, dirs, real_only=True, exclude=_made_by_a_fake)
    except SnapshotNotFound:
        return None


def derive_snapshot(latest: Snapshot, route: str) -> Snapshot:
    """Return the in-memory snapshot of ``route`` derived from the snapshot ``latest``.

    The result is cached per process (by route and the source's sha256).
    """
    key = (route, latest.sha256)
    with _lock:
        snap = _derived.get(key)
    if snap is not None:
        return snap
    from .derive import derive_route

    spec = derive_route(latest.load(), route)
    raw = json.dumps(spec, separators=(",", ":")).encode()
    snap = Snapshot(
        key=f"swagger2/{route}/{latest.version}-derived",
        format="swagger2",
        version=latest.version,
        path=Path(f"<{route} derived from {latest.key}>"),
        sha256=hashlib.sha256(raw).hexdigest(),
        route=route,
        source={
            "kind": "derived",
            "from": latest.key,
            "from_sha256": latest.sha256,
            "method": "x-alternate-versions",
        },
        retrieved=None,
        derived=True,
        data=raw,
    )
    with _lock:
        return _derived.setdefault(key, snap)


def _fetch(route: str, target: Path | None, api_url: str, session: requests.Session | None) -> Snapshot:
    from .fetch import fetch_expected, fetched_source, route_url
    from .store import write_snapshot

    url = route_url(route, api_url)
    raw, meta = fetch_expected(url, session, route=route)
    source = fetched_source(url, meta)
    if target is not None and source["kind"] == "live":
        return write_snapshot(raw, target, source=source)
    digest = hashlib.sha256(raw).hexdigest()
    return Snapshot(
        key=f"swagger2/{route}/{meta['version']}",
        format="swagger2",
        version=meta["version"],
        path=Path(f"<{url}>"),
        sha256=digest,
        route=route,
        source=source,
        data=raw,
    )


def resolve(
    route: str,
    *,
    offline: bool,
    dirs: Iterable[PathLike] | None = None,
    api_url: str = DEFAULT_API_URL,
    session: requests.Session | None = None,
    cache_dir: PathLike | None | bool = None,
) -> Snapshot:
    """Return the snapshot of a Swagger ``route`` (``latest``, ``legacy``, ``dev``, ``vN``, ``_latest``).

    A real snapshot in ``dirs`` (default: the configured snapshot directories),
    the cache directory or the bundled one wins. Else, unless ``offline``,
    download the route's spec once from ``api_url`` and keep it; else (or when
    the download fails) derive it from the newest real ``latest`` and warn with
    :class:`SpecDerivedWarning`. ``_latest`` (no basePath, the version in every
    path) cannot be derived. ``route`` may also pin one snapshot,
    ``latest@0.8.4`` or a snapshot key (see :func:`~spec_snapshots.pinned`).
    ``cache_dir`` is django-esi's cache directory, read like the setting
    ``ESI_SPEC_CACHE_DIR`` (see :func:`default_cache_dir`): fetched specs go
    to its ``snapshots`` folder when no user snapshot directory is set.

    Raise :class:`~spec_snapshots.SnapshotNotFound` when nothing is found and
    nothing can be derived (the message says why the download failed, if it did).
    """
    searched = search_dirs(dirs, cache_dir)
    chosen = pinned(route, searched) if "@" in route or "/" in route else None
    if chosen is not None:
        if chosen.format != "swagger2" or chosen.route in (None, "meta"):
            raise ValueError(f"{route!r} is {chosen.format} {chosen.label}, not a Swagger route spec")
        return chosen
    if not _ROUTE_RE.match(route) or route == "meta":
        raise ValueError(
            f"route must be latest, legacy, dev, vN (v1, v2, ...), _latest or a pinned route@version, not {route!r}"
        )
    found = _newest_real(route, searched)
    if found is not None:
        return found
    why = "offline"
    if not offline:
        from .fetch import SnapshotFetchError

        target = searched[0] if searched else None
        fetch_key = (route, api_url)
        with _fetch_lock:
            # Another thread may have fetched it while this one waited.
            found = _newest_real(route, searched)
            if found is not None:
                return found
            if target is None and fetch_key in _fetched:
                return _fetched[fetch_key]
            try:
                fetched = _fetch(route, target, api_url, session)
            except SnapshotFetchError as exc:
                why = f"the download failed ({exc})"
            else:
                if target is None and fetched.source["kind"] == "live":  # a fake's spec is never kept
                    _fetched[fetch_key] = fetched
                return fetched
    if route == "_latest":
        raise SnapshotNotFound(
            f"no '_latest' snapshot in {_dirs_text(searched)}"
            + ("" if why == "offline" else f" ({why})")
            + ": _latest cannot be derived; import a copy of ESI's /_latest/swagger.json with "
            "`python -m spec_snapshots import FILE --dir DIR` (DIR in ESI_SPEC_SNAPSHOT_DIRS)"
        )
    latest = _newest_real("latest", searched)
    if latest is None:
        raise SnapshotNotFound(
            f"no snapshot of route {route!r} and no 'latest' to derive it from in {_dirs_text(searched)}"
            + ("" if why == "offline" else f"; {why}")
        )
    from .derive import iter_operations

    snap = derive_snapshot(latest, route)
    n_ops = sum(1 for _ in iter_operations(snap.load()))
    warnings.warn(
        f"No real spec of ESI route {route!r} in {_dirs_text(searched)}"
        + ("" if why == "offline" else f" and {why}")
        + f": using one derived offline from latest {latest.version} ({latest.key}) through "
        f"x-alternate-versions, {n_ops} operations. "
        f"Operations that {route} serves in an older implementation than latest are missing. "
        f"Get the real spec with `python -m spec_snapshots update --route {route}`"
        + (" (or set ESI_SPEC_OFFLINE = False to download it once)." if why == "offline" else "."),
        SpecDerivedWarning,
        stacklevel=2,
    )
    return snap
