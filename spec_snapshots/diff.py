"""Compare two ESI specs: operations added, removed, renamed, and changed.

Works within an era (two Swagger routes, two compatibility dates) and across
eras (Swagger ``latest`` against an OpenAPI date). Operations are matched by
HTTP method and *normalised path*: the basePath or a ``/vN/`` prefix removed,
no trailing slash, so ``GET /latest/universe/types/{type_id}/`` and ``GET
/universe/types/{type_id}`` are one operation. A matched operation whose
``operationId`` differs is *renamed* (``get_universe_types_type_id`` ->
``GetUniverseTypesTypeId``), reported apart from its other changes.

Changes compared per matched operation: parameters (added, removed, type,
format, enum or ``required`` changed; the request body's schema) and the
success response's schema, summarised by JSON path (``$[*].type_id``).
A parameter change shared by at least half of the matched operations (such
as ``X-Compatibility-Date`` added across eras) is reported once, as common.

Public API::

    from spec_snapshots.diff import diff_specs, format_diff
    result = diff_specs(spec_a, spec_b)   # JSON-serialisable dict
    print(format_diff(result))
"""

from __future__ import annotations

import json
import re
from collections import Counter
from typing import Any

from .derive import iter_operations

__all__ = ["diff_specs", "format_diff", "normalise_path", "operation_table", "schema_changes"]

_VERSION_PREFIX = re.compile(r"^/(?:v\d+|latest|legacy|dev)(?=/)")
_MAX_DEPTH = 40

Spec = dict[str, Any]


def normalise_path(path: str) -> str:
    """Return ``path`` without a ``/vN`` (or route) prefix and without a trailing slash."""
    path = _VERSION_PREFIX.sub("", path)
    return path.rstrip("/") or "/"


def operation_table(spec: Spec) -> dict[tuple[str, str], tuple[str, dict[str, Any], dict[str, Any]]]:
    """Return ``{(method, normalised path): (path, operation, path item)}`` of a spec."""
    out: dict[tuple[str, str], tuple[str, dict[str, Any], dict[str, Any]]] = {}
    for method, path, op in iter_operations(spec):
        out[(method, normalise_path(path))] = (path, op, spec["paths"][path])
    return out


# --- $ref and schemas --------------------------------------------------------


