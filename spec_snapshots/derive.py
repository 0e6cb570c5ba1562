"""Derive the Swagger spec of one ESI route from another route's spec.

ESI's Swagger specs list, on every operation, the other routes that serve the
same implementation (``x-alternate-versions``, e.g. ``["dev", "legacy", "v1",
"v2"]``). Keeping the operations of ``latest`` that name a route gives the part
of that route which is identical to ``latest``; what a route serves in an
*older* implementation than ``latest`` cannot be derived. That is why a real
snapshot of the route always wins over a derived one (see :mod:`.resolve`).
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

from . import SnapshotError, describe_spec

__all__ = ["HTTP_METHODS", "derive_report", "derive_route", "iter_operations"]

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")

# Top-level sections whose entries operations refer to by "#/<section>/<name>".
_SWAGGER_SECTIONS = ("definitions", "parameters", "responses")


def iter_operations(spec: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """Yield ``(method, path, operation)`` for every operation of a Swagger or OpenAPI spec."""
    for path, item in (spec.get("paths") or {}).items():
        if not isinstance(item, dict):
            continue
        for method, op in item.items():
            if method in HTTP_METHODS and isinstance(op, dict):
                yield method, path, op


def _refs(node: Any, out: set[str]) -> None:
    stack = [node]
    while stack:
        cur = stack.pop()
        if isinstance(cur, dict):
            ref = cur.get("$ref")
            if isinstance(ref, str):
                out.add(ref)
            stack.extend(cur.values())
        elif isinstance(cur, list):
            stack.extend(cur)


def _referenced(spec: dict[str, Any], roots: Any) -> dict[str, set[str]]:
    """Return, per section, the names reachable from ``roots`` through ``$ref``."""
    keep: dict[str, set[str]] = {s: set() for s in _SWAGGER_SECTIONS}
    pending: set[str] = set()
    _refs(roots, pending)
    seen: set[str] = set()
    while pending:
        ref = pending.pop()
        if ref in seen:
            continue
        seen.add(ref)
        parts = ref.split("/")
        if len(parts) != 3 or parts[0] != "#" or parts[1] not in keep:
            continue  # external or unusual refs are left as they are
        section, name = parts[1], parts[2].replace("~1", "/").replace("~0", "~")
        target = (spec.get(section) or {}).get(name)
        if target is None:
            continue
        keep[section].add(name)
        _refs(target, pending)
    return keep


def derive_route(latest_spec: dict[str, Any], route: str) -> dict[str, Any]:
    """Return the Swagger spec of ``route`` derived from a route spec (normally ``latest``).

    Keep the operations whose ``x-alternate-versions`` contain ``route`` (all
    of them when ``route`` is the source's own route), set ``basePath`` to
    ``/<route>``, and keep only the definitions, parameters and responses still
    referenced. The result carries ``x-django-esi-derived`` naming its source.
    Raise :class:`~spec_snapshots.SnapshotError` when the source is not a
    Swagger 2.0 spec with a basePath, or when no operation serves ``route``.
    """
    meta = describe_spec(latest_spec)
    if meta["format"] != "swagger2" or meta["route"] in ("_latest", "meta"):
        raise SnapshotError(
            f"cannot derive route {route!r}: the source is {meta['format']} {meta['route'] or ''}".rstrip()
            + ", not a Swagger 2.0 route spec with a basePath"
        )
    source_route = meta["route"]
    paths: dict[str, Any] = {}
    for path, item in latest_spec["paths"].items():
        kept: dict[str, Any] = {}
        for method, op in item.items():
            if method not in HTTP_METHODS:
                continue
            alternates = op.get("x-alternate-versions") or []
            if route == source_route or route in alternates:
                kept[method] = op
        if kept:
            extra = {k: v for k, v in item.items() if k not in HTTP_METHODS}
            paths[path] = copy.deepcopy({**extra, **kept})
    if not paths:
        raise SnapshotError(
            f"cannot derive route {route!r} from {source_route} {meta['version']}: "
            "no operation lists it in x-alternate-versions"
        )
    keep = _referenced(latest_spec, paths)
    derived: dict[str, Any] = {}
    for key, value in latest_spec.items():
        if key == "paths":
            derived[key] = paths
        elif key in _SWAGGER_SECTIONS and isinstance(value, dict):
            derived[key] = {n: copy.deepcopy(v) for n, v in value.items() if n in keep[key]}
        elif key == "basePath":
            derived[key] = f"/{route}"
        else:
            derived[key] = copy.deepcopy(value)
    derived["basePath"] = f"/{route}"
    derived["x-django-esi-derived"] = {"from_route": source_route, "from_version": meta["version"]}
    return derived


def derive_report(latest_spec: dict[str, Any], real_specs: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """Compare what :func:`derive_route` gives with each real route spec.

    ``real_specs`` maps a route to its real spec. For each route, return the
    counts of real and derived operations (matched by method and path), how
    many real operations the derivation reproduces, how many of those have
    the same contract (no parameter or response schema difference), and the
    operations it misses or adds.
    """
    from .diff import diff_specs  # the diff builds on iter_operations above

    rows = []
    for route, real in real_specs.items():
        try:
            derived = derive_route(latest_spec, route)
        except SnapshotError:
            derived = {**latest_spec, "paths": {}}
        result = diff_specs(real, derived, group_common=False)
        s = result["summary"]
        rows.append(
            {
                "route": route,
                "real": result["a"]["operations"],
                "derived": result["b"]["operations"],
                "reproduced": s["matched"],
                "same_contract": s["matched"] - s["changed"],
                "missing": result["removed"],
                "extra": result["added"],
            }
        )
    return rows
