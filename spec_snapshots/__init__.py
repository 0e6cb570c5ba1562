"""Versioned ESI specs that ship with django-esi, and the user's own.

A *snapshot* is one ESI spec with its provenance: a Swagger 2.0 spec of a route
(``latest``, ``legacy``, ``dev``, ``v1`` to ``v6``) or an OpenAPI 3.x spec of a
compatibility date. Snapshots live in *snapshot directories*:

* the bundled one (this package), described by its ``manifest.json``;
* the user's directories (setting ``ESI_SPEC_SNAPSHOT_DIRS``, or the
  ``ESI_SPEC_SNAPSHOT_DIRS`` environment variable outside Django), searched
  first. A directory with a ``manifest.json`` is read like the bundled one; a
  directory of plain spec files (``*.json`` or ``*.json.gz``) works too: format,
  route or date, and version are read from each spec itself.

Public API::

    import spec_snapshots
    spec_snapshots.list_snapshots()                     # every snapshot found
    spec_snapshots.get(route="latest")                  # newest for a route
    spec_snapshots.get(compatibility_date="2025-12-16")
    spec_snapshots.get(compatibility_date="newest")
    spec_snapshots.pinned("latest@0.8.4")              # an older latest, by info.version
    spec_snapshots.resolve("v3", offline=True)         # real, else fetched once, else derived
    snapshot.load()        # the spec as a dict
    snapshot.read_bytes()  # the original bytes (sha256 matches the manifest)

This package does not need Django; when Django settings are configured they
give the extra directories.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import threading
import zlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from .fetch import SnapshotFetchError

__all__ = [
    "BUNDLED_DIR",
    "FORMATS",
    "MANIFEST_NAME",
    "MAX_SPEC_BYTES",
    "Snapshot",
    "SnapshotError",
    "SnapshotFetchError",
    "SnapshotNotFound",
    "SpecDerivedWarning",
    "describe_spec",
    "get",
    "is_compatibility_date",
    "list_snapshots",
    "manifest",
    "newest",
    "path_inside",
    "pinned",
    "read_spec_bytes",
    "resolve",
    "snapshot_dirs",
]

BUNDLED_DIR = Path(__file__).resolve().parent
MANIFEST_NAME = "manifest.json"
FORMATS = ("swagger2", "openapi3")
#: The largest spec read, inflated, in bytes (64 MiB). ESI's largest spec is about
#: 2.5 MB; a file or a download past this bound (a gzip bomb) is refused unread.
MAX_SPEC_BYTES = 64 * 1024 * 1024
#: Where ESI serves its specs (``spec_snapshots.fetch`` downloads from there).
DEFAULT_API_URL = "https://esi.evetech.net/"

# Anchored with \A and \Z (``$`` accepts a trailing newline), ASCII digits only: each
# of these becomes a path component.
_DATE_RE = re.compile(r"\A[0-9]{4}-[0-9]{2}-[0-9]{2}\Z")
_ROUTE_RE = re.compile(r"\A(latest|legacy|dev|_latest|meta|v[0-9]{1,3})\Z")
_VERSION_RE = re.compile(r"\A[0-9A-Za-z][0-9A-Za-z._+-]{0,63}\Z")
_GZIP_CHUNK = 1024 * 1024


class SnapshotError(ValueError):
    """A spec or a snapshot directory is not what it claims to be."""


class SnapshotNotFound(LookupError):
    """No snapshot matches the route or compatibility date asked for."""


@dataclass(frozen=True)
class Snapshot:
    """One ESI spec on disk with its provenance (a manifest entry)."""

    key: str
    format: str
    version: str
    path: Path
    sha256: str
    route: str | None = None
    compatibility_date: str | None = None
    source: dict[str, Any] = field(default_factory=dict, compare=False)
    retrieved: str | None = None
    derived: bool = False
    directory: Path | None = None
    bundled: bool = False
    #: The spec's bytes when it lives only in memory (a derived spec); ``path`` is then a label.
    data: bytes | None = field(default=None, compare=False, repr=False)

    @property
    def label(self) -> str:
        """Return the route or the compatibility date."""
        return self.route or self.compatibility_date or self.key

    def read_bytes(self) -> bytes:
        """Return the original bytes of the spec (decompressed)."""
        if self.data is not None:
            return self.data
        return read_spec_bytes(self.path)

    def load(self) -> dict[str, Any]:
        """Return the spec as a dict (parsed once per process and snapshot)."""
        return _load_cached(self.path, self.sha256, self.data)

    def manifest_entry(self) -> dict[str, Any]:
        """Return this snapshot as a manifest entry."""
        entry: dict[str, Any] = {
            "key": self.key,
            "format": self.format,
            "route": self.route,
            "compatibility_date": self.compatibility_date,
            "version": self.version,
            "file": self.path.name if self.directory is None else str(self.path.relative_to(self.directory)),
            "sha256": self.sha256,
            "source": self.source,
            "retrieved": self.retrieved,
            "derived": self.derived,
        }
        return entry


_parse_lock = threading.Lock()
_parsed: dict[tuple[str, str], dict[str, Any]] = {}


def _load_cached(path: Path, sha256: str, data: bytes | None = None) -> dict[str, Any]:
    key = (str(path), sha256)
    spec = _parsed.get(key)
    if spec is None:
        with _parse_lock:
            spec = _parsed.get(key)
            if spec is None:
                spec = json.loads(data if data is not None else read_spec_bytes(path))
                _parsed[key] = spec
    return spec


def is_compatibility_date(value: Any) -> bool:
    """Return True when ``value`` is a real date written ``YYYY-MM-DD``."""
    if not isinstance(value, str) or not _DATE_RE.match(value):
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


def read_spec_bytes(path: str | os.PathLike[str], limit: int = MAX_SPEC_BYTES) -> bytes:
    """Return the bytes of a spec file, inflated when it ends in ``.gz``.

    Raise :class:`SnapshotError` with the reason when the file is larger than
    ``limit`` bytes, inflates past it (a gzip bomb), or is not a complete gzip
    file; :class:`OSError` when it cannot be read.
    """
    path = Path(path)
    with path.open("rb") as f:
        if not path.name.endswith(".gz"):
            data = f.read(limit + 1)
            if len(data) > limit:
                raise SnapshotError(f"{path} is larger than {limit} bytes (MAX_SPEC_BYTES): refused")
            return data
        return _inflate(f, limit, str(path))


def _inflate(f: Any, limit: int, where: str) -> bytes:
    """Inflate every gzip member of ``f``, never holding more than ``limit`` bytes."""
    out = bytearray()
    inflater = zlib.decompressobj(wbits=31)
    data = f.read(_GZIP_CHUNK)
    try:
        while data:
            # max_length: a bomb stops one byte past the bound, however far it would inflate.
            out += inflater.decompress(data, limit + 1 - len(out))
            if len(out) > limit:
                raise SnapshotError(f"{where} inflates past {limit} bytes (MAX_SPEC_BYTES): refused")
            if inflater.eof:  # the next gzip member, if any, starts in unused_data
                data = inflater.unused_data or f.read(_GZIP_CHUNK)
                if not data:
                    return bytes(out)
                inflater = zlib.decompressobj(wbits=31)
            else:
                data = inflater.unconsumed_tail or f.read(_GZIP_CHUNK)
    except zlib.error as exc:
        raise SnapshotError(f"{where} is not a complete gzip file: {exc}") from None
    raise SnapshotError(f"{where} is not a complete gzip file (it ends early)")


def path_inside(directory: Path, relative: str | os.PathLike[str]) -> Path:
    """Return ``directory / relative`` resolved; raise :class:`SnapshotError` when it is outside ``directory``."""
    base = Path(directory).resolve()
    target = (base / relative).resolve()
    if not target.is_relative_to(base):
        raise SnapshotError(
            f"{relative!s} resolves to {target}, outside the snapshot directory {base}: refused"
        )
    return target


def describe_spec(spec: Any) -> dict[str, Any]:
    """Return format, route or compatibility date, and version of an ESI spec.

    Raise :class:`SnapshotError` naming what is wrong when ``spec`` is not a
    Swagger 2.0 or OpenAPI 3.x ESI spec.
    """
    if not isinstance(spec, dict):
        raise SnapshotError(f"not a spec: the document is a {type(spec).__name__}, not an object")
    if "swagger" not in spec and "openapi" not in spec:
        raise SnapshotError("not a spec: neither a 'swagger' nor an 'openapi' field")
    info = spec.get("info")
    if not isinstance(info, dict) or "version" not in info:
        raise SnapshotError("not a spec: it has no info.version")
    if not isinstance(spec.get("paths"), dict) or not spec["paths"]:
        raise SnapshotError("not a spec: it has no paths")
    version = str(info["version"])
    if str(spec.get("swagger", "")) == "2.0":
        if not _VERSION_RE.match(version):
            raise SnapshotError(
                f"not an ESI spec: info.version {version!r} is not a version "
                "(1 to 64 letters, digits, '.', '_', '+' or '-', starting with a letter or digit)"
            )
        base = (spec.get("basePath") or "").strip("/")
        if base == "":
            # The meta spec has paths like /versions/; "_latest" has /v1/... in every path.
            first = next(iter(spec["paths"]))
            route = "_latest" if re.match(r"^/v\d+/", first) else "meta"
        else:
            route = base
        if not _ROUTE_RE.match(route):
            raise SnapshotError(f"not an ESI Swagger spec: unknown basePath {spec.get('basePath')!r}")
        return {"format": "swagger2", "route": route, "compatibility_date": None, "version": version}
    openapi = str(spec.get("openapi", ""))
    if openapi.startswith("3."):
        if not is_compatibility_date(version):
            raise SnapshotError(
                f"not an ESI OpenAPI spec: info.version {version!r} is not a compatibility date (a real date, YYYY-MM-DD)"
            )
        return {"format": "openapi3", "route": None, "compatibility_date": version, "version": version}
    if "swagger" in spec:
        raise SnapshotError(f"unsupported Swagger version {spec['swagger']!r} (only 2.0)")
    raise SnapshotError(f"unsupported OpenAPI version {openapi!r} (only 3.x)")


# --- directories -------------------------------------------------------------


def _configured_dirs() -> list[Path]:
    dirs: Sequence[str | os.PathLike[str]] = ()
    try:
        from django.conf import settings

        if settings.configured:
            dirs = getattr(settings, "ESI_SPEC_SNAPSHOT_DIRS", ()) or ()
    except ImportError:  # pragma: no cover - Django is a dependency
        pass
    if not dirs:
        env = os.environ.get("ESI_SPEC_SNAPSHOT_DIRS", "")
        dirs = [d for d in env.split(os.pathsep) if d]
    if isinstance(dirs, (str, os.PathLike)):
        dirs = [dirs]
    return [Path(d).expanduser().resolve() for d in dirs]


def snapshot_dirs(extra: Iterable[str | os.PathLike[str]] | None = None) -> list[Path]:
    """Return the snapshot directories in search order: the user's, then the bundled one."""
    user = [Path(d).expanduser().resolve() for d in extra] if extra is not None else _configured_dirs()
    out: list[Path] = []
    for d in [*user, BUNDLED_DIR]:
        if d not in out:
            out.append(d)
    return out


