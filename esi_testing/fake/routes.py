"""The route table of the fake ESI, built from any ESI spec.

A :class:`RouteTable` holds one :class:`Route` per served path and method of a
spec, whatever its shape:

* Swagger 2.0 of a route (``basePath`` ``/latest``, ``/v4``, ...): each path is
  served under the ``basePath`` and under every ``x-alternate-versions`` prefix
  (``/dev``, ``/legacy``, ``/v5``), as ESI serves it;
* Swagger 2.0 ``_latest`` (no ``basePath``, ``/vN/`` in each path) and the meta
  spec: each path as written, plus the alternate prefixes;
* OpenAPI 3.1 of a compatibility date: each path as written (no prefix).

Every route knows its operation under one era-independent *key*: ESI's own rule
``<method>_<path segments>`` on the path without its version prefix
(``get_universe_types_type_id``), which is the Swagger ``operationId`` and what a
data pack names. The spec's own ``operationId`` and its snake_case form are
*aliases* of the key, so ``GetCharactersDetail`` finds the same records as
``get_characters_character_id``.

Public API::

    table = RouteTable.for_snapshot("latest")          # or "2025-12-16", a Snapshot, a dict
    route, path_params = table.match("GET", "/latest/universe/types/587/")
    route.key, route.scopes, route.cache_seconds, route.paged, route.rate_limit
    table.resolve(route.response_schema)              # follow a $ref
"""

from __future__ import annotations

import re
import threading
import weakref
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

import esi  # noqa: F401  (imported first, it defers rfc3987_syntax: most of jsonschema's import time)
import spec_snapshots
from esi.openapi import collection_format
from esi_testing.fake.params import Param, RateLimit

__all__ = [
    "ESI_LANGUAGES",
    "Param",
    "RateLimit",
    "Route",
    "RouteNotFound",
    "RouteTable",
    "derived_spec",
    "operation_key",
    "snake_case",
]

HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options")
#: Every language ESI speaks (``en-us`` is the Swagger era's alias of ``en``).
ESI_LANGUAGES = ("en", "en-us", "de", "fr", "ja", "ru", "zh", "ko", "es")

_VERSION_PREFIX = re.compile(r"^/v\d+(?=/)")
_DAILY_RE = re.compile(r"expires daily at (\d\d):(\d\d)")
# Headers the fake handles itself rather than validating them as parameters.
_TRANSPORT_HEADERS = frozenset(
    {
        "if-none-match",
        "if-modified-since",
        "x-compatibility-date",
        "x-tenant",
        "authorization",
        "accept-language",
    }
)


class RouteNotFound(LookupError):
    """No route of the table serves this method and path."""


def operation_key(method: str, path: str) -> str:
    """Return ESI's operation name for ``method path`` (``get_universe_types_type_id``).

    A leading version segment (``/v4``, ``/latest``, ``/dev``, ``/legacy``) is
    not part of the name.
    """
    path = _strip_version(path)
    segments = [seg.strip("{}").replace("-", "_") for seg in path.strip("/").split("/") if seg]
    return "_".join([method.lower(), *segments])


