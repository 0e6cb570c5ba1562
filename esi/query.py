"""Serialise array query parameters as ESI reads them, nested arrays included.

bravado-core applies a parameter's own ``collectionFormat`` (``csv``, ``ssv``,
``tsv``, ``pipes``, ``multi``) but writes each item with ``str()``, so an array
of arrays such as ``/route/{origin}/{destination}/``'s ``connections`` (pairs
of systems, each pair ``pipes``-joined, the pairs ``csv``-joined) went out as
``[1, 2],[3, 4]``. :func:`join_nested_arrays` rewrites those parameters after
bravado built (and validated) the request: ``1|2,3|4``. The fake ESI reads them
back the same way (:meth:`esi_testing.fake.routes.Param.coerce`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["join_nested_arrays"]


def join_nested_arrays(operation: Any, request: dict[str, Any], kwargs: Mapping[str, Any]) -> None:
    """Rewrite ``request["params"]`` for every array query parameter whose items are arrays."""
    for name, param in operation.params.items():
        if param.location != "query" or kwargs.get(name) is None:
            continue
        deref = param.swagger_spec.deref
        spec = deref(param.param_spec)
        if spec.get("type") != "array" or deref(spec.get("items") or {}).get("type") != "array":
            continue
        request["params"][name] = _join(deref, spec, kwargs[name])


def _join(deref: Any, spec: Mapping[str, Any], value: Any) -> Any:
    from bravado_core.param import COLLECTION_FORMATS

    if spec.get("type") != "array" or not isinstance(value, (list, tuple)):
        if isinstance(value, bool):
            return "true" if value else "false"
        return str(value)
    items = deref(spec.get("items") or {})
    parts = [_join(deref, items, v) for v in value]
    fmt = spec.get("collectionFormat", "csv")
    return parts if fmt == "multi" else COLLECTION_FORMATS[fmt].join(parts)