def manifest(directory: str | os.PathLike[str] | None = None) -> dict[str, Any]:
    """Return the manifest of a snapshot directory (the bundled one by default)."""
    path = Path(directory or BUNDLED_DIR) / MANIFEST_NAME
    if not path.exists():
        return {"snapshots": []}
    return json.loads(path.read_text("utf-8"))


_scan_lock = threading.Lock()
_plain_cache: dict[tuple[str, int, int], Snapshot | None] = {}


def _from_entry(entry: dict[str, Any], directory: Path) -> Snapshot:
    try:
        path = path_inside(directory, entry["file"])
    except SnapshotError as exc:
        raise SnapshotError(f"{directory / MANIFEST_NAME}: entry {entry.get('key')!r}: {exc}") from None
    return Snapshot(
        key=entry["key"],
        format=entry["format"],
        version=str(entry["version"]),
        path=path,
        sha256=entry["sha256"],
        route=entry.get("route"),
        compatibility_date=entry.get("compatibility_date"),
        source=entry.get("source") or {},
        retrieved=entry.get("retrieved"),
        derived=bool(entry.get("derived", False)),
        directory=directory,
        bundled=directory == BUNDLED_DIR,
    )


def _plain_file(path: Path, directory: Path) -> Snapshot | None:
    st = path.stat()
    cache_key = (str(path), st.st_mtime_ns, st.st_size)
    with _scan_lock:
        if cache_key in _plain_cache:
            return _plain_cache[cache_key]
    raw = read_spec_bytes(path)  # a bomb is refused, not skipped
    try:
        spec = json.loads(raw)
        meta = describe_spec(spec)
    except (ValueError, SnapshotError):
        snap = None
    else:
        sha = hashlib.sha256(raw).hexdigest()
        snap = Snapshot(
            key=f"{meta['format']}/{meta['route'] or meta['compatibility_date']}/{meta['version']}/{path.name}",
            format=meta["format"],
            version=meta["version"],
            path=path,
            sha256=sha,
            route=meta["route"],
            compatibility_date=meta["compatibility_date"],
            source={"file": str(path)},
            directory=directory,
        )
        with _parse_lock:
            _parsed[(str(path), sha)] = spec
    with _scan_lock:
        _plain_cache[cache_key] = snap
    return snap


