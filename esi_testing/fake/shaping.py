"""Shape a record for the spec that serves it: old specs get old shapes.

A record of the data pack (or an entity of the universe) carries the fields of
every era at once; :func:`shape` adapts it to one response schema:

* properties the schema does not know are dropped (unless it allows others);
* required properties it lacks are filled: from a synonym the record has
  (``alliance_name`` from ``name``, as the 2017 specs named it), else
  generated deterministically (:func:`~esi_testing.fake.generate.generate`);
* a value outside its enum becomes the nearest valid one (``'item'`` in a spec
  that knows only ``station``, ``solar_system``, ``other`` becomes ``other``);
* numbers are kept inside their bounds and format (``int32``), strings inside
  their length and format (``date-time``, ``date``); a value of the
  wrong type is replaced by a generated one.

The result validates against the schema whenever the record could; the app
checks it and serves generated data in the rare case it still does not.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Mapping
from typing import Any

from esi_testing.fake.generate import generate, merge_all_of, seed_for, type_of

__all__ = ["nearest_enum", "shape"]

Resolver = Callable[[Any], Any]

_INT32 = (-(2**31), 2**31 - 1)
_DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# Values that mean "none of the listed ones", preferred to a far-fetched look-alike.
_CATCH_ALL = ("other", "unknown", "Other", "Unknown")


def shape(
    value: Any, schema: Any, resolve: Resolver | None = None, seed: int = 0, *, whole_list: bool = False
) -> Any:
    """Return ``value`` adapted to ``schema``; ``resolve`` follows ``$ref``, ``seed`` fills gaps.

    ``whole_list``: ``value`` is every page of a paged list, so the schema's
    ``maxItems`` (the size of one page) does not cut it.
    """
    shaper = _Shaper(resolve or (lambda node: node), seed)
    if whole_list and isinstance(value, list):
        resolved = shaper.resolve(schema)
        if isinstance(resolved, Mapping) and type_of(resolved, "any") == "array":
            schema = {k: v for k, v in resolved.items() if k != "maxItems"}
    return shaper.value(value, schema, "")


def nearest_enum(value: Any, choices: list[Any]) -> Any:
    """Return ``value`` if it is one of ``choices``, else the nearest one (by spelling, else a catch-all)."""
    if value in choices:
        return value
    texts = [c for c in choices if isinstance(c, str)]
    if isinstance(value, str) and texts:
        close = difflib.get_close_matches(value, texts, n=1, cutoff=0.6)
        if close:
            return close[0]
        lowered = {c.lower(): c for c in texts}
        if value.lower() in lowered:
            return lowered[value.lower()]
        for catch_all in _CATCH_ALL:
            if catch_all in choices:
                return catch_all
        close = difflib.get_close_matches(value, texts, n=1, cutoff=0.0)
        if close:
            return close[0]
    numbers = [c for c in choices if isinstance(c, (int, float)) and not isinstance(c, bool)]
    if isinstance(value, (int, float)) and not isinstance(value, bool) and numbers:
        return min(numbers, key=lambda c: abs(c - value))
    non_null = [c for c in choices if c is not None]
    return non_null[0] if non_null else choices[0]


class _Shaper:
    def __init__(self, resolve: Resolver, seed: int) -> None:
        self.resolve = resolve
        self.seed = seed

    def generated(self, schema: Any, where: str) -> Any:
        return generate(schema, seed_for(self.seed, where), resolve=self.resolve)

    def value(self, value: Any, schema: Any, where: str) -> Any:
        schema = self.resolve(schema)
        if not isinstance(schema, Mapping) or not schema:
            return value
        if "allOf" in schema:
            return self.value(value, merge_all_of(schema, self.resolve), where)
        for key in ("oneOf", "anyOf"):
            if key in schema:
                return self.value(value, self._branch(value, schema[key]), where)
        if value is None:
            return None if _nullable(schema) else self.generated(schema, where)
        if "const" in schema:
            return schema["const"]
        if schema.get("enum"):
            return nearest_enum(value, list(schema["enum"]))
        kind = type_of(schema, "any")
        if kind == "object":
            return (
                self.object(value, schema, where)
                if isinstance(value, Mapping)
                else self.generated(schema, where)
            )
        if kind == "array":
            return (
                self.array(value, schema, where) if isinstance(value, list) else self.generated(schema, where)
            )
        if kind == "integer":
            return self.integer(value, schema, where)
        if kind == "number":
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                return self.generated(schema, where)
            return _clamp(value, schema)
        if kind == "boolean":
            return value if isinstance(value, bool) else self.generated(schema, where)
        if kind == "string":
            return self.string(value, schema, where)
        return value

    def _branch(self, value: Any, branches: list[Any]) -> Any:
        resolved = [self.resolve(b) for b in branches]
        if value is None:
            return next((b for b in resolved if type_of(b, "any") == "null"), resolved[0])
        candidates = [b for b in resolved if type_of(b, "any") != "null"] or resolved
        if isinstance(value, Mapping):
            # The branch sharing the most properties with the value (ESI's unions differ by property).
            return max(candidates, key=lambda b: len(set(b.get("properties") or {}) & set(value)))
        kinds = {bool: "boolean", int: "integer", float: "number", str: "string", list: "array"}
        wanted = kinds.get(type(value))
        return next((b for b in candidates if type_of(b, "any") == wanted), candidates[0])

    def object(self, value: Mapping[str, Any], schema: Mapping[str, Any], where: str) -> dict[str, Any]:
        props: Mapping[str, Any] = schema.get("properties") or {}
        extra = schema.get("additionalProperties")
        out: dict[str, Any] = {}
        for key, item in value.items():
            if key in props:
                if item is None and not _nullable(self.resolve(props[key])):
                    continue  # an optional property without a value is left out
                out[key] = self.value(item, props[key], f"{where}.{key}")
            elif isinstance(extra, Mapping) and extra:
                out[key] = self.value(item, extra, f"{where}.{key}")
            elif extra is True or (not props and extra is None):
                out[key] = item
        for key in schema.get("required") or ():
            if key in out:
                continue
            synonym = _synonym(key, value, props)
            sub = props.get(key, {})
            out[key] = (
                self.value(value[synonym], sub, f"{where}.{key}")
                if synonym is not None
                else self.generated(sub, f"{where}.{key}")
            )
        return out

    def array(self, value: list[Any], schema: Mapping[str, Any], where: str) -> list[Any]:
        items = schema.get("items", {})
        out = [self.value(item, items, f"{where}[{i}]") for i, item in enumerate(value)]
        if schema.get("uniqueItems"):
            unique: list[Any] = []
            for item in out:
                if item not in unique:
                    unique.append(item)
            out = unique
        if "maxItems" in schema:
            out = out[: int(schema["maxItems"])]
        while len(out) < int(schema.get("minItems", 0)):
            out.append(self.generated(items, f"{where}[{len(out)}]"))
        return out

    def integer(self, value: Any, schema: Mapping[str, Any], where: str) -> Any:
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            return self.generated(schema, where)
        if schema.get("format") == "int32" and not _INT32[0] <= value <= _INT32[1]:
            return self.generated(schema, where)
        return _clamp(value, schema)

    def string(self, value: Any, schema: Mapping[str, Any], where: str) -> Any:
        if not isinstance(value, str):
            return self.generated(schema, where)
        # A uuid is left as recorded: ESI's clients read it as text.
        pattern = {"date-time": _DATE_TIME, "date": _DATE}.get(str(schema.get("format")))
        if pattern is not None and not pattern.match(value):
            if schema.get("format") == "date" and _DATE_TIME.match(value):
                return value[:10]
            return self.generated(schema, where)
        if "maxLength" in schema:
            value = value[: int(schema["maxLength"])]
        if len(value) < int(schema.get("minLength", 0)):
            return self.generated(schema, where)
        return value


def _synonym(key: str, value: Mapping[str, Any], props: Mapping[str, Any]) -> str | None:
    """Return the property of ``value`` that carries ``key`` under another era's name."""
    if key.endswith("_name") and "name" in value:
        return "name"  # alliance_name, corporation_name (2017) are today's name
    if key == "name":
        named = [k for k in value if k.endswith("_name") and k not in props]
        if len(named) == 1:
            return named[0]
    if key.startswith("solar_system_") and "system_" + key[len("solar_system_") :] in value:
        return "system_" + key[len("solar_system_") :]
    if key.startswith("system_") and "solar_" + key in value:
        return "solar_" + key
    return None


