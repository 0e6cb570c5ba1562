"""Compile a response schema into a function that checks and converts decoded JSON in place.

See :mod:`esi.unmarshal` for what is checked and converted.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from typing import Any

from bravado_core.formatter import DEFAULT_FORMATS
from bravado_core.schema import get_type_from_schema

from esi.errors import ResponseValidationError
from esi.unmarshal.dates import parse_date, parse_date_time

__all__ = ["Converter", "compile_converter"]

Converter = Callable[[Any], Any]

# Keywords the generated code handles; a schema using any other keyword falls back to bravado-core.
_ANNOTATIONS = {"description", "title", "example", "readOnly", "externalDocs", "xml", "x-model", "x-scope"}
_HANDLED = _ANNOTATIONS | {
    "type", "format", "enum", "default", "x-nullable", "properties", "required", "additionalProperties",
    "items", "minItems", "maxItems", "uniqueItems", "minimum", "maximum", "exclusiveMinimum",
    "exclusiveMaximum", "minLength", "maxLength", "pattern",
}  # fmt: skip
_UNTYPED = _ANNOTATIONS | {"enum", "default", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"}
_UNTYPED |= {"minLength", "maxLength", "pattern"}
_PRIMITIVE_TYPES = {"integer": (int,), "number": (float, int), "string": (str,), "boolean": (bool,)}


class _Sensitive:
    def __repr__(self) -> str:
        return "***"


_SENSITIVE = _Sensitive()


class _Mismatch(Exception):
    """A value does not match its schema; ``path`` grows as the error leaves each container."""

    def __init__(self, expected: str, value: Any, *path: Any, missing: bool = False, text: str = "") -> None:
        super().__init__(expected)
        self.expected, self.value, self.path = expected, value, list(path)
        self.missing, self.text = missing, text

    def describe(self, name: str) -> str:
        path = "$" + "".join(
            f"[{p}]" if isinstance(p, int) else f".{p}" if str(p).isidentifier() else f"[{p!r}]"
            for p in self.path
        )
        if self.missing or self.text:
            return f"response of {name}: {path}: {self.text or 'required property is missing'}"
        got = repr(self.value)
        got = got if len(got) <= 80 else got[:77] + "..."
        return f"response of {name}: {path}: expected {self.expected}, got {got}"


def _index(items: list, item: Any) -> int:
    """Return the position of ``item`` in ``items``; the first one is the one that failed."""
    return next(i for i, x in enumerate(items) if x is item)


def _validator(schema: dict) -> Callable[[Any], bool]:
    """Return a Draft 4 check of ``schema`` (as bravado-core's validator would judge it)."""
    from jsonschema import Draft4Validator

    return Draft4Validator(schema).is_valid


def _unique(items: list) -> bool:
    try:
        if len(set(items)) == len(items):  # a set may merge 1 and True; jsonschema tells them apart
            return True
    except TypeError:
        pass
    return _validator({"uniqueItems": True})(items)


class _Compiler:
    """Generate the source of one converter; see :func:`compile_converter`."""

    def __init__(self, swagger_spec: Any) -> None:
        self.spec = swagger_spec
        self.deref = swagger_spec.deref
        self.fill_missing = swagger_spec.config.get("include_missing_properties", True)
        self.ns: dict[str, Any] = {
            "_M": _Mismatch, "_index": _index, "_unique": _unique, "_MISSING": object(),
            "_dt": parse_date_time, "_SENSITIVE": _SENSITIVE, "_date": parse_date, "_deepcopy": copy.deepcopy,
        }  # fmt: skip
        self.functions: dict[int, str] = {}
        self.sources: list[str] = []

    def const(self, value: Any) -> str:
        name = f"_c{len(self.ns)}"
        self.ns[name] = value
        return name

    def function(self, schema: dict) -> str:
        """Return the name of the function that checks a container schema in place, generating it once."""
        key = id(schema)
        if key not in self.functions:
            name = self.functions[key] = f"_f{len(self.functions)}"
            var = "o" if get_type_from_schema(self.spec, schema) == "object" else "a"
            body = self.object_body(schema, var) if var == "o" else self.array_body(schema, var)
            self.sources.append(f"def {name}({var}):\n" + "".join(f"    {line}\n" for line in body))
        return self.functions[key]

    def is_plain(self, schema: dict) -> bool:
        """Return True when the generated code handles every keyword of ``schema``."""
        kind = get_type_from_schema(self.spec, schema)
        if kind not in (None, "object", "array", *_PRIMITIVE_TYPES) or "$ref" in schema:
            return False
        # An untyped schema is compiled only with checks that need no type: bravado-core's validator
        # applies `properties`, `items`, `format`... to any value of the right kind, without converting.
        handled = _UNTYPED if kind is None else _HANDLED
        return all(key in handled or key.startswith("x-") for key in schema)

    def default(self, schema: dict) -> str | None:
        """Return an expression for the unmarshalled default of ``schema``, or None without one."""
        if schema.get("default") is None:
            return None
        from bravado_core.unmarshal import unmarshal_schema_object

        value = unmarshal_schema_object(self.spec, schema, copy.deepcopy(schema["default"]))
        if isinstance(value, (list, dict)):
            return f"_deepcopy({self.const(value)})"
        return self.const(value)

    def value(self, schema: Any, var: str, seg: str, store: str) -> list[str]:
        """Return lines that check ``var``; a converted value is written with ``store`` (a format string).

        ``seg`` is the expression of the path segment for errors raised here.
        """
        schema = self.deref(schema)
        if not self.is_plain(schema):
            fallback = self.const(self.fallback(schema))
            return [store.format(f"{fallback}({var}, {seg})")]
        kind = get_type_from_schema(self.spec, schema)
        if kind in ("object", "array"):
            call = f"{self.function(schema)}({var})"
            checks = [f"try: {call}", f"except _M as e: e.path.insert(0, {seg}); raise"]
        else:
            checks = self.primitive(schema, kind, var, seg, store)
        if not schema.get("x-nullable"):
            return checks
        default = self.default(schema)
        none_case = [store.format(default)] if default else ["pass"]
        return [f"if {var} is None:", *indent(none_case), "else:", *indent(checks or ["pass"])]

    def primitive(self, schema: dict, kind: str | None, var: str, seg: str, store: str) -> list[str]:
        lines: list[str] = []
        shown = self.shown(schema, var)

        def check(bad: str, expected: str) -> None:
            lines.extend([f"if {bad}:", f"    raise _M({expected!r}, {shown}, {seg})"])

        if self.to_float(schema, kind):
            # A number that bravado-core turns into a float: type check and conversion in one.
            lines += [
                f"if type({var}) is not float:",
                f"    if type({var}) is int:",
                "        " + store.format(f"float({var})"),
            ]
            lines += ["    else:", f"        raise _M('number', {shown}, {seg})"]
        elif kind is not None:
            check(" and ".join(f"type({var}) is not {t.__name__}" for t in _PRIMITIVE_TYPES[kind]), kind)
        if "enum" in schema:
            values = schema["enum"]
            if kind is None:  # `in` would take True for 1: let jsonschema compare
                check(f"not {self.const(_validator({'enum': values}))}({var})", f"one of {values}")
            else:
                check(f"{var} not in {self.const(frozenset(values))}", f"one of {values}")
        guard = "" if kind in ("integer", "number") else f"type({var}) in (int, float) and "
        for key, op, sign in (("minimum", "<", ">"), ("maximum", ">", "<")):
            if key in schema:
                strict = schema.get(f"exclusive{key.title()}", False)
                bound = schema[key]
                expected = f"{kind or 'number'} {sign if strict else sign + '='} {bound}"
                check(f"{guard}{var} {op if not strict else op + '='} {bound!r}", expected)
        guard = "" if kind == "string" else f"type({var}) is str and "
        for key, op, words in (("minLength", "<", "at least"), ("maxLength", ">", "at most")):
            if key in schema:
                check(f"{guard}len({var}) {op} {schema[key]}", f"string of {words} {schema[key]} characters")
        if "pattern" in schema:
            regex = self.const(re.compile(schema["pattern"]))
            check(f"{guard}{regex}.search({var}) is None", f"string matching {schema['pattern']!r}")
        return lines + self.format(schema, kind, var, seg, store)

    @staticmethod
    def shown(schema: dict, var: str) -> str:
        """Return what an error shows of ``var``: ``***`` for an ``x-sensitive`` value, as bravado-core."""
        return "_SENSITIVE" if schema.get("x-sensitive") else var

    def to_float(self, schema: dict, kind: str | None) -> bool:
        fmt = schema.get("format")
        return kind == "number" and fmt in ("float", "double") and fmt not in self.spec.user_defined_formats

    def unchanged_types(self, schema: dict) -> frozenset[type] | None:
        """Return the item types for which ``schema`` needs no check beyond type and enum, nor a conversion."""
        kind = get_type_from_schema(self.spec, schema)
        if kind not in _PRIMITIVE_TYPES or not self.is_plain(schema):
            return None
        if any(key in schema for key in ("minimum", "maximum", "minLength", "maxLength", "pattern")):
            return None
        types: set[type] = set(_PRIMITIVE_TYPES[kind])
        fmt = schema.get("format")
        if fmt is not None and fmt not in self.spec.user_defined_formats:
            if kind == "number" and fmt in ("float", "double", "int32", "int64"):
                types = {float} if fmt in ("float", "double") else {int}
            elif not (kind in ("integer", "boolean") or self.format(schema, kind, "v", "", "{}") == []):
                return None
        elif fmt is not None:
            return None
        if schema.get("x-nullable"):
            if self.default(schema):
                return None
            types.add(type(None))
        return frozenset(types)

    def format(self, schema: dict, kind: str | None, var: str, seg: str, store: str) -> list[str]:
        fmt, shown = schema.get("format"), self.shown(schema, var)
        if fmt is None or kind is None:
            return []
        if fmt not in self.spec.user_defined_formats:
            if kind == "string" and fmt in ("date-time", "date"):
                parse = "_dt" if fmt == "date-time" else "_date"
                expected = "RFC 3339 date-time" if fmt == "date-time" else "date (YYYY-MM-DD)"
                return [f"w = {parse}({var})", "if w is None:", f"    raise _M({expected!r}, {shown}, {seg})", store.format("w")]  # fmt: skip
            if self.to_float(schema, kind):
                return []  # done with the type check
            if kind == "number" and fmt in ("int32", "int64"):
                return [f"if type({var}) is float:", "    " + store.format(f"int({var})")]
            if kind in ("integer", "boolean") or (
                fmt == "byte" and not self.spec.config["use_base64_for_byte_format"]
            ):
                return []
        known = fmt in self.spec.user_defined_formats or fmt in DEFAULT_FORMATS  # else get_format() warns
        formatter = self.spec.get_format(fmt) if known else None
        checker = self.spec.format_checker
        lines = []
        if fmt in checker.checkers or fmt in self.spec.user_defined_formats:
            lines += [f"if not {self.const(checker)}.conforms({var}, {fmt!r}):", f"    raise _M({fmt!r}, {shown}, {seg})"]  # fmt: skip
        if formatter is not None:
            to_python = self.const(formatter.to_python)
            lines += ["try:", f"    w = {to_python}({var})", "except Exception:"]
            lines += [f"    raise _M({fmt!r}, {shown}, {seg}) from None", store.format("w")]
        return lines

    def object_body(self, schema: dict, var: str) -> list[str]:
        lines = [
            f"if type({var}) is not dict and not isinstance({var}, dict):",
            f"    raise _M('object', {var})",
        ]
        properties = {name: self.deref(s) for name, s in (schema.get("properties") or {}).items()}
        required = [name for name in schema.get("required", []) if isinstance(name, str)]
        if required:
            # Only the look-ups in the try: a KeyError from anything else is not a missing property.
            fetch = [f"v{i} = {var}[{name!r}]" for i, name in enumerate(required)]
            lines += ["try:", *indent(fetch), "except KeyError as e:", "    raise _M('', None, e.args[0], missing=True) from None"]  # fmt: skip
        for i, name in enumerate(required):
            if name in properties:
                lines += self.value(properties[name], f"v{i}", repr(name), f"{var}[{name!r}] = {{}}")
        for name, prop in properties.items():
            if name in required:
                continue
            checks = self.value(prop, "v", repr(name), f"{var}[{name!r}] = {{}}")
            lines += [f"v = {var}.get({name!r}, _MISSING)"]
            if self.fill_missing:
                default = self.default(prop)
                lines += ["if v is _MISSING:", f"    {var}[{name!r}] = {default or 'None'}"]
                lines += ["else:", *indent(checks)] if checks else []
            elif checks:
                lines += ["if v is not _MISSING:", *indent(checks)]
        extra = schema.get("additionalProperties", True)
        names = self.const(frozenset(properties))
        if extra is False:
            lines += [
                f"if not {names}.issuperset({var}):",
                f"    k = next(k for k in {var} if k not in {names})",
            ]
            lines += [f"    raise _M('no property of this name', {var}[k], k)"]
        elif extra not in (True, {}):
            checks = self.value(extra, "v", "k", f"{var}[k] = {{}}")
            if checks:
                lines += [
                    f"for k in [k for k in {var} if k not in {names}]:",
                    f"    v = {var}[k]",
                    *indent(checks),
                ]
        return lines

    def array_body(self, schema: dict, var: str) -> list[str]:
        lines = [
            f"if type({var}) is not list and not isinstance({var}, list):",
            f"    raise _M('array', {var})",
        ]
        if "minItems" in schema:
            lines += [f"if len({var}) < {schema['minItems']}:", f"    raise _M('array of at least {schema['minItems']} items', {var})"]  # fmt: skip
        if "maxItems" in schema:
            lines += [f"if len({var}) > {schema['maxItems']}:", f"    raise _M('array of at most {schema['maxItems']} items', {var})"]  # fmt: skip
        if schema.get("uniqueItems"):
            lines += [f"if not _unique({var}):", f"    raise _M('array of unique items', {var})"]
        if "items" not in schema:
            return lines
        item = self.deref(schema["items"])
        kind = get_type_from_schema(self.spec, item)
        if kind in ("object", "array") and self.is_plain(item) and not item.get("x-nullable"):
            # The hot path (a page of objects): the item's checks inline in the loop, index found on failure.
            inline = kind == "object" and id(item) not in self.functions
            body = self.object_body(item, "x") if inline else [f"{self.function(item)}(x)"]
            loop = ["try:", f"    for x in {var}:", *indent(body, 2), "except _M as e:"]
            return lines + loop + [f"    e.path.insert(0, _index({var}, x))", "    raise"]
        checks = self.value(item, "x", "i", f"{var}[i] = {{}}")
        if not checks:
            return lines
        loop = [f"for i, x in enumerate({var}):", *indent(checks)]
        types = self.unchanged_types(item)
        if types is not None:
            # Items needing no conversion: check them in C; loop only to convert some or name a bad one.
            test = f"{self.const(types)}.issuperset(map(type, {var}))"
            if "enum" in item:
                enum = frozenset(x for x in item["enum"] if x is not None)
                test += f" and {self.const(enum | {None})}.issuperset({var})"
            return lines + [f"if not ({test}):", *indent(loop)]
        return lines + loop

    def fallback(self, schema: dict) -> Callable[[Any, Any], Any]:
        """Return a converter that runs bravado-core's own validation and unmarshalling."""
        from bravado_core.swagger20_validator import get_validator_type
        from bravado_core.unmarshal import unmarshal_schema_object
        from jsonschema import ValidationError

        spec = self.spec
        validator_type = get_validator_type(spec)

        def convert(value: Any, segment: Any) -> Any:
            try:
                # The validator bravado-core runs on the whole body, whatever the schema's type.
                validator_type(schema, format_checker=spec.format_checker, resolver=spec.resolver).validate(
                    value
                )
                return unmarshal_schema_object(spec, schema, value)
            except ValidationError as e:
                text = e.message
                if isinstance(e.schema, dict) and e.schema.get("x-sensitive"):  # as bravado-core scrubs it
                    text = "***" + text[len(str(e.instance)) :]
                raise _Mismatch("", None, segment, *e.absolute_path, text=text) from None
            except Exception as e:  # bravado-core's own refusal (SwaggerMappingError, ValueError, ...)
                raise _Mismatch("", None, segment, text=f"{type(e).__name__}: {e}") from None

        return convert


def indent(lines: list[str], levels: int = 1) -> list[str]:
    return ["    " * levels + line for line in lines]


def compile_converter(swagger_spec: Any, schema: Any, name: str = "response") -> Converter:
    """Return a function that checks and converts a decoded JSON value of ``schema`` in place.

    ``swagger_spec`` is the bravado-core ``Spec`` (its ``deref``, config and formats are used);
    ``name`` appears in error messages. The function returns the converted value and raises
    :class:`~esi.errors.ResponseValidationError` on a mismatch.
    """
    compiler = _Compiler(swagger_spec)
    if get_type_from_schema(swagger_spec, swagger_spec.deref(schema)) is None:
        return lambda value: value  # bravado-core neither checks nor converts an untyped body
    top = compiler.value(schema, "value", "None", "value = {}") or ["pass"]
    source = "\n".join(compiler.sources) + "\ndef root(value):\n" + "".join(f"    {line}\n" for line in top)
    source += "    return value\n"
    exec(compile(source, f"<esi converter {name}>", "exec"), compiler.ns)
    root = compiler.ns["root"]

    def convert(value: Any) -> Any:
        try:
            return root(value)
        except _Mismatch as e:
            if e.path[:1] == [None]:
                del e.path[0]
            raise ResponseValidationError(e.describe(name)) from None

    convert.source = source  # type: ignore[attr-defined]  # for debugging a schema's checks
    return convert
