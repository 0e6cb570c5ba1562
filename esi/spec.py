"""Choose and prepare the spec a client is built from, cheaply.

A client is built from one of:

* a Swagger route snapshot (``latest`` by default, ``version='v4'``), with
  resources of other routes mixed in (``Universe='v1'``): one merged spec in
  which each resource's operations come from its route's snapshot;
* a local Swagger file (``spec_file=``), versioning off;
* the OpenAPI snapshot of a compatibility date, converted to Swagger 2.0 by
  :func:`esi.openapi.convert`;
* the live spec of a route, when ``ESI_SPEC_LIVE`` asks for it.

Building a bravado :class:`~bravado_core.spec.Spec` from a full ESI spec takes
about a second with validation, so it is done once per machine: the built spec
is pickled into ``ESI_SPEC_CACHE_DIR``, keyed by the sha256 of each source spec,
the resource-version mix and the library versions, and kept in memory for the
process; the file holds one fragment per operation, read when the operation is
first used (:mod:`esi.lazy_spec`), and each operation built is kept in a directory
beside it (``spec-<key>.ops/``), read back by the next process. Snapshots are known-good (checked when imported), so they are built
without spec validation; a ``spec_file`` is validated on its first build.

A ``spec_file``'s sha256 is remembered beside the cache (``file-<hash of its
path>.json``) with the file's size, modification time (ns), inode and device, as
Python's bytecode cache recognises a source file: a warm start stats the file and
reads none of it, so a client of a spec twice the size starts no slower. Any change
of the four reads and hashes the file again (``touch`` it to force that). With the
cache off (``ESI_SPEC_CACHE_DIR = False``) the file is read and hashed every time.

Public API::

    from esi.spec import SpecRequest, get_spec
    prepared = get_spec(SpecRequest(version="latest", resource_versions=(("Universe", "v1"),)))
    prepared.spec                    # esi.lazy_spec.LazySpec, shared: do not mutate
    prepared.version_of("Universe")  # "v1"
"""

from __future__ import annotations

import copy
import hashlib
import json
import logging
import os
import pickle
import re
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any, BinaryIO, NamedTuple

from esi.app_settings import app_settings
from esi.errors import SpecError
from esi.lazy_spec import LazySpec

__all__ = [
    "CACHE_FORMAT",
    "PreparedSpec",
    "SpecRequest",
    "clear_memory_cache",
    "get_spec",
    "merge_resources",
    "minimize_spec",
    "resource_key",
    "route_snapshot",
    "spec_cache_dir",
]

logger = logging.getLogger(__name__)

#: Bump when the shape of what is pickled, or how specs are merged, changes.
#: (3: a :class:`PreparedSpec` pickles its slots, no longer a dataclass's ``__dict__``.)
CACHE_FORMAT = 3

_HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options")
_REF_SECTIONS = ("parameters", "definitions", "responses")


# Not dataclasses: one compiles its methods with exec in every process that imports it (issue 13).
class SpecRequest(NamedTuple):
    """What a client asks for; the in-process cache key of its built spec (an immutable named tuple)."""

    version: str = "latest"
    resource_versions: tuple[tuple[str, str], ...] = ()
    spec_file: str | None = None
    compatibility_date: str | None = None

    @property
    def label(self) -> str:
        """Return a short description: the route, the date or the file."""
        if self.spec_file:
            return f"spec file {self.spec_file}"
        if self.compatibility_date:
            return f"compatibility date {self.compatibility_date}"
        return self.version


class PreparedSpec:
    """A built bravado Spec with what the client needs to describe it.

    Pickled into the spec cache (its slots: see :data:`CACHE_FORMAT`). Two compare
    equal when their attributes do.
    """

    __slots__ = ("spec", "label", "resource_versions", "aliases", "compatibility_date", "sources")

    def __init__(
        self,
        spec: Any,
        label: str,
        resource_versions: dict[str, str] | None = None,
        aliases: dict[str, dict[str, str]] | None = None,
        compatibility_date: str | None = None,
        sources: tuple[str, ...] = (),
    ) -> None:
        self.spec = spec
        self.label = label
        self.resource_versions: dict[str, str] = {} if resource_versions is None else resource_versions
        self.aliases: dict[str, dict[str, str]] = {} if aliases is None else aliases
        self.compatibility_date = compatibility_date
        self.sources = sources

    def _fields(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in self.__slots__)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, PreparedSpec) or other.__class__ is not self.__class__:
            return NotImplemented
        return self._fields() == other._fields()

    __hash__ = None  # type: ignore[assignment]  # mutable, compared by value

    def __repr__(self) -> str:
        # The spec and the resource versions are long: the label and the date tell which one it is.
        return f"PreparedSpec(label={self.label!r}, compatibility_date={self.compatibility_date!r})"

    def version_of(self, resource: str) -> str:
        """Return the route (or label) a resource of this spec comes from."""
        return self.resource_versions.get(resource_key(resource), self.label)


