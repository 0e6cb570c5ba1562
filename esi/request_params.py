"""Build a request's parameters as bravado does, checking valid arguments without jsonschema.

django-esi's specs are built with ``validate_requests``, so bravado's
``construct_params`` validates every marshalled argument with jsonschema
(Draft 4, through bravado-core's ``Swagger20Validator``): about 20 µs a
parameter, and the import of jsonschema on a process's first call.
:func:`construct_params` is bravado's, except that each parameter is first
checked by a function compiled once from its schema (:func:`param_check`):

* a value the check passes is valid for bravado too; it is placed in the request
  by bravado-core's own ``marshal_param``, given the value as marshalled, a copy of
  the parameter without ``format`` and ``items`` (so it is not marshalled twice) and
  a view of the spec whose config says ``validate_requests: False`` (the shared
  spec is never changed);
* a value it does not pass goes to bravado-core's ``validate_schema_object``,
  which raises what it raises today (type and message); should it not raise
  (a value the check is unsure of, such as a ``str`` subclass in an enum), the
  value is placed as above.

A check is compiled only for schemas whose every keyword it reproduces: ``type``
(``integer``, ``number``, ``string``, ``boolean``, ``array``), ``enum`` of
strings and numbers, ``minimum``/``maximum`` (with ``exclusiveMinimum``/
``exclusiveMaximum``), ``minLength``/``maxLength``, ``pattern``,
``minItems``/``maxItems``/``uniqueItems``, ``items`` of those, and the formats
jsonschema's ``FormatChecker`` does not check (``int32``, ``int64``, ``float``,
``double``; not when the spec registers a format of that name). A parameter whose schema has anything else
(``$ref``, ``x-nullable``, objects, ``date-time``, ``uuid``...), a ``None``
value, or a spec that does not validate requests goes through bravado-core's
``marshal_param`` as before.
"""

from __future__ import annotations

import copy
import numbers
import re
import threading
import weakref
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from bravado_core import param as _bravado_param
from bravado_core.exception import SwaggerMappingError
from bravado_core.marshal import marshal_schema_object
from bravado_core.param import get_param_type_spec, marshal_param

__all__ = ["construct_params", "param_check"]

#: A check: True when the marshalled value is valid for the parameter's schema.
Check = Callable[[Any], bool]

#: The Draft 4 validation keywords (jsonschema's ``Draft4Validator.VALIDATORS``) and
#: those bravado-core's ``Swagger20Validator`` adds or reads; any other key is an
#: annotation both ignore (``description``, ``default``, ``collectionFormat``, ``x-scope``...).
VALIDATING_KEYWORDS = frozenset(
    {
        "$ref",
        "additionalItems",
        "additionalProperties",
        "allOf",
        "anyOf",
        "dependencies",
        "enum",
        "format",
        "items",
        "maxItems",
        "maxLength",
        "maxProperties",
        "maximum",
        "minItems",
        "minLength",
        "minProperties",
        "minimum",
        "multipleOf",
        "not",
        "oneOf",
        "pattern",
        "patternProperties",
        "properties",
        "required",
        "type",
        "uniqueItems",
        "discriminator",
        "x-nullable",
    }
)

#: Formats jsonschema's FormatChecker has no checker for, which bravado-core marshals
#: with its default formatters (``int(v)``, ``float(v)``).
UNCHECKED_FORMATS = frozenset({"int32", "int64", "float", "double"})

_HANDLED = frozenset(
    {
        "type",
        "enum",
        "format",
        "items",
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "minLength",
        "maxLength",
        "pattern",
        "minItems",
        "maxItems",
        "uniqueItems",
    }
)


class _Unsupported(Exception):
    """The schema has a keyword (or value) the compiled checks do not reproduce."""


class _Unsure(Exception):
    """The value is of a type whose comparison the check leaves to jsonschema."""


# --- the checks -------------------------------------------------------------------


def _is_integer(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, numbers.Number) and not isinstance(value, bool)


def _is_string(value: Any) -> bool:
    return isinstance(value, str)


def _is_boolean(value: Any) -> bool:
    return isinstance(value, bool)


def _is_array(value: Any) -> bool:
    return isinstance(value, list)


#: Draft 4's types as jsonschema tells them apart (a bool is neither integer nor number).
_TYPES: dict[str, Check] = {
    "integer": _is_integer,
    "number": _is_number,
    "string": _is_string,
    "boolean": _is_boolean,
    "array": _is_array,
}


def _member_test(members: Any) -> Check:
    """Return whether a value is one of ``members`` as jsonschema's ``equal`` compares them.

    For a value of exactly ``str``, ``int`` or ``float`` that is ``==`` (so ``1 == 1.0``,
    never ``1 == "1"``); a bool is one of no strings or numbers (jsonschema's ``unbool``),
    and a value of any other type is left to jsonschema (False).
    """
    if not isinstance(members, list) or not all(type(m) in (str, int, float) for m in members):
        raise _Unsupported("enum")
    strings = frozenset(m for m in members if type(m) is str)
    numbers_ = frozenset(m for m in members if type(m) is not str)

    def test(value: Any) -> bool:
        kind = type(value)
        if kind is str:
            return value in strings
        if kind is int or kind is float:
            return value in numbers_
        return False

    return test