def _scan(directory: Path) -> list[Snapshot]:
    if not directory.is_dir():
        return []
    out = [_from_entry(e, directory) for e in manifest(directory)["snapshots"]]
    # Plain spec files beside a manifest still count: writing the first snapshot
    # into a directory of plain files must not hide them.
    for path in sorted(directory.iterdir()):
        if path.name == MANIFEST_NAME:
            continue
        if path.is_file() and (path.name.endswith(".json") or path.name.endswith(".json.gz")):
            snap = _plain_file(path, directory)
            if snap is not None:
                out.append(snap)
    return out


def list_snapshots(dirs: Iterable[str | os.PathLike[str]] | None = None) -> list[Snapshot]:
    """Return every snapshot in the snapshot directories, in search order."""
    out: list[Snapshot] = []
    for d in snapshot_dirs(dirs):
        out.extend(_scan(d))
    return out


def _version_key(version: str) -> tuple[Any, ...]:
    parts = re.split(r"[.\-]", version)
    return tuple((0, int(p)) if p.isdigit() else (1, p) for p in parts)


def newest(
    route: str,
    dirs: Iterable[str | os.PathLike[str]] | None = None,
    *,
    real_only: bool = False,
    exclude: Callable[[Snapshot], bool] | None = None,
) -> Snapshot:
    """Return the snapshot of ``route`` with the highest ``info.version``.

    Real snapshots win over derived ones (``real_only`` leaves derived ones
    out, ``exclude`` the snapshots for which it returns True); between equal
    versions the earlier directory (the user's before the bundled one) wins.
    """
    candidates = [
        s
        for s in list_snapshots(dirs)
        if s.format == "swagger2"
        and s.route == route
        and not (real_only and s.derived)
        and not (exclude is not None and exclude(s))
    ]
    if not candidates:
        raise SnapshotNotFound(f"no snapshot of route {route!r} in {_dirs_text(dirs)}")
    order = {id(s): i for i, s in enumerate(candidates)}
    return max(candidates, key=lambda s: (not s.derived, _version_key(s.version), -order[id(s)]))