def resource_key(name: str) -> str:
    """Return the form in which resource names compare: ``faction_warfare``."""
    return "".join(c if c.isalnum() else "_" for c in name).lower()


# --- where specs come from ----------------------------------------------------


def route_snapshot(route: str) -> Any:
    """Return the snapshot of a Swagger route: real, fetched and kept, or derived."""
    import spec_snapshots

    try:
        resolve = spec_snapshots.resolve
    except AttributeError:  # pragma: no cover - older spec_snapshots
        return spec_snapshots.get(route=route)
    try:
        return resolve(
            route,
            offline=bool(app_settings.ESI_SPEC_OFFLINE),
            api_url=app_settings.ESI_API_URL,
            cache_dir=app_settings.ESI_SPEC_CACHE_DIR,
        )
    except ValueError as exc:
        raise SpecError(f"cannot build a client for ESI version {route!r}: {exc}") from exc
    except LookupError as exc:
        raise SpecError(f"no spec for ESI version {route!r}: {exc}") from exc


def spec_cache_dir() -> Path | None:
    """Return the directory of the pickled-spec cache, or None when it is off."""
    from spec_snapshots.resolve import cache_root

    return cache_root(app_settings.ESI_SPEC_CACHE_DIR)


# --- merging resource versions -------------------------------------------------


def _iter_ops(spec: Mapping[str, Any]):
    for path, item in spec.get("paths", {}).items():
        for method, op in item.items():
            if method in _HTTP_METHODS and isinstance(op, Mapping):
                yield path, method, op


def _tags(op: Mapping[str, Any], path: str) -> list[str]:
    return list(op.get("tags") or [path.strip("/").split("/")[0] or "default"])


def _prefixed(base_path: str | None, path: str) -> str:
    base = (base_path or "").rstrip("/")
    return f"{base}{path}"


def _copy_refs(node: Any, source: Mapping[str, Any], target: dict[str, Any], suffix: str) -> Any:
    """Return ``node`` with every ``#/<section>/X`` it uses copied into ``target``.

    A name already used in ``target`` for something else is renamed ``X<suffix>``.
    """
    if isinstance(node, list):
        return [_copy_refs(v, source, target, suffix) for v in node]
    if not isinstance(node, Mapping):
        return node
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/"):
        section, _, name = ref[2:].partition("/")
        if section in _REF_SECTIONS and name in source.get(section, {}):
            value = source[section][name]
            existing = target.setdefault(section, {})
            new_name = name
            if name in existing and existing[name] != value:
                new_name = f"{name}{suffix}"
            if new_name not in existing:
                existing[new_name] = None  # reserve first: definitions may refer to themselves
                existing[new_name] = _copy_refs(value, source, target, suffix)
            return {**node, "$ref": f"#/{section}/{new_name}"}
    return {k: _copy_refs(v, source, target, suffix) for k, v in node.items()}