def _unique_key(item: Any) -> Any:
    kind = type(item)
    if kind is str or kind is int:
        return item
    if kind is list:
        return tuple(_unique_key(i) for i in item)
    raise _Unsure


def _unique(value: list[Any]) -> bool:
    """Return whether the items are distinct as jsonschema's ``uniq`` finds them (False if unsure)."""
    try:
        return len({_unique_key(i) for i in value}) == len(value)
    except _Unsure:
        return False


def _all_of(tests: tuple[Check, ...]) -> Check:
    def check(value: Any) -> bool:
        for test in tests:
            if not test(value):
                return False
        return True

    return check


def _compile(schema: Any, formats: set[str], *, is_param: bool) -> Check:
    """Return the check of ``schema`` (a parameter's own, or an ``items``); raise _Unsupported."""
    if not isinstance(schema, Mapping):
        raise _Unsupported("schema")
    kind = schema.get("type")
    if not isinstance(kind, str) or kind not in _TYPES:
        raise _Unsupported("type")
    for key in schema:
        if key in _HANDLED:
            continue
        if key == "required" and is_param and isinstance(schema[key], bool):
            continue  # a parameter's: only a None value fails it, and None is never checked
        if key in VALIDATING_KEYWORDS:
            raise _Unsupported(key)
    tests: list[Check] = [_TYPES[kind]]
    if "format" in schema:
        if schema["format"] not in UNCHECKED_FORMATS:
            raise _Unsupported("format")
        formats.add(schema["format"])
    if "enum" in schema:
        member = _member_test(schema["enum"])
        if kind == "array":  # Swagger20Validator: each item is one of the enum
            tests.append(lambda v: all(member(i) for i in v))
        else:
            tests.append(member)
    for key, strict_key, below in (
        ("minimum", "exclusiveMinimum", True),
        ("maximum", "exclusiveMaximum", False),
    ):
        if key in schema:
            tests.append(_bound(schema[key], bool(schema.get(strict_key, False)), below=below))
    if "minLength" in schema:
        min_length = schema["minLength"]
        tests.append(lambda v: not isinstance(v, str) or not len(v) < min_length)
    if "maxLength" in schema:
        max_length = schema["maxLength"]
        tests.append(lambda v: not isinstance(v, str) or not len(v) > max_length)
    if "pattern" in schema:
        try:
            search = re.compile(schema["pattern"]).search  # what re.search(pattern, v) uses
        except (TypeError, re.error) as exc:
            raise _Unsupported("pattern") from exc
        tests.append(lambda v: not isinstance(v, str) or search(v) is not None)
    if "minItems" in schema:
        min_items = schema["minItems"]
        tests.append(lambda v: not isinstance(v, list) or not len(v) < min_items)
    if "maxItems" in schema:
        max_items = schema["maxItems"]
        tests.append(lambda v: not isinstance(v, list) or not len(v) > max_items)
    if schema.get("uniqueItems"):
        tests.append(lambda v: not isinstance(v, list) or _unique(v))
    if "items" in schema:
        item = _compile(schema["items"], formats, is_param=False)
        tests.append(lambda v: not isinstance(v, list) or all(item(i) for i in v))
    return _all_of(tuple(tests))


def _bound(limit: Any, strict: bool, *, below: bool) -> Check:
    """Return Draft 4's ``minimum`` (``below``) or ``maximum`` test, for numbers only."""
    if not _is_number(limit):
        raise _Unsupported("minimum" if below else "maximum")
    if below:
        if strict:
            return lambda v: not _is_number(v) or not v <= limit
        return lambda v: not _is_number(v) or not v < limit
    if strict:
        return lambda v: not _is_number(v) or not v >= limit
    return lambda v: not _is_number(v) or not v > limit


def _guarded(check: Check) -> Check:
    def guarded(value: Any) -> bool:
        try:
            return check(value)
        except Exception:  # jsonschema meets the same (TypeError of a complex...): it decides
            return False

    return guarded


# --- placing without a second validation --------------------------------------------


class _Config(Mapping[str, Any]):
    """A spec's config, read through, with ``validate_requests`` False."""

    __slots__ = ("_config",)

    def __init__(self, config: Mapping[str, Any]) -> None:
        self._config = config

    def __getitem__(self, key: str) -> Any:
        if key == "validate_requests":
            return False
        return self._config[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._config)

    def __len__(self) -> int:
        return len(self._config)


