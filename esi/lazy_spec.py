"""A prepared spec whose operations are built on first use, so a client costs what it calls.

A site calls a handful of ESI's 200-odd operations. :class:`LazySpec` keeps an
index (resource -> operation id -> where its fragment lies) and one pickled
*fragment* per operation: a Swagger spec holding that operation alone, with the
definitions, parameters and responses it refers to. The first access to an
operation unpickles its fragment and builds a small bravado-core
:class:`~bravado_core.spec.Spec` from it; nothing else of the spec is read.

The fragments are one ``bytes`` region, written after the index in the spec
cache file and mapped (``mmap``) when the file is read, so pages of the file
that hold operations never used are never loaded. The whole spec is one more
fragment, built on first access to an attribute only a full bravado ``Spec``
has (``spec_dict``, ``definitions``, ``deref``...): the stubs, a patched
``SwaggerClient`` and the OpenAPI face's models get the full spec as before.

Every operation built is kept on the disk too, when the spec came from a
cache file (:meth:`LazySpec.keep_built_in`): one pickled bravado-core ``Spec``
of its fragment per file, in a directory beside the cache file. The next
process reads it back instead of building it again; a built spec pickles
without jsonschema's resolver and format checker (:class:`esi.bravado_spec.LeanSpec`),
so a call from it imports no jsonschema until something is validated with it.
A file that cannot be read is built again and written anew; one that cannot be
written is left (the operation is built in the next process).

Public API::

    from esi.lazy_spec import LazySpec
    spec = LazySpec.from_spec(built_bravado_spec, config)   # cut into fragments
    spec.resources["Universe"].operations["get_universe_types_type_id"]  # built now
"""

from __future__ import annotations

import hashlib
import logging
import mmap
import pickle
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO

__all__ = ["FULL", "LazyOperations", "LazyResource", "LazySpec", "fragment_of", "model_spec_of"]

logger = logging.getLogger(__name__)

#: Index key of the whole spec's fragment.
FULL = ""

_HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options")
_REF_SECTIONS = ("parameters", "definitions", "responses")
_ORIGIN = "https://esi.evetech.net/swagger.json"


def _refs(node: Any, spec_dict: Mapping[str, Any], found: dict[str, dict[str, Any]]) -> None:
    """Collect into ``found`` every ``#/<section>/<name>`` that ``node`` uses, transitively."""
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, Mapping):
            ref = item.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/"):
                section, _, name = ref[2:].partition("/")
                table = spec_dict.get(section)
                if section in _REF_SECTIONS and isinstance(table, Mapping) and name in table:
                    if name not in found.setdefault(section, {}):
                        found[section][name] = table[name]
                        stack.append(table[name])
            stack.extend(v for k, v in item.items() if k != "$ref")


def fragment_of(spec_dict: Mapping[str, Any], path: str, method: str) -> dict[str, Any]:
    """Return a spec holding only the operation ``method path`` and what it refers to."""
    item = spec_dict["paths"][path]
    path_item = {k: v for k, v in item.items() if k not in _HTTP_METHODS or k == method}
    fragment = {k: v for k, v in spec_dict.items() if k not in ("paths", *_REF_SECTIONS)}
    fragment["paths"] = {path: path_item}
    found: dict[str, dict[str, Any]] = {}
    _refs(path_item, spec_dict, found)
    fragment.update(found)
    return fragment


def model_spec_of(spec: Any) -> Mapping[str, Any]:
    """Return what a model builder of ``spec`` reads: its definitions, as far as they are known.

    For a :class:`LazySpec`, the definitions of the operations built so far (all of
    them once the whole spec is built); for a bravado ``Spec``, its spec dict.
    The same object on every call, so that one builder serves the spec.
    """
    return spec.model_spec if isinstance(spec, LazySpec) else spec.spec_dict


class LazyOperations(Mapping[str, Any]):
    """The operations of one resource: names known, each operation built on first access."""

    def __init__(self, spec: LazySpec, resource: str, names: Mapping[str, str]) -> None:
        self._spec = spec
        self._resource = resource
        self._names = names  # operation id -> fragment key

    def __getitem__(self, name: str) -> Any:
        return self._spec.operation(self._resource, name, self._names[name])

    def get(self, name: str, default: Any = None) -> Any:  # type: ignore[override]
        return self[name] if name in self._names else default

    def __contains__(self, name: object) -> bool:
        return name in self._names

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)


class LazyResource:
    """A resource (tag) of a :class:`LazySpec`, shaped as bravado-core's ``Resource``."""

    def __init__(self, name: str, operations: LazyOperations) -> None:
        self.name = name
        self.operations = operations

    def __getattr__(self, item: str) -> Any:
        if item.startswith("__") or item not in self.operations:
            raise AttributeError(f"Resource '{self.name}' has no operation '{item}'")
        return self.operations[item]

    def __dir__(self) -> list[str]:
        return list(self.operations)

    def __repr__(self) -> str:
        return f"LazyResource({self.name})"