def pinned(ref: str, dirs: Iterable[str | os.PathLike[str]] | None = None) -> Snapshot | None:
    """Return the real snapshot that ``ref`` pins, or None when ``ref`` pins none.

    ``ref`` pins a snapshot as ``route@info.version`` (``latest@0.8.4``, to
    choose an older ``latest`` than the newest) or as its key (the ``KEY``
    column of ``python -m spec_snapshots list``, e.g. ``swagger2/latest/0.8.4``).
    Raise :class:`SnapshotNotFound` naming the known versions or keys,
    :class:`SnapshotError` when ``route@version`` names specs of different
    content (ESI served some versions twice: choose one by its key), and
    ValueError for a malformed ``route@version``.
    """
    if "@" in ref:
        route, _, version = ref.partition("@")
        if not _ROUTE_RE.match(route) or not _VERSION_RE.match(version):
            raise ValueError(f"a pinned version is route@info.version (latest@0.8.4), not {ref!r}")
        same_route = [s for s in list_snapshots(dirs) if s.route == route and not s.derived]
        matches = [s for s in same_route if s.version == version]
        if not matches:
            known = sorted({s.version for s in same_route}, key=_version_key)
            raise SnapshotNotFound(
                f"no snapshot of {ref} in {_dirs_text(dirs)}; known versions of {route}: {', '.join(known) or 'none'}"
            )
        distinct = {s.sha256: s for s in reversed(matches)}  # the first found of each content
        if len(distinct) > 1:
            keys = ", ".join(sorted(s.key for s in distinct.values()))
            raise SnapshotError(
                f"{ref} names {len(distinct)} snapshots of different content: {keys}; give a key"
            )
        return matches[0]
    if "/" in ref:
        snaps = list_snapshots(dirs)
        for snap in snaps:
            if snap.key == ref:
                return snap
        keys = ", ".join(sorted({s.key for s in snaps})[:30])
        raise SnapshotNotFound(f"no snapshot with key {ref!r} in {_dirs_text(dirs)}; known keys: {keys}")
    return None