def _nullable(schema: Any) -> bool:
    if not isinstance(schema, Mapping):
        return True
    kind = schema.get("type")
    return (
        kind == "null"
        or (isinstance(kind, list) and "null" in kind)
        or bool(schema.get("x-nullable") or schema.get("nullable"))
        or (None in (schema.get("enum") or ()))
    )


def _clamp(value: Any, schema: Mapping[str, Any]) -> Any:
    step = 1 if isinstance(value, int) else 1e-9
    low, high = schema.get("minimum"), schema.get("maximum")
    if schema.get("exclusiveMinimum") is True and low is not None:
        low = low + step
    elif isinstance(schema.get("exclusiveMinimum"), (int, float)) and not isinstance(
        schema.get("exclusiveMinimum"), bool
    ):
        low = schema["exclusiveMinimum"] + step
    if schema.get("exclusiveMaximum") is True and high is not None:
        high = high - step
    elif isinstance(schema.get("exclusiveMaximum"), (int, float)) and not isinstance(
        schema.get("exclusiveMaximum"), bool
    ):
        high = schema["exclusiveMaximum"] - step
    if low is not None and value < low:
        value = type(value)(low) if isinstance(value, int) else low
    if high is not None and value > high:
        value = type(value)(high) if isinstance(value, int) else high
    return value