class LazySpec:
    """A bravado ``Spec`` stand-in whose operations are built from their fragments on first use."""

    def __init__(
        self,
        index: dict[str, dict[str, str]],
        aliases: dict[str, str],
        offsets: dict[str, tuple[int, int]],
        region: bytes | mmap.mmap,
        config: dict[str, Any],
        api_url: str,
    ) -> None:
        self._index = index  # resource -> operation id -> fragment key
        self._aliases = aliases  # tag as written -> resource name
        self._offsets = offsets  # fragment key -> (offset, length) in region
        self._region = region
        self._source = "memory"  # or the cache file the region is mapped from
        self._omit_region = False  # True while the cache file's header is pickled
        self.config = config
        self.api_url = api_url
        self.http_client = None
        self._lock = threading.RLock()
        self._built: dict[tuple[str, str], Any] = {}
        self._built_dir: Path | None = None  # where built operations are kept (keep_built_in)
        self._full: Any = None
        #: The definitions of the operations built so far (all of them once the whole spec is):
        #: what a model builder needs for the responses of those operations, by name.
        self.model_spec: dict[str, dict[str, Any]] = {"definitions": {}}
        self.resources = _Resources(
            {name: LazyResource(name, LazyOperations(self, name, ops)) for name, ops in index.items()},
            aliases,
        )

    # --- building -------------------------------------------------------------

    @classmethod
    def from_spec(cls, spec: Any, config: dict[str, Any]) -> LazySpec:
        """Cut a built bravado ``Spec`` into one fragment per operation (and the whole)."""
        index: dict[str, dict[str, str]] = {}
        keys: dict[str, tuple[str, str]] = {}
        for name, resource in spec.resources.items():
            for op_id, op in resource.operations.items():
                key = f"{op.http_method} {op.path_name}"
                keys[key] = (op.path_name, op.http_method)
                index.setdefault(name, {})[op_id] = key
        parts = {
            key: pickle.dumps(fragment_of(spec.spec_dict, *where), pickle.HIGHEST_PROTOCOL)
            for key, where in keys.items()
        }
        parts[FULL] = pickle.dumps(spec.spec_dict, pickle.HIGHEST_PROTOCOL)
        offsets: dict[str, tuple[int, int]] = {}
        position = 0
        for key, blob in parts.items():
            offsets[key] = (position, len(blob))
            position += len(blob)
        aliases = dict(getattr(spec.resources, "alias_to_key", {}))
        lazy = cls(index, aliases, offsets, b"".join(parts.values()), config, spec.api_url)
        lazy._full = spec  # already built: the process that cut it keeps it
        return lazy

    def _fragment(self, key: str) -> dict[str, Any]:
        offset, length = self._offsets[key]
        try:
            fragment = pickle.loads(self._region[offset : offset + length])
        except Exception as exc:
            from esi.errors import SpecError

            raise SpecError(
                f"the spec fragment of {key or 'the whole spec'} in {self._source} cannot be read ({exc}); "
                "delete the spec cache file: it is rebuilt"
            ) from exc
        if not isinstance(fragment, dict):
            from esi.errors import SpecError

            raise SpecError(f"the spec fragment of {key or 'the whole spec'} in {self._source} is not a spec")
        return fragment

    def _build(self, spec_dict: dict[str, Any]) -> Any:
        from esi.bravado_spec import build_spec

        # The whole spec was validated (if it is validated at all: a spec file) when it was
        # prepared and cut; a fragment, or the whole again, is not validated a second time.
        return build_spec(
            spec_dict, origin_url=_ORIGIN, config={**self.config, "validate_swagger_spec": False}
        )

    def operation(self, resource: str, op_id: str, key: str) -> Any:
        """Return the bravado-core ``Operation`` ``op_id`` of ``resource``, built on first use."""
        built = self._built.get((resource, op_id))
        if built is not None:
            return built
        with self._lock:
            built = self._built.get((resource, op_id))
            if built is None:
                if self._full is not None and self._built_dir is None:
                    built = self._full.resources[resource].operations[op_id]
                    definitions = self._full.spec_dict.get("definitions") or {}
                else:
                    spec = self._read_built(key, resource, op_id)
                    if spec is None:
                        spec = self._build(self._fragment(key))
                        self._write_built(key, spec)
                    built = spec.resources[resource].operations[op_id]
                    definitions = spec.spec_dict.get("definitions") or {}
                for name, schema in definitions.items():
                    self.model_spec["definitions"].setdefault(name, schema)
                self._built[(resource, op_id)] = built
        return built

    # --- operations built before, kept on the disk --------------------------------

    def keep_built_in(self, directory: Path) -> None:
        """Keep every operation built from now on in ``directory``, and read those kept there before.

        Each is one pickled spec of its fragment, in a file named by a hash of
        the fragment's key (so nothing from the spec names a path). ``directory``
        belongs to one cache file, whose name holds everything the build
        depends on (the spec, the library versions).
        """
        self._built_dir = directory

    def _built_path(self, key: str) -> Path | None:
        if self._built_dir is None:
            return None
        return self._built_dir / f"{hashlib.sha256(key.encode()).hexdigest()[:32]}.pickle"

    def _read_built(self, key: str, resource: str, op_id: str) -> Any:
        """Return the spec of the fragment ``key`` built by an earlier process, or None."""
        path = self._built_path(key)
        if path is None:
            return None
        try:
            spec = pickle.loads(path.read_bytes())
            spec.resources[resource].operations[op_id]  # noqa: B018 - what it is read for
        except FileNotFoundError:
            return None
        except Exception:  # a truncated or stale file is built again, never fatal
            logger.warning("ignoring unreadable built operation %s (%s)", path, key, exc_info=True)
            return None
        return spec

    def _write_built(self, key: str, spec: Any) -> None:
        path = self._built_path(key)
        if path is None:
            return
        from spec_snapshots._atomic import write_atomically

        try:  # a concurrent reader sees no file or a whole one
            write_atomically(
                path, lambda f: pickle.dump(spec, f, protocol=pickle.HIGHEST_PROTOCOL), prefix=".op-"
            )
        except OSError:
            logger.warning("cannot keep the built operation %s in %s", key, path, exc_info=True)

    @property
    def full(self) -> Any:
        """Return the whole spec as a bravado ``Spec`` (built on first use)."""
        if self._full is None:
            with self._lock:
                if self._full is None:
                    full = self._build(self._fragment(FULL))
                    for name, schema in (full.spec_dict.get("definitions") or {}).items():
                        self.model_spec["definitions"].setdefault(name, schema)
                    self._full = full
        return self._full

    def __getattr__(self, name: str) -> Any:
        # What only a full Spec has (spec_dict, definitions, deref, ...): build it.
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self.full, name)

    # --- the cache file -------------------------------------------------------

    def __getstate__(self) -> dict[str, Any]:
        # In the cache file the region follows the pickle (write_region), mapped when read back;
        # anywhere else (a pickled client) it travels inside.
        return {
            "index": self._index,
            "aliases": self._aliases,
            "offsets": self._offsets,
            "config": self.config,
            "api_url": self.api_url,
            "region": None if self._omit_region else bytes(self._region),
        }

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(  # type: ignore[misc]
            state["index"],
            state["aliases"],
            state["offsets"],
            state.get("region") or b"",
            state["config"],
            state["api_url"],
        )

    def __copy__(self) -> LazySpec:
        return self  # shared by every client of the process, never changed

    def __deepcopy__(self, memo: dict[int, Any]) -> LazySpec:
        return self

    @contextmanager
    def without_region(self) -> Iterator[None]:
        """Pickle the spec without its fragments while in this block (the cache file's header)."""
        self._omit_region = True
        try:
            yield
        finally:
            self._omit_region = False

    def write_region(self, f: BinaryIO) -> None:
        """Write the fragments (after the pickled header of the cache file)."""
        f.write(self._region)

    def map_region(self, path: Path, start: int) -> None:
        """Read the fragments from ``path`` from ``start`` on, mapped: untouched pages stay on disk."""
        with path.open("rb") as f:
            if f.seek(0, 2) <= start:
                raise ValueError(f"spec cache file {path} holds no fragments")
            mapped = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        self._region = memoryview(mapped)[start:]  # type: ignore[assignment]
        self._source = f"spec cache file {path}"


class _Resources(dict[str, LazyResource]):
    """Resources by name; a tag as written in the spec (``Faction Warfare``) finds its resource too."""

    def __init__(self, resources: dict[str, LazyResource], aliases: dict[str, str]) -> None:
        super().__init__(resources)
        self.alias_to_key = aliases

    def get(self, key: str, default: Any = None) -> Any:  # type: ignore[override]
        return super().get(self.alias_to_key.get(key, key), default)

    def __getitem__(self, key: str) -> LazyResource:
        return super().__getitem__(self.alias_to_key.get(key, key))

    def __contains__(self, key: object) -> bool:
        return super().__contains__(self.alias_to_key.get(key, key) if isinstance(key, str) else key)