def get(
    route: str | None = None,
    compatibility_date: str | None = None,
    dirs: Iterable[str | os.PathLike[str]] | None = None,
) -> Snapshot:
    """Return the snapshot for a route, or for a compatibility date.

    ``compatibility_date="newest"`` picks the newest date found. Raise
    :class:`SnapshotNotFound` naming what was asked and where it was looked for.
    """
    if (route is None) == (compatibility_date is None):
        raise TypeError("give exactly one of route= and compatibility_date=")
    if route is not None:
        return newest(route, dirs)
    dated = [s for s in list_snapshots(dirs) if s.format == "openapi3"]
    if compatibility_date == "newest":
        if not dated:
            raise SnapshotNotFound(f"no OpenAPI snapshot in {_dirs_text(dirs)}")
        return max(dated, key=lambda s: (s.compatibility_date or "", not s.derived))
    if not is_compatibility_date(compatibility_date):
        raise ValueError(f"compatibility_date must be YYYY-MM-DD or 'newest', not {compatibility_date!r}")
    for s in dated:
        if s.compatibility_date == compatibility_date:
            return s
    known = sorted({s.compatibility_date for s in dated if s.compatibility_date})
    raise SnapshotNotFound(
        f"no OpenAPI snapshot for compatibility date {compatibility_date} in {_dirs_text(dirs)}; "
        f"known dates: {', '.join(known) or 'none'}"
    )


def _dirs_text(dirs: Iterable[str | os.PathLike[str]] | None) -> str:
    return ", ".join(str(d) for d in snapshot_dirs(dirs))


def __getattr__(name: str) -> Any:
    # SnapshotFetchError lives in .fetch, imported only where a spec is downloaded.
    if name == "SnapshotFetchError":
        from .fetch import SnapshotFetchError

        return SnapshotFetchError
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# At the end: this module imports the loader above. Imported here, not on first use, so
# that ``spec_snapshots.resolve`` is the function even after ``import spec_snapshots.resolve``.
from .resolve import SpecDerivedWarning, resolve  # noqa: E402