class _Unvalidated:
    """A read-only view of a bravado ``Spec`` that does not validate requests.

    It holds the spec weakly: it lives as long as the spec (see :data:`_views`).
    """

    __slots__ = ("__weakref__", "_spec", "config")

    def __init__(self, spec: Any) -> None:
        object.__setattr__(self, "_spec", weakref.proxy(spec))
        object.__setattr__(self, "config", _Config(spec.config))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._spec, name)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"{type(self).__name__} is read-only")


class _Compiled:
    """What a parameter is checked and placed with."""

    __slots__ = ("check", "formats", "marshalled", "placer", "type_spec")

    def __init__(self, check: Check, formats: frozenset[str], type_spec: Any, placer: Any) -> None:
        self.check = check
        self.formats = formats
        self.type_spec = type_spec
        self.placer = placer
        #: Whether bravado-core marshals a value (not None) to something else: a primitive
        #: without a format is marshalled to itself (``_no_op_marshaling``).
        self.marshalled = bool(formats) or type_spec.get("type") == "array"


_lock = threading.Lock()
#: Param -> its _Compiled, or None when it has no check; weak, so a spec's params go with it.
_compiled: weakref.WeakKeyDictionary[Any, _Compiled | None] = weakref.WeakKeyDictionary()
#: Spec -> its _Unvalidated view (one per spec: bravado-core memoizes marshalling per spec object).
_views: weakref.WeakKeyDictionary[Any, _Unvalidated] = weakref.WeakKeyDictionary()
_MISSING = object()


def _compile_param(param: Any) -> _Compiled | None:
    spec = param.swagger_spec
    try:
        type_spec = spec.deref(get_param_type_spec(param))
        formats: set[str] = set()
        check = _compile(type_spec, formats, is_param=True)
        view = _views.get(spec)
        if view is None:
            view = _views[spec] = _Unvalidated(spec)
        placer = copy.copy(param)
        placer.swagger_spec = view
        placer.op = weakref.proxy(param.op)  # the cache must not keep the param (op.params) alive
        # Placing reads the type and collectionFormat; without format and items,
        # marshal_param's marshalling of the marshalled value is the identity.
        placed = {k: v for k, v in type_spec.items() if k not in ("format", "items")}
        placer.param_spec = {**param.param_spec, "schema": placed} if param.location == "body" else placed
    except Exception:  # _Unsupported, or a schema bravado will complain about itself
        return None
    return _Compiled(_guarded(check), frozenset(formats), type_spec, placer)


def _compiled_for(param: Any) -> _Compiled | None:
    compiled = _compiled.get(param, _MISSING)
    if compiled is _MISSING:
        with _lock:
            compiled = _compiled.get(param, _MISSING)
            if compiled is _MISSING:
                compiled = _compiled[param] = _compile_param(param)
    return compiled  # type: ignore[return-value]


def param_check(param: Any) -> Check | None:
    """Return the compiled check of a bravado-core ``Param`` (None: bravado validates it).

    The check takes the value as bravado-core marshalled it (``marshal_schema_object``)
    and returns True only if ``validate_schema_object`` would accept it.
    """
    compiled = _compiled_for(param)
    return None if compiled is None else compiled.check


def _marshal(param: Any, value: Any, request: dict[str, Any]) -> None:
    """Do what bravado-core's ``marshal_param(param, value, request)`` does."""
    compiled = _compiled_for(param) if value is not None else None
    spec = param.swagger_spec
    if (
        compiled is None
        or not spec.config.get("validate_requests")
        or (compiled.formats and not compiled.formats.isdisjoint(spec.user_defined_formats))
    ):
        marshal_param(param, value, request)
        return
    if compiled.marshalled:
        value = marshal_schema_object(spec, compiled.type_spec, value)
    if not compiled.check(value):
        # Raises what bravado raises for it (looked up as marshal_param finds it).
        _bravado_param.validate_schema_object(spec, compiled.type_spec, value)
    marshal_param(compiled.placer, value, request)


def construct_params(operation: Any, request: dict[str, Any], op_kwargs: Mapping[str, Any]) -> None:
    """Marshal ``op_kwargs`` into ``request`` as bravado's ``construct_params``, checks compiled.

    Raises what bravado raises: ``SwaggerMappingError`` for an unknown or a missing
    required parameter, jsonschema's ``ValidationError`` for an invalid value.
    """
    current_params = operation.params.copy()
    for param_name, param_value in op_kwargs.items():
        param = current_params.pop(param_name, None)
        if param is None:
            raise SwaggerMappingError(f"{operation.operation_id} does not have parameter {param_name}")
        _marshal(param, param_value, request)
    for remaining_param in current_params.values():
        if remaining_param.location == "header" and remaining_param.name in request["headers"]:
            _marshal(remaining_param, request["headers"][remaining_param.name], request)
        else:
            if remaining_param.required:
                raise SwaggerMappingError(f"{remaining_param.name} is a required parameter")
            if remaining_param.has_default():
                marshal_param(remaining_param, None, request)