def snake_case(name: str) -> str:
    """Return ``GetUniverseTypesTypeId`` as ``get_universe_types_type_id``."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()


def _strip_version(path: str) -> str:
    for prefix in ("/latest/", "/legacy/", "/dev/"):
        if path.startswith(prefix):
            return path[len(prefix) - 1 :]
    return _VERSION_PREFIX.sub("", path, count=1)


@dataclass(frozen=True, eq=False)
class Route:
    """One operation as served at one path template."""

    method: str
    template: str
    key: str
    operation_id: str
    aliases: frozenset[str]
    params: tuple[Param, ...]
    scopes: tuple[str, ...]
    required_roles: tuple[str, ...]
    cache_seconds: int | None
    expires_daily: tuple[int, int] | None
    paged: bool
    cursor: bool
    rate_limit: RateLimit | None
    languages: tuple[str, ...]
    success_status: int
    response_schema: Mapping[str, Any] | None
    table: RouteTable = field(repr=False)
    alternate: bool = False
    #: The content type of the success answer (``application/json`` but for a few meta routes).
    produces: str = "application/json"

    @property
    def secured(self) -> bool:
        """Return True when the operation wants an access token."""
        return bool(self.scopes)

    @property
    def localized(self) -> bool:
        """Return True when the operation takes a language."""
        return bool(self.languages)

    def param(self, name: str) -> Param | None:
        """Return the parameter called ``name``, or None."""
        for p in self.params:
            if p.name == name:
                return p
        return None


class _Compiled:
    """A path template as segments: literal text, or None for a parameter."""

    __slots__ = ("route", "segments", "names", "literal_count")

    def __init__(self, route: Route, path: str) -> None:
        self.route = route
        self.segments: list[str | None] = []
        self.names: list[str] = []
        for part in (p for p in path.split("/") if p):
            if part.startswith("{") and part.endswith("}"):
                self.names.append(part[1:-1])
                self.segments.append(None)
            else:
                self.segments.append(part)
        self.literal_count = len(self.segments) - len(self.names)

    def match(self, parts: list[str]) -> dict[str, str] | None:
        values = []
        for want, got in zip(self.segments, parts, strict=True):
            if want is None:
                values.append(unquote(got))
            elif want != got:
                return None
        return dict(zip(self.names, values, strict=True))


class RouteTable:
    """Every route of one ESI spec, matched by method and path."""

    def __init__(self, spec: Mapping[str, Any], label: str | None = None) -> None:
        meta = spec_snapshots.describe_spec(spec)
        #: The spec as given; ``spec`` is the one routes are built from (unions tightened).
        self.source_spec = spec
        self.spec = _tighten_unions(spec) if meta["format"] == "openapi3" else spec
        self.format: str = meta["format"]
        self.route_name: str | None = meta["route"]
        self.compatibility_date: str | None = meta["compatibility_date"]
        self.version: str = meta["version"]
        self.label = label or self.route_name or self.compatibility_date or self.version
        self.routes: list[Route] = []
        # Method -> (segment count, first segment) -> templates; a parameter first is keyed None.
        self._by_method: dict[str, dict[tuple[int, str | None], list[_Compiled]]] = {}
        self._seen: set[tuple[str, str]] = set()
        self._validators: dict[tuple[int, bool], tuple[Mapping[str, Any], Any]] = {}
        self._build()

    # --- construction ---------------------------------------------------------

    _cache: dict[str, RouteTable] = {}
    _cache_lock = threading.Lock()

    @classmethod
    def for_snapshot(cls, snapshot: str | spec_snapshots.Snapshot | Mapping[str, Any]) -> RouteTable:
        """Return the (cached) table of a snapshot: a label, a Snapshot or a spec dict."""
        if isinstance(snapshot, Mapping):
            return cls(snapshot)
        if isinstance(snapshot, str):
            if re.match(r"^\d{4}-\d{2}-\d{2}$|^newest$", snapshot):
                snapshot = spec_snapshots.get(compatibility_date=snapshot)
            elif snapshot in ("_latest", "meta"):
                snapshot = spec_snapshots.get(route=snapshot)
            else:
                # A route with no real snapshot is derived from latest, as the client does;
                # the fake never downloads.
                snapshot = spec_snapshots.resolve(snapshot, offline=True)
        key = f"{snapshot.path}:{snapshot.sha256}"
        with cls._cache_lock:
            table = cls._cache.get(key)
            if table is None:
                table = cls._cache[key] = cls(snapshot.load(), label=snapshot.label)
        return table

    def _build(self) -> None:
        base = (self.spec.get("basePath") or "").rstrip("/") if self.format == "swagger2" else ""
        for path, item in self.spec.get("paths", {}).items():
            shared = item.get("parameters", [])
            for method, op in item.items():
                if method not in HTTP_METHODS or not isinstance(op, Mapping):
                    continue
                served = base + path
                route = self._route(method, served, op, shared)
                self._add(route, served)
                for prefix in self._alternate_prefixes(served, op):
                    alt = _strip_version(served) if _is_versioned(served) else served
                    self._add(_replace(route, alternate=True), prefix + alt)

    def _alternate_prefixes(self, served: str, op: Mapping[str, Any]) -> list[str]:
        if self.format != "swagger2" or not _is_versioned(served):
            return []
        versions = list(op.get("x-alternate-versions") or [])
        if self.route_name == "_latest":
            versions.append("latest")
        return ["/" + v.strip("/") for v in versions]

    def _add(self, route: Route, path: str) -> None:
        norm = "/" + path.strip("/")
        if (route.method, norm) in self._seen:
            return
        self._seen.add((route.method, norm))
        object.__setattr__(route, "template", path)
        compiled = _Compiled(route, path)
        buckets = self._by_method.setdefault(route.method, {})
        bucket = buckets.setdefault(
            (len(compiled.segments), compiled.segments[0] if compiled.segments else None), []
        )
        bucket.append(compiled)
        # Literal segments win over parameters: /characters/affiliation/ before /characters/{id}/.
        bucket.sort(key=lambda c: -c.literal_count)
        if not route.alternate:
            self.routes.append(route)

    def _route(self, method: str, path: str, op: Mapping[str, Any], shared: list[Any]) -> Route:
        params = [p for p in map(self._param, [*shared, *op.get("parameters", [])]) if p is not None]
        body = op.get("requestBody")
        if body is not None:
            body = self.resolve(body)
            schema = (body.get("content", {}).get("application/json") or {}).get("schema", {})
            params.append(Param("body", "body", bool(body.get("required")), schema))
        languages: tuple[str, ...] = ()
        for p in params:
            if p.name in ("language", "Accept-Language"):
                languages = tuple(p.schema.get("enum") or ESI_LANGUAGES)
                default = p.schema.get("default")
                if default in languages:  # the default first: it answers "*" and no language
                    languages = (default, *(lang for lang in languages if lang != default))
                if p.name == "language":
                    break
        status, schema, headers = self._success(op)
        scopes: list[str] = []
        for requirement in op.get("security") or []:
            for names in requirement.values():
                scopes.extend(names)
        cached = op.get("x-cached-seconds", op.get("x-cache-age"))
        daily = _DAILY_RE.search(str(op.get("description", "")))
        raw_limit = op.get("x-rate-limit")
        op_id = str(op.get("operationId") or operation_key(method, path))
        key = operation_key(method, path)
        return Route(
            method=method.upper(),
            template=path,
            key=key,
            operation_id=op_id,
            aliases=frozenset({key, op_id, snake_case(op_id)}),
            params=tuple(params),
            scopes=tuple(dict.fromkeys(scopes)),
            required_roles=tuple(str(r) for r in op.get("x-required-roles") or ()),
            cache_seconds=int(cached) if cached is not None else None,
            expires_daily=(int(daily.group(1)), int(daily.group(2))) if daily else None,
            paged="x-pages" in headers or any(p.name == "page" and p.location == "query" for p in params),
            cursor=op.get("x-pagination") == "cursor",
            rate_limit=RateLimit.parse(raw_limit) if isinstance(raw_limit, Mapping) else None,
            languages=languages,
            success_status=status,
            response_schema=schema,
            table=self,
            produces=self._produces(op),
        )

    def _produces(self, op: Mapping[str, Any]) -> str:
        types = list(op.get("produces") or self.spec.get("produces") or ())
        if self.format == "openapi3":
            responses = op.get("responses", {})
            code = min((c for c in map(str, responses) if c.startswith("2")), default=None)
            types = list((self.resolve(responses[code]).get("content") or {}) if code else ())
        if not types or any("json" in t for t in types):
            return "application/json"
        return str(types[0])

    def _param(self, raw: Mapping[str, Any]) -> Param | None:
        p = self.resolve(raw)
        location = p.get("in", "query")
        name = str(p.get("name"))
        if location == "header" and name.lower() in _TRANSPORT_HEADERS and name != "Accept-Language":
            return None
        if location == "body":
            schema = p.get("schema", {})
        elif "schema" in p:
            schema = self.resolve(p["schema"])
        else:
            schema = {k: v for k, v in p.items() if k not in ("name", "in", "description", "required")}
        return Param(
            name=name,
            location=location,
            required=bool(p.get("required")) or location == "path",
            schema=schema,
            collection_format=(
                collection_format(p) if self.format == "openapi3" else str(p.get("collectionFormat", "csv"))
            ),
        )

    def _success(self, op: Mapping[str, Any]) -> tuple[int, Mapping[str, Any] | None, set[str]]:
        responses = op.get("responses", {})
        codes = sorted(int(c) for c in responses if str(c).isdigit() and 200 <= int(c) < 300)
        if not codes:
            return 200, None, set()
        code = codes[0]
        response = self.resolve(responses.get(str(code), responses.get(code, {})))
        if "content" in response:
            schema = (response["content"].get("application/json") or {}).get("schema")
        else:
            schema = response.get("schema")
        headers = {h.lower() for h in response.get("headers", {})}
        return code, schema, headers

    # --- use ----------------------------------------------------------------

    def resolve(self, node: Any) -> Any:
        """Return ``node`` with its top-level ``$ref`` (into this spec) followed."""
        seen = 0
        while isinstance(node, Mapping) and "$ref" in node and seen < 32:
            ref = str(node["$ref"])
            if not ref.startswith("#/"):
                raise ValueError(f"only local $ref are supported, not {ref!r}")
            target: Any = self.spec
            for part in ref[2:].split("/"):
                target = target[part.replace("~1", "/").replace("~0", "~")]
            node = target
            seen += 1
        return node

    def validator(self, schema: Mapping[str, Any], formats: bool = True) -> Any:
        """Return a (cached) jsonschema validator of ``schema``, whose ``$ref`` point into this spec.

        ``formats=False`` leaves ``format`` unchecked (what a client that reads a
        uuid as text accepts).
        """
        cached = self._validators.get((id(schema), formats))
        if cached is not None and cached[0] is schema:
            return cached[1]
        import jsonschema

        from esi_testing.fake.guard import format_checker

        cls = jsonschema.Draft4Validator if self.format == "swagger2" else jsonschema.Draft202012Validator
        # The spec's definitions ride along, so "#/definitions/x" and "#/components/..." resolve.
        root = {
            **schema,
            "definitions": self.spec.get("definitions", {}),
            "components": self.spec.get("components", {}),
        }
        # With int32/int64 checked; formats=False checks none (a shaped record's uuid is text).
        validator = cls(root, format_checker=format_checker(cls.FORMAT_CHECKER) if formats else None)
        self._validators[(id(schema), formats)] = (schema, validator)
        return validator

    def match(self, method: str, path: str) -> tuple[Route, dict[str, str]]:
        """Return the route serving ``method path`` and its raw path parameters.

        Raise :class:`RouteNotFound` when no route serves it.
        """
        buckets = self._by_method.get(method.upper())
        if buckets:
            parts = [p for p in path.split("/") if p]
            first = parts[0] if parts else None
            for key in ((len(parts), first), (len(parts), None)):
                for compiled in buckets.get(key, ()):
                    params = compiled.match(parts)
                    if params is not None:
                        return compiled.route, params
        raise RouteNotFound(f"{method.upper()} {path}")

    def find(self, operation: str) -> Route:
        """Return the route of an operation named by its key or any alias."""
        for route in self.routes:
            if operation in route.aliases:
                return route
        raise RouteNotFound(f"no operation {operation!r} in {self.label}")

    def __iter__(self) -> Iterator[Route]:
        return iter(self.routes)

    def __len__(self) -> int:
        return len(self.routes)

    def __repr__(self) -> str:
        return f"<RouteTable {self.format} {self.label} ({len(self.routes)} operations)>"


_derived_lock = threading.Lock()
_derived: weakref.WeakKeyDictionary[RouteTable, dict[str, dict[str, Any] | None]] = (
    weakref.WeakKeyDictionary()
)


def derived_spec(tables: Iterable[RouteTable], route: str) -> dict[str, Any] | None:
    """Return the spec of Swagger ``route`` derived from the newest ``latest`` table, or None.

    It is what the client derives offline from the same ``latest``
    (:func:`spec_snapshots.derive.derive_route`), so the fake serves
    ``/<route>/swagger.json`` for every route the client can derive; the
    operations themselves are already served under their
    ``x-alternate-versions`` prefixes. None when ``route`` is not a route, no
    ``latest`` table is served, or no operation of it lists ``route``.
    """
    from spec_snapshots import SnapshotError, _version_key
    from spec_snapshots.derive import derive_route

    if not spec_snapshots._ROUTE_RE.match(route) or route in ("latest", "_latest", "meta"):
        return None
    latest = [t for t in tables if t.format == "swagger2" and t.route_name == "latest"]
    latest = [t for t in latest if "x-django-esi-derived" not in t.source_spec]
    if not latest:
        return None
    table = max(latest, key=lambda t: _version_key(t.version))
    with _derived_lock:
        known = _derived.setdefault(table, {})
        if route not in known:
            try:
                known[route] = derive_route(dict(table.source_spec), route)
            except SnapshotError:
                known[route] = None
        return known[route]


def _tighten_unions(node: Any) -> Any:
    """Return ``node`` with each single-property ``oneOf`` branch requiring its property.

    ESI's unions are objects that each carry exactly one property and declare
    none required, so every object would match every branch and no value could
    satisfy ``oneOf``; requiring the one property is what ESI means.
    """
    if isinstance(node, Mapping):
        out = {k: _tighten_unions(v) for k, v in node.items()}
        branches = out.get("oneOf")
        if isinstance(branches, list):
            for branch in branches:
                props = branch.get("properties") if isinstance(branch, dict) else None
                if isinstance(props, Mapping) and len(props) == 1 and not branch.get("required"):
                    branch["required"] = list(props)
        return out
    if isinstance(node, list):
        return [_tighten_unions(v) for v in node]
    return node


def _is_versioned(path: str) -> bool:
    return _strip_version(path) != path


def _replace(route: Route, **changes: Any) -> Route:
    values = {f: getattr(route, f) for f in route.__dataclass_fields__}
    values.update(changes)
    return Route(**values)