def merge_resources(
    base: Mapping[str, Any],
    overrides: Mapping[str, tuple[str, Mapping[str, Any]]],
    base_label: str = "",
    hints: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Return a spec whose resources in ``overrides`` come from other specs.

    ``overrides`` maps a resource name (``Universe``, ``Faction_Warfare``) to
    ``(route, spec)``. Every path is prefixed with its own spec's ``basePath``,
    so one client serves them all; the result's ``basePath`` is ``/``. Raise
    :class:`AttributeError` naming the resource and the version when a spec has
    no such resource (followed by ``hints[route]``, if given). Neither input is modified.
    """
    wanted = {resource_key(name): (name, route, spec) for name, (route, spec) in overrides.items()}
    merged: dict[str, Any] = {k: copy.deepcopy(v) for k, v in base.items() if k != "paths"}
    merged["basePath"] = "/"
    merged["paths"] = {}
    for path, method, op in _iter_ops(base):
        tags = [t for t in _tags(op, path) if resource_key(t) not in wanted]
        if not tags:
            continue
        new_op = copy.deepcopy(dict(op))
        if "tags" in op or len(tags) != len(_tags(op, path)):
            new_op["tags"] = tags
        new_path = _prefixed(base.get("basePath"), path)
        merged["paths"].setdefault(new_path, {})[method] = new_op
        # Keep path-level parameters.
        for key, value in base["paths"][path].items():
            if key not in _HTTP_METHODS:
                merged["paths"][new_path].setdefault(key, copy.deepcopy(value))
    for key, (name, route, spec) in wanted.items():
        found = False
        suffix = "_" + "".join(c if c.isalnum() else "_" for c in route)
        for path, method, op in _iter_ops(spec):
            tags = [t for t in _tags(op, path) if resource_key(t) == key]
            if not tags:
                continue
            found = True
            new_op = _copy_refs(dict(op), spec, merged, suffix)
            new_op["tags"] = tags
            new_path = _prefixed(spec.get("basePath"), path)
            item = merged["paths"].setdefault(new_path, {})
            item[method] = new_op
            for pkey, value in spec["paths"][path].items():
                if pkey not in _HTTP_METHODS:
                    item.setdefault(pkey, _copy_refs(value, spec, merged, suffix))
        if not found:
            known = sorted({t for p, _, o in _iter_ops(spec) for t in _tags(o, p)})
            hint = (hints or {}).get(route)
            raise AttributeError(
                f"Resource {name} not found on ESI version {route} "
                f"(resources of {route}: {', '.join(t.replace(' ', '_') for t in known)})"
                + (f"; {hint}" if hint else "")
            )
    _merge_security(merged, [spec for _, _, spec in wanted.values()])
    title = merged.setdefault("info", {}).get("title", "EVE Swagger Interface")
    mix = ", ".join(f"{name}={route}" for name, route, _ in wanted.values())
    merged["info"]["title"] = f"{title} ({base_label or base.get('basePath', '')} with {mix})"
    return merged


def _merge_security(merged: dict[str, Any], specs: list[Mapping[str, Any]]) -> None:
    defs = merged.setdefault("securityDefinitions", {})
    for spec in specs:
        for name, definition in (spec.get("securityDefinitions") or {}).items():
            if name not in defs:
                defs[name] = copy.deepcopy(definition)
            elif isinstance(defs[name].get("scopes"), dict):
                defs[name]["scopes"].update(definition.get("scopes") or {})
    if not defs:
        del merged["securityDefinitions"]


def minimize_spec(
    spec_dict: Mapping[str, Any],
    operations: list[str] | None = None,
    resources: list[str] | None = None,
) -> dict[str, Any]:
    """Return ``spec_dict`` with only the operations named, or those of the resources (tags) named.

    As in django-esi 2.x, for small specs in tests (``spec_file=``).
    """
    operations = operations or []
    resources = resources or []
    minimized: dict[str, Any] = {key: value for key, value in spec_dict.items() if key != "paths"}
    minimized["paths"] = {}
    for path, method, op in _iter_ops(spec_dict):
        if op.get("operationId") in operations or any(tag in resources for tag in op.get("tags") or ()):
            minimized["paths"].setdefault(path, {})[method] = op
    return minimized


# --- building and caching -------------------------------------------------------

_memory_lock = threading.Lock()
_build_locks: dict[str, threading.Lock] = {}
_memory: dict[str, PreparedSpec] = {}


def clear_memory_cache() -> None:
    """Forget the specs built in this process (the disk cache is kept)."""
    with _memory_lock:
        _memory.clear()


def _library_versions() -> dict[str, str]:
    import bravado
    import bravado_core

    import esi

    return {
        "bravado": str(bravado.version),
        "bravado-core": str(bravado_core.version),
        "django-esi": esi.__version__,
    }


def _converter_identity() -> str:
    """Return a fingerprint of esi.openapi, so a changed converter rebuilds its specs.

    The module's source is read, not imported: a client whose spec is in the cache
    never converts anything.
    """
    import importlib.util

    found = importlib.util.find_spec("esi.openapi")
    if found is None or found.origin is None:  # pragma: no cover - esi.openapi ships with esi
        raise SpecError("esi.openapi cannot be found")
    return hashlib.sha256(Path(found.origin).read_bytes()).hexdigest()[:16]


class _Plan(NamedTuple):
    """Everything a build needs, and the key that names its result."""

    key: str
    label: str
    build: Any  # () -> (spec_dict, origin_url, validate, resource_versions, aliases)
    compatibility_date: str | None = None
    sources: tuple[str, ...] = ()


#: The most a remembered spec file hash may take on disk (it is a few hundred bytes).
_MAX_STAMP_BYTES = 4096
_SHA256_RE = re.compile(r"\A[0-9a-f]{64}\Z")


def _read_spec_file(path: Path) -> bytes:
    """Return the bytes of the spec file ``path`` (a .json.gz inflated); SpecError saying why not."""
    from spec_snapshots import SnapshotError, read_spec_bytes

    try:
        return read_spec_bytes(path)  # within MAX_SPEC_BYTES
    except (OSError, SnapshotError) as exc:
        raise SpecError(f"cannot read spec file {path}: {exc}") from exc


def _file_stamp(path: Path) -> list[int]:
    """Return what recognises the file ``path`` unchanged: size, modification time (ns), inode, device."""
    st = path.stat()
    return [st.st_size, st.st_mtime_ns, st.st_ino, st.st_dev]


def _stamp_file(resolved: Path) -> Path | None:
    """Return where the hash of the spec file ``resolved`` is remembered (None when the spec cache is off)."""
    directory = spec_cache_dir()
    if directory is None:
        return None
    return directory / f"file-{hashlib.sha256(os.fsencode(resolved)).hexdigest()[:32]}.json"


def _remembered_sha(memo: Path, resolved: Path, stamp: list[int]) -> str | None:
    """Return the sha256 ``memo`` remembers for ``resolved`` if its stamp is still ``stamp``, else None."""
    try:
        with memo.open("rb") as f:
            body = f.read(_MAX_STAMP_BYTES + 1)
        data = json.loads(body) if len(body) <= _MAX_STAMP_BYTES else None
    except (OSError, ValueError):  # none yet, unreadable or not JSON: the file is read and hashed
        return None
    if not isinstance(data, dict) or data.get("path") != str(resolved) or data.get("stamp") != stamp:
        return None
    sha = data.get("sha256")
    return sha if isinstance(sha, str) and _SHA256_RE.match(sha) else None


def _remember_sha(memo: Path, resolved: Path, stamp: list[int], sha: str) -> None:
    """Remember ``sha`` for ``resolved`` as it is now in ``memo`` (atomically; nothing when it cannot be written)."""
    from spec_snapshots._atomic import write_atomically

    body = json.dumps({"path": str(resolved), "stamp": stamp, "sha256": sha}).encode()
    try:
        write_atomically(memo, lambda f: f.write(body), prefix=".file-")
    except OSError:
        logger.debug("cannot remember the hash of spec file %s in %s", resolved, memo, exc_info=True)


def _plan(request: SpecRequest) -> _Plan:
    parts: dict[str, Any] = {"format": CACHE_FORMAT, "libs": _library_versions()}
    if request.spec_file:
        path = Path(request.spec_file)
        try:
            stamp = _file_stamp(path)
        except OSError as exc:
            raise SpecError(f"cannot read spec file {path}: {exc}") from exc
        resolved = path.resolve()
        memo = _stamp_file(resolved)
        sha = _remembered_sha(memo, resolved, stamp) if memo is not None else None
        raw: bytes | None = None
        if sha is None:
            raw = _read_spec_file(path)
            sha = hashlib.sha256(raw).hexdigest()
            if memo is not None:
                _remember_sha(memo, resolved, stamp, sha)
        parts["file"] = sha
        parts["converter"] = _converter_identity()  # the file may be an OpenAPI spec

        def build_file():
            data = raw if raw is not None else _read_spec_file(path)
            if raw is None and hashlib.sha256(data).hexdigest() != sha:
                # Changed though its size, time and inode did not: the key is the old content's.
                if memo is not None:
                    memo.unlink(missing_ok=True)
                raise SpecError(f"spec file {path} changed while it was read; build the client again")
            try:
                spec = json.loads(data)
            except ValueError as exc:
                raise SpecError(f"spec file {path} is not JSON: {exc}") from exc
            if isinstance(spec, dict) and str(spec.get("openapi", "")).startswith("3."):
                from esi import openapi
                from spec_snapshots import SnapshotError
                from spec_snapshots.store import validate_spec

                try:  # the OpenAPI input is checked: its conversion keeps oneOf, which Swagger 2.0 lacks
                    validate_spec(spec)
                except SnapshotError as exc:
                    raise SpecError(f"spec file {path} is refused: {exc}") from exc
                swagger = openapi.convert(spec)
                return swagger, False, {}, openapi.operation_aliases(swagger)
            if not isinstance(spec, dict) or str(spec.get("swagger", "")) != "2.0":
                raise SpecError(f"spec file {path} is not a Swagger 2.0 or OpenAPI 3 spec")
            return spec, True, {}, {}

        return _Plan(_key(parts), request.label, build_file, sources=(f"{path} sha256:{sha[:12]}",))

    if request.compatibility_date:
        import spec_snapshots

        try:
            snap = spec_snapshots.get(compatibility_date=request.compatibility_date)
        except (LookupError, ValueError) as exc:
            raise SpecError(str(exc)) from exc
        parts["openapi"] = snap.sha256
        parts["converter"] = _converter_identity()

        def build_openapi():
            from esi import openapi

            swagger = openapi.convert(json.loads(snap.read_bytes()))
            return swagger, False, {}, openapi.operation_aliases(swagger)

        return _Plan(
            _key(parts),
            f"compatibility date {snap.compatibility_date}",
            build_openapi,
            compatibility_date=snap.compatibility_date,
            sources=(snap.key,),
        )

    if app_settings.ESI_SPEC_LIVE:
        return _live_plan(request, parts)

    base = route_snapshot(request.version)
    mix = {name: (route, route_snapshot(route)) for name, route in request.resource_versions}
    parts["route"] = [request.version, base.sha256]
    parts["mix"] = sorted((resource_key(n), r, s.sha256) for n, (r, s) in mix.items())
    sources = tuple(s.key for s in [base, *(s for _, s in mix.values())])

    def build_routes():
        base_dict = json.loads(base.read_bytes())
        if not mix:
            return base_dict, False, {}, {}
        others = {name: (route, json.loads(s.read_bytes())) for name, (route, s) in mix.items()}
        hints = {route: _derived_hint(s) for _, (route, s) in mix.items() if s.derived}
        merged = merge_resources(base_dict, others, base_label=request.version, hints=hints)
        return merged, False, {resource_key(n): r for n, (r, _) in mix.items()}, {}

    return _Plan(_key(parts), request.label, build_routes, sources=sources)


def _live_plan(request: SpecRequest, parts: dict[str, Any]) -> _Plan:
    if app_settings.ESI_SPEC_OFFLINE:
        raise SpecError("ESI_SPEC_LIVE asks for the live spec but ESI_SPEC_OFFLINE forbids the network")
    from spec_snapshots.fetch import fetch_spec, route_url

    api_url = app_settings.ESI_API_URL
    routes = [request.version, *(r for _, r in request.resource_versions)]
    raw: dict[str, bytes] = {}
    for route in dict.fromkeys(routes):
        try:
            raw[route], _ = fetch_spec(route_url(route, api_url))
        except Exception as exc:
            raise SpecError(f"cannot download the live spec of ESI version {route!r}: {exc}") from exc
    parts["live"] = {r: hashlib.sha256(b).hexdigest() for r, b in raw.items()}
    parts["mix"] = sorted((resource_key(n), r) for n, r in request.resource_versions)

    def build_live():
        base = json.loads(raw[request.version])
        if not request.resource_versions:
            return base, True, {}, {}
        others = {n: (r, json.loads(raw[r])) for n, r in request.resource_versions}
        merged = merge_resources(base, others, base_label=request.version)
        return merged, True, {resource_key(n): r for n, r in request.resource_versions}, {}

    return _Plan(_key(parts), f"{request.label} (live)", build_live, sources=tuple(f"live {r}" for r in raw))


def _derived_hint(snapshot: Any) -> str:
    """Say that a route's spec was derived, and how to get the real one."""
    route = snapshot.route
    return (
        f"{route} here is derived from {snapshot.source.get('from', 'latest')} (no real {route} snapshot), "
        f"which lacks what {route} serves in another implementation than that latest; make it exact with "
        f"`python -m spec_snapshots update --route {route} --dir DIR` or `python -m spec_snapshots import FILE "
        "--dir DIR` (DIR in ESI_SPEC_SNAPSHOT_DIRS), or with ESI_SPEC_OFFLINE = False"
    )


def _key(parts: Mapping[str, Any]) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


def _build(plan: _Plan) -> PreparedSpec:
    from bravado.config import bravado_config_from_config_dict

    from esi.bravado_spec import build_spec

    spec_dict, validate, resource_versions, aliases = plan.build()
    config = {
        "use_models": False,
        "validate_swagger_spec": validate,
        "validate_responses": False,
        "validate_requests": True,
        "bravado": bravado_config_from_config_dict({}),
    }
    origin = "https://esi.evetech.net/swagger.json"
    try:
        spec = build_spec(spec_dict, origin_url=origin, config=config)
    except Exception as exc:
        raise SpecError(f"cannot build a client from {plan.label}: {exc}") from exc
    # The spec is shared by every client of this process and pickled to disk:
    # it must hold no HTTP client (sessions, authenticators, tokens).
    spec.http_client = None
    return PreparedSpec(
        spec=LazySpec.from_spec(spec, config),
        label=plan.label,
        resource_versions=resource_versions,
        aliases=aliases,
        compatibility_date=plan.compatibility_date,
        sources=plan.sources,
    )


def _read_disk(path: Path) -> PreparedSpec | None:
    try:
        with path.open("rb") as f:
            prepared = pickle.load(f)
            start = f.tell()
        if not isinstance(prepared, PreparedSpec) or not isinstance(prepared.spec, LazySpec):
            return None
        # The operations' fragments follow the pickle: mapped, read when an operation is first used.
        prepared.spec.map_region(path, start)
    except FileNotFoundError:
        return None
    except Exception:  # a truncated or stale file is rebuilt, never fatal
        logger.warning("ignoring unreadable spec cache file %s", path, exc_info=True)
        return None
    return prepared


def _built_operations_dir(path: Path) -> Path:
    """Return where the operations built from the cache file ``path`` are kept (beside it)."""
    return path.with_suffix(".ops")


def _write_disk(path: Path, prepared: PreparedSpec) -> bool:
    """Write the cache file ``path`` (atomically); return False when it cannot be written."""
    from spec_snapshots._atomic import write_atomically

    def write(f: BinaryIO) -> None:
        with prepared.spec.without_region():
            pickle.dump(prepared, f, protocol=pickle.HIGHEST_PROTOCOL)
        prepared.spec.write_region(f)

    try:
        write_atomically(path, write, prefix=".spec-")  # concurrent readers see the old file or the new one
    except OSError:
        logger.warning("cannot write the spec cache file %s", path, exc_info=True)
        return False
    return True


def _as_text(value: Any) -> str:
    return str(value)


def _teach_bravado_uuid() -> None:
    """Give bravado-core a ``uuid`` format: a string (as it treats unknown formats), without its warning.

    The OpenAPI specs (2025-08-26 on) give project ids ``format: uuid``; bravado-core
    warns on every call that marshals one. It is added to bravado-core's default
    formats, not registered on the spec: a registered format cannot be pickled
    (bravado wraps its validator in a local function). jsonschema checks uuids.
    """
    from bravado_core import formatter

    if "uuid" not in formatter.DEFAULT_FORMATS:
        formatter.DEFAULT_FORMATS["uuid"] = formatter.SwaggerFormat(
            format="uuid",
            to_wire=_as_text,
            to_python=_as_text,
            validate=formatter.NO_OP,
            description="Converts [wire]string:uuid <=> python str",
        )


def get_spec(request: SpecRequest) -> PreparedSpec:
    """Return the built spec for ``request``: from memory, the disk cache, or built now."""
    plan = _plan(request)
    prepared = _memory.get(plan.key)
    if prepared is not None:
        return prepared
    with _memory_lock:
        lock = _build_locks.setdefault(plan.key, threading.Lock())
    with lock:
        prepared = _memory.get(plan.key)
        if prepared is not None:
            return prepared
        _teach_bravado_uuid()
        directory = spec_cache_dir()
        path = directory / f"spec-{plan.key[:40]}.pickle" if directory else None
        if path is not None:
            prepared = _read_disk(path)
            if prepared is not None:
                prepared.spec.keep_built_in(_built_operations_dir(path))
        if prepared is None:
            prepared = _build(plan)
            if path is not None and _write_disk(path, prepared):
                prepared.spec.keep_built_in(_built_operations_dir(path))
        _memory[plan.key] = prepared
        return prepared