def _pointer(spec: Spec, ref: str) -> Any:
    if not ref.startswith("#/"):
        return None
    node: Any = spec
    for part in ref[2:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def _deref(node: Any, spec: Spec, seen: frozenset[str]) -> tuple[Any, frozenset[str]]:
    while isinstance(node, dict) and isinstance(node.get("$ref"), str):
        ref = node["$ref"]
        if ref in seen:
            return {}, seen  # a cycle: stop comparing below it
        seen = seen | {ref}
        node = _pointer(spec, ref)
    return node, seen


def _type(schema: Any) -> str:
    if not isinstance(schema, dict):
        return "any"
    t = schema.get("type")
    if isinstance(t, list):
        return "|".join(sorted(str(x) for x in t))
    if t:
        return str(t)
    for combinator in ("oneOf", "anyOf"):
        if combinator in schema:
            return combinator
    if "properties" in schema or "allOf" in schema:
        return "object"
    return "any"


def _properties(schema: dict[str, Any], spec: Spec, seen: frozenset[str]) -> tuple[dict[str, Any], set[str]]:
    props = dict(schema.get("properties") or {})
    required = set(schema.get("required") or [])
    for part in schema.get("allOf") or []:
        part, _ = _deref(part, spec, seen)
        if isinstance(part, dict):
            sub_props, sub_req = _properties(part, spec, seen)
            props.update(sub_props)
            required |= sub_req
    return props, required


def _enum(schema: Any) -> list[Any] | None:
    if isinstance(schema, dict) and isinstance(schema.get("enum"), list):
        return sorted(schema["enum"], key=repr)
    return None


def schema_changes(a: Any, b: Any, spec_a: Spec, spec_b: Spec, path: str = "$") -> list[dict[str, Any]]:
    """Return the differences between two schemas, each with the JSON path where it is."""
    out: list[dict[str, Any]] = []
    _schema_changes(a, b, spec_a, spec_b, path, out, frozenset(), frozenset(), 0)
    return out


def _schema_changes(
    a: Any,
    b: Any,
    spec_a: Spec,
    spec_b: Spec,
    path: str,
    out: list[dict[str, Any]],
    seen_a: frozenset[str],
    seen_b: frozenset[str],
    depth: int,
) -> None:
    a, seen_a = _deref(a, spec_a, seen_a)
    b, seen_b = _deref(b, spec_b, seen_b)
    if depth > _MAX_DEPTH:
        return
    ta, tb = _type(a), _type(b)
    if ta != tb:
        out.append({"path": path, "change": "type", "from": ta, "to": tb})
        return
    for word in ("format",):
        va, vb = (a or {}).get(word), (b or {}).get(word)
        if va != vb:
            out.append({"path": path, "change": word, "from": va, "to": vb})
    ea, eb = _enum(a), _enum(b)
    if ea != eb:
        entry: dict[str, Any] = {"path": path, "change": "enum", "from": ea, "to": eb}
        if ea is not None and eb is not None:
            entry["added"] = [v for v in eb if v not in ea]
            entry["removed"] = [v for v in ea if v not in eb]
        out.append(entry)
    if ta == "object":
        pa, ra = _properties(a, spec_a, seen_a)
        pb, rb = _properties(b, spec_b, seen_b)
        for name in sorted(pa.keys() | pb.keys()):
            sub = f"{path}.{name}"
            if name not in pb:
                out.append({"path": sub, "change": "removed"})
            elif name not in pa:
                out.append({"path": sub, "change": "added", "to": _type(_deref(pb[name], spec_b, seen_b)[0])})
            else:
                if (name in ra) != (name in rb):
                    out.append({"path": sub, "change": "required", "from": name in ra, "to": name in rb})
                _schema_changes(pa[name], pb[name], spec_a, spec_b, sub, out, seen_a, seen_b, depth + 1)
    elif ta == "array":
        _schema_changes(
            a.get("items"), b.get("items"), spec_a, spec_b, f"{path}[*]", out, seen_a, seen_b, depth + 1
        )


# --- parameters ----------------------------------------------------------------


def _parameters(
    spec: Spec, op: dict[str, Any], item: dict[str, Any]
) -> dict[tuple[str, str], tuple[str, dict[str, Any]]]:
    out: dict[tuple[str, str], tuple[str, dict[str, Any]]] = {}
    for raw in [*(item.get("parameters") or []), *(op.get("parameters") or [])]:
        param, _ = _deref(raw, spec, frozenset())
        if not isinstance(param, dict) or "name" not in param:
            continue
        where = param.get("in", "?")
        if where == "body":
            out[("body", "body")] = ("body", {"in": "body", "name": "body", **param})
            continue
        name = str(param["name"])
        out[(where, name.lower() if where == "header" else name)] = (name, param)
    body = op.get("requestBody")
    if body is not None:
        body, _ = _deref(body, spec, frozenset())
        schema = ((body.get("content") or {}).get("application/json") or {}).get("schema")
        out[("body", "body")] = (
            "body",
            {"in": "body", "name": "body", "required": body.get("required", False), "schema": schema},
        )
    return out


def _param_signature(param: dict[str, Any], spec: Spec) -> dict[str, Any]:
    schema = param.get("schema") if "schema" in param and param.get("in") != "body" else param
    schema, _ = _deref(schema, spec, frozenset())
    schema = schema if isinstance(schema, dict) else {}
    sig: dict[str, Any] = {"required": bool(param.get("required", False)), "type": _type(schema)}
    if schema.get("format"):
        sig["format"] = schema["format"]
    if sig["type"] == "array":
        items, _ = _deref(schema.get("items"), spec, frozenset())
        sig["items"] = _type(items)
    enum = _enum(schema)
    if enum is not None:
        sig["enum"] = enum
    return sig


def _parameter_changes(a: tuple, b: tuple, spec_a: Spec, spec_b: Spec) -> list[dict[str, Any]]:
    pa, pb = _parameters(spec_a, a[1], a[2]), _parameters(spec_b, b[1], b[2])
    out: list[dict[str, Any]] = []
    for key in sorted(pa.keys() | pb.keys()):
        where = key[0]
        if key not in pb:
            out.append({"change": "removed", "in": where, "name": pa[key][0]})
        elif key not in pa:
            sig = _param_signature(pb[key][1], spec_b)
            out.append({"change": "added", "in": where, "name": pb[key][0], "to": sig})
        elif where == "body":
            req_a, req_b = bool(pa[key][1].get("required")), bool(pb[key][1].get("required"))
            details = schema_changes(pa[key][1].get("schema"), pb[key][1].get("schema"), spec_a, spec_b)
            if details or req_a != req_b:
                entry: dict[str, Any] = {"change": "changed", "in": "body", "name": "body", "schema": details}
                if req_a != req_b:
                    entry["from"], entry["to"] = {"required": req_a}, {"required": req_b}
                out.append(entry)
        else:
            sa, sb = _param_signature(pa[key][1], spec_a), _param_signature(pb[key][1], spec_b)
            if sa != sb:
                keys = sorted(k for k in sa.keys() | sb.keys() if sa.get(k) != sb.get(k))
                out.append(
                    {
                        "change": "changed",
                        "in": where,
                        "name": pb[key][0],
                        "from": {k: sa.get(k) for k in keys},
                        "to": {k: sb.get(k) for k in keys},
                    }
                )
    return out


# --- responses -------------------------------------------------------------------


def _success(op: dict[str, Any], spec: Spec) -> tuple[str | None, Any]:
    codes = sorted(str(c) for c in (op.get("responses") or {}) if str(c).startswith("2"))
    if not codes:
        return None, None
    response, _ = _deref(op["responses"][codes[0]], spec, frozenset())
    response = response if isinstance(response, dict) else {}
    if "content" in response:
        return codes[0], ((response["content"] or {}).get("application/json") or {}).get("schema")
    return codes[0], response.get("schema")


def _response_changes(a: tuple, b: tuple, spec_a: Spec, spec_b: Spec) -> list[dict[str, Any]]:
    code_a, schema_a = _success(a[1], spec_a)
    code_b, schema_b = _success(b[1], spec_b)
    out: list[dict[str, Any]] = []
    if code_a != code_b:
        out.append({"path": "status", "change": "status", "from": code_a, "to": code_b})
    if schema_a is None and schema_b is None:
        return out
    return out + schema_changes(schema_a, schema_b, spec_a, spec_b)


# --- the diff --------------------------------------------------------------------------


def _op_ref(key: tuple[str, str], entry: tuple) -> dict[str, Any]:
    return {"method": key[0].upper(), "path": key[1], "operationId": entry[1].get("operationId")}


def _describe(spec: Spec, label: str | None) -> dict[str, Any]:
    fmt = "swagger2" if str(spec.get("swagger", "")) == "2.0" else "openapi3"
    return {
        "label": label,
        "format": fmt,
        "version": str((spec.get("info") or {}).get("version")),
        "operations": sum(1 for _ in iter_operations(spec)),
    }


def _signature_key(change: dict[str, Any]) -> str:
    return json.dumps(change, sort_keys=True)


def _format_pairs(params: list[dict[str, Any]], response: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """Return the (from, to) of every format change of one operation."""
    pairs = [(c["from"], c["to"]) for c in response if c["change"] == "format"]
    for c in params:
        if c["change"] == "changed" and c["in"] == "body":
            pairs += [(x["from"], x["to"]) for x in c["schema"] if x["change"] == "format"]
        elif c["change"] == "changed" and set(c["from"]) == {"format"}:
            pairs.append((c["from"]["format"], c["to"]["format"]))
    return pairs


def _without_formats(
    params: list[dict[str, Any]], response: list[dict[str, Any]], common: set[tuple[str, str]]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    def keep(c: dict[str, Any]) -> bool:
        return not (c["change"] == "format" and (c["from"], c["to"]) in common)

    kept_params = []
    for c in params:
        if c["change"] == "changed" and c["in"] == "body":
            c = {**c, "schema": [x for x in c["schema"] if keep(x)]}
            if not c["schema"] and "from" not in c:
                continue
        elif c["change"] == "changed" and set(c["from"]) == {"format"}:
            if (c["from"]["format"], c["to"]["format"]) in common:
                continue
        kept_params.append(c)
    return kept_params, [c for c in response if keep(c)]


def diff_specs(
    a: Spec, b: Spec, label_a: str | None = None, label_b: str | None = None, *, group_common: bool = True
) -> dict[str, Any]:
    """Return what changed from spec ``a`` to spec ``b`` (a JSON-serialisable dict).

    With ``group_common`` (the default), a parameter change found in at least
    half of the matched operations, and a format change (``int32`` ->
    ``int64``) found in at least a tenth of them, are listed once under
    ``common_parameter_changes`` / ``common_format_changes`` instead of under
    each operation.
    """
    ta, tb = operation_table(a), operation_table(b)
    matched = sorted(ta.keys() & tb.keys(), key=lambda k: (k[1], k[0]))
    per_op: dict[tuple[str, str], tuple[list[dict[str, Any]], list[dict[str, Any]]]] = {}
    param_ops: Counter[str] = Counter()
    format_ops: Counter[tuple[str, str]] = Counter()
    format_places: Counter[tuple[str, str]] = Counter()
    for key in matched:
        params = _parameter_changes(ta[key], tb[key], a, b)
        response = _response_changes(ta[key], tb[key], a, b)
        per_op[key] = (params, response)
        param_ops.update({_signature_key(c) for c in params})
        pairs = _format_pairs(params, response)
        format_places.update(pairs)
        format_ops.update(set(pairs))
    common: set[str] = set()
    common_formats: set[tuple[str, str]] = set()
    if group_common:
        common = {sig for sig, n in param_ops.items() if n >= max(3, (len(matched) + 1) // 2)}
        common_formats = {pair for pair, n in format_ops.items() if n >= max(3, len(matched) // 10)}
    changed = []
    for key in matched:
        params, response = per_op[key]
        params = [c for c in params if _signature_key(c) not in common]
        params, response = _without_formats(params, response, common_formats)
        if params or response:
            changed.append({**_op_ref(key, tb[key]), "parameters": params, "response": response})
    renamed = [
        {
            "method": k[0].upper(),
            "path": k[1],
            "from": ta[k][1].get("operationId"),
            "to": tb[k][1].get("operationId"),
        }
        for k in matched
        if ta[k][1].get("operationId") != tb[k][1].get("operationId")
    ]
    order = lambda k: (k[1], k[0])  # noqa: E731
    added = [_op_ref(k, tb[k]) for k in sorted(tb.keys() - ta.keys(), key=order)]
    removed = [_op_ref(k, ta[k]) for k in sorted(ta.keys() - tb.keys(), key=order)]
    return {
        "a": _describe(a, label_a),
        "b": _describe(b, label_b),
        "summary": {
            "matched": len(matched),
            "added": len(added),
            "removed": len(removed),
            "renamed": len(renamed),
            "changed": len(changed),
        },
        "added": added,
        "removed": removed,
        "renamed": renamed,
        "common_parameter_changes": [
            {**json.loads(sig), "operations": param_ops[sig]}
            for sig in sorted(common, key=lambda s: (-param_ops[s], s))
        ],
        "common_format_changes": [
            {"from": p[0], "to": p[1], "operations": format_ops[p], "places": format_places[p]}
            for p in sorted(common_formats, key=lambda p: (-format_ops[p], p))
        ],
        "changed": changed,
    }


# --- text ------------------------------------------------------------------------------


def _short(value: Any) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k}={_short(v)}" for k, v in value.items())
    if isinstance(value, list):
        text = ",".join(str(v) for v in value)
        return f"[{text if len(text) <= 60 else text[:57] + '...'}]"
    return str(value)


def _values(values: list[Any]) -> str:
    shown = ", ".join(str(v) for v in values[:3])
    more = f", ... {len(values) - 3} more" if len(values) > 3 else ""
    return f"{len(values)} ({shown}{more})" if values else "0"


def _param_line(c: dict[str, Any]) -> str:
    sign = {"added": "+", "removed": "-", "changed": "~"}[c["change"]]
    text = f"{sign} {c['in']} {c['name']}"
    if c["change"] == "added":
        text += f" ({_short(c['to'])})"
    elif c["change"] == "changed" and "from" in c:
        text += f": {_short(c['from'])} -> {_short(c['to'])}"
    if c.get("schema"):
        text += "; schema: " + "; ".join(_schema_line(s) for s in c["schema"])
    return text


def _schema_line(c: dict[str, Any]) -> str:
    if c["change"] == "removed":
        return f"- {c['path']}"
    if c["change"] == "added":
        return f"+ {c['path']} ({c['to']})"
    if "added" in c:
        return f"~ {c['path']} enum: {_values(c['added'])} added, {_values(c['removed'])} removed"
    return f"~ {c['path']} {c['change']}: {_short(c['from'])} -> {_short(c['to'])}"


def format_diff(result: dict[str, Any]) -> str:
    """Return a diff from :func:`diff_specs` as readable text."""
    a, b, s = result["a"], result["b"], result["summary"]
    lines = [
        f"--- {a['label']} ({a['format']} {a['version']}, {a['operations']} operations)",
        f"+++ {b['label']} ({b['format']} {b['version']}, {b['operations']} operations)",
        f"{s['matched']} matched, {s['added']} added, {s['removed']} removed, "
        f"{s['renamed']} renamed, {s['changed']} changed",
    ]
    sections = (
        ("Added", result["added"], lambda o: f"+ {o['method']} {o['path']}  {o['operationId']}"),
        ("Removed", result["removed"], lambda o: f"- {o['method']} {o['path']}  {o['operationId']}"),
        ("Renamed", result["renamed"], lambda o: f"  {o['method']} {o['path']}  {o['from']} -> {o['to']}"),
    )
    for title, items, fmt in sections:
        if items:
            lines += ["", f"{title} ({len(items)}):", *(fmt(o) for o in items)]
    common = result["common_parameter_changes"]
    if common:
        lines += ["", f"Parameter changes common to many operations (of {s['matched']}):"]
        lines += [f"{_param_line(c)}  [{c['operations']} operations]" for c in common]
    formats = result["common_format_changes"]
    if formats:
        lines += ["", "Format changes common to many operations:"]
        lines += [
            f"~ {c['from']} -> {c['to']}  [{c['places']} places in {c['operations']} operations]"
            for c in formats
        ]
    if result["changed"]:
        lines += ["", f"Changed ({len(result['changed'])}):"]
        for op in result["changed"]:
            lines.append(f"  {op['method']} {op['path']}  {op['operationId']}")
            lines += [f"    parameter {_param_line(c)}" for c in op["parameters"]]
            lines += [f"    response {_schema_line(c)}" for c in op["response"]]
    return "\n".join(lines) + "\n"
