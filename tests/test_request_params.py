"""esi.request_params: bravado's construct_params without jsonschema for valid arguments.

Differential over the parameters of the bundled specs (the ``latest`` Swagger
snapshot and the converted OpenAPI compatibility-date snapshot) and of the real
compatibility dates in ``../shared/esi-specs``: for each distinct parameter
(name, location and schema) of a spec, values valid and invalid (defaults, enum members,
boundaries and one past them, wrong types, bools for integers, ``1.0`` and
``"5"`` for integers, ``None``, too-long arrays, duplicate items, non-ASCII
strings, pattern misses, a ``str`` subclass, ``Decimal``...) give the same
request as bravado's ``construct_params``, or the same exception with the same
message (in the bundled specs, every parameter of every operation also with a
valid value and a few invalid ones); and the compiled check agrees with bravado-core's
``validate_schema_object`` on every marshalled value (for values of other than
builtin types it may leave to jsonschema what is valid, never pass what is not).
"""

from __future__ import annotations

import copy
import decimal
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import bravado_core.param
import bravado_core.validate
import pytest
from bravado.client import construct_params as bravado_construct_params
from bravado_core.exception import SwaggerMappingError
from bravado_core.marshal import marshal_schema_object
from bravado_core.param import get_param_type_spec
from bravado_core.validate import validate_schema_object
from jsonschema import Draft4Validator

from esi import request_params
from esi.request_params import VALIDATING_KEYWORDS, construct_params, param_check
from esi.spec import SpecRequest, clear_memory_cache, get_spec

BUNDLED = (SpecRequest(), SpecRequest(compatibility_date="2025-12-16"))
SHARED_DATES = ("2020-01-01", "2025-08-26", "2025-12-16", "2026-05-19", "2026-08-04")


class Str(str):
    """A str subclass: valid as a string, left to jsonschema as an enum member."""


EXOTIC = (decimal.Decimal("1"), Str("en"), Str("all"), 1 + 2j)
GENERIC = (None, True, False, 0, 1, -1, 1.0, 1.5, 2**63, float("nan")) + (
    "1",
    "abc",
    "",
    b"x",
    [],
    [1],
    {},
    (1, 2),
)


def _exotic(value: Any) -> bool:
    if isinstance(value, (list, tuple)):
        return any(_exotic(v) for v in value)
    return type(value) in (decimal.Decimal, Str, complex)


# --- values ---------------------------------------------------------------------------


def _distinct(schema: dict[str, Any], n: int) -> list[Any]:
    """Return ``n`` items for an array of ``schema`` items, distinct where they can be."""
    kind = schema.get("type")
    if "enum" in schema:
        members = schema["enum"]
        return [members[i % len(members)] for i in range(n)]
    if kind == "array":
        inner = schema.get("items", {})
        size = max(schema.get("minItems", 1), 1)
        return [_distinct({**inner, "minimum": i * size + 1}, size) for i in range(n)]
    if kind in ("integer", "number"):
        start = schema.get("minimum", 1)
        return [start + i for i in range(n)]
    if kind == "string":
        width = max(schema.get("minLength", 0), len(str(n)) + 1)
        return [f"n{i}".ljust(width, "x")[: schema.get("maxLength", 10**6)] for i in range(n)]
    return [i for i in range(n)]


def _values(schema: dict[str, Any], depth: int = 0) -> list[Any]:
    """Return values for a parameter (or items) of ``schema``: valid ones and invalid ones."""
    out: list[Any] = list(GENERIC) + list(EXOTIC)
    if "default" in schema:
        out.append(schema["default"])
    for member in schema.get("enum", []):
        out.append(member)
        if isinstance(member, str):
            out += [member + "x", member.upper(), " " + member, Str(member)]
    kind = schema.get("type")
    if kind in ("integer", "number"):
        for key in ("minimum", "maximum"):
            if key in schema:
                bound = schema[key]
                out += [bound, bound - 1, bound + 1, float(bound), str(bound), bound - 0.5, bound + 0.5, True]
        out += [2**31 - 1, 2**31, 10000002, "10000002", "12x", 1e300, float("inf")]
    if kind == "string":
        for key in ("minLength", "maxLength"):
            if key in schema:
                n = schema[key]
                out += ["a" * n, "a" * (n + 1), "é" * n, "é" * (n + 1), "😀" * n, "😀" * (n + 1)]
                if n:
                    out += ["a" * (n - 1), "😀" * (n - 1)]
        if "pattern" in schema:
            out += ["zzz", " ", "ÆØÅ", "x1y", "ab\n"]
        out += ["Rifter", "ÆØÅ", "30000142", "en-us"]
    if kind == "array" and depth < 2:
        items = schema.get("items", {})
        low, high = schema.get("minItems", 0), schema.get("maxItems", 4)
        for n in {0, 1, 2, low, max(low - 1, 0), high, high + 1}:
            out.append(_distinct(items, n))
        two = _distinct(items, 2)
        out += [
            [two[0], two[0]],  # duplicate items
            tuple(two),
            [two[0], None],
            [two[0], True],
            [True, 1],
            [1, 1.0],
            [two[0], "x"],
            [two[0], 1.0],
            [two[0], [two[0]]],
            [decimal.Decimal(1)],
        ]
        out += [[v] for v in _values(items, depth + 1)]
    return out


def _valid(schema: dict[str, Any]) -> Any:
    """Return a value bravado accepts for ``schema``, where one is easy to name."""
    if "default" in schema:
        return schema["default"]
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    if kind == "array":
        return _distinct(schema.get("items", {}), max(schema.get("minItems", 1), 1))
    if kind in ("integer", "number"):
        return schema.get("minimum", 1)
    if kind == "string":
        return "a" * max(schema.get("minLength", 3), 3)
    if kind == "boolean":
        return True
    return {}


# --- the operations -------------------------------------------------------------------


def _operations(prepared: Any) -> Iterator[Any]:
    spec = prepared.spec
    for resource in spec.resources.values():
        for op_id in resource.operations:
            yield resource.operations[op_id]


def _type_spec(param: Any) -> dict[str, Any]:
    return param.swagger_spec.deref(get_param_type_spec(param))


def _request(op: Any, headers: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "method": op.http_method.upper(),
        "url": "https://esi.evetech.net/latest" + op.path_name,
        "params": {},
        "headers": dict(headers or {}),
    }


def _outcome(build: Any, op: Any, kwargs: dict[str, Any], headers: dict[str, Any] | None = None) -> Any:
    request = _request(op, headers)
    try:
        build(op, request, copy.deepcopy(kwargs))
    except Exception as exc:
        return ("raised", type(exc), str(exc))
    return ("built", repr(request))


def _check_agrees(param: Any, value: Any) -> None:
    check = param_check(param)
    if check is None or value is None:
        return
    spec, schema = param.swagger_spec, _type_spec(param)
    try:
        marshalled = marshal_schema_object(spec, schema, copy.deepcopy(value))
    except Exception:
        return  # bravado raises before it validates; construct_params is compared above
    passed = check(marshalled)
    try:
        validate_schema_object(spec, schema, marshalled)
    except Exception:
        valid = False
    else:
        valid = True
    if _exotic(value):
        assert valid or not passed, f"{param.name}: the check passed {value!r}, bravado rejects it"
    else:
        assert passed == valid, f"{param.name}: the check says {passed} for {value!r}, bravado {valid}"


def _shape(param: Any) -> str:
    return repr((param.name, param.location, param.required, _type_spec(param)))


def _compare_operation(op: Any, seen: set[str], *, again: bool) -> tuple[int, int]:
    """Compare the values of every parameter of ``op``; return (compiled, fallback) counts.

    A parameter of a shape (name, location, schema) in ``seen`` is compared with a few
    values (``again``) or not at all; the others with every value, and added to ``seen``.
    """
    required = {
        name: _valid(_type_spec(p)) for name, p in op.params.items() if p.required and p.location != "header"
    }
    compiled = fallback = 0
    for name, param in op.params.items():
        schema = _type_spec(param)
        if param_check(param) is None:
            fallback += 1
        else:
            compiled += 1
        if _shape(param) in seen:
            if not again:
                continue
            values = [_valid(schema), None, True, 1.5, "abc", [_valid(schema)]]
        else:
            seen.add(_shape(param))
            values = _values(schema)
        for value in values:
            others = {k: v for k, v in required.items() if k != name}
            kwargs = {name: value, **others}  # the parameter under test is marshalled first
            ours = _outcome(construct_params, op, kwargs)
            theirs = _outcome(bravado_construct_params, op, kwargs)
            assert ours == theirs, f"{op.operation_id} {name}={value!r}"
            if param.location == "header":
                ours = _outcome(construct_params, op, others, {param.name: value})
                theirs = _outcome(bravado_construct_params, op, others, {param.name: value})
                assert ours == theirs, f"{op.operation_id} header {param.name}: {value!r}"
            _check_agrees(param, value)
    return compiled, fallback


def _compare_spec(prepared: Any, *, every_operation: bool) -> tuple[int, int, Counter[str]]:
    """Compare every parameter shape of a spec with every value; each of ``every_operation`` too."""
    compiled = fallback = 0
    reasons: Counter[str] = Counter()
    seen: set[str] = set()
    for op in _operations(prepared):
        c, f = _compare_operation(op, seen, again=every_operation)
        compiled, fallback = compiled + c, fallback + f
        for param in op.params.values():
            if param_check(param) is None:
                reasons[_reason(param)] += 1
    return compiled, fallback, reasons


def _reason(param: Any) -> str:
    try:
        request_params._compile(_type_spec(param), set(), is_param=True)
    except request_params._Unsupported as exc:
        schema = _type_spec(param)
        detail = schema.get(str(exc)) if str(exc) in ("type", "format") else ""
        return f"{exc} {detail}".strip()
    return "compiled"


def _report(capsys: pytest.CaptureFixture, label: str, counts: tuple[int, int, Counter[str]]) -> None:
    compiled, fallback, reasons = counts
    with capsys.disabled():
        print(
            f"\n{label}: {compiled} parameters with a compiled check, {fallback} to bravado ({dict(reasons)})"
        )


# --- tests ----------------------------------------------------------------------------


def test_the_keywords_are_jsonschemas_draft4_and_bravados():
    from bravado_core.swagger20_validator import get_validator_type

    assert VALIDATING_KEYWORDS - {"discriminator", "x-nullable"} == set(Draft4Validator.VALIDATORS)
    extended = get_validator_type(
        get_spec(SpecRequest())
        .spec.resources["Market"]
        .operations["get_markets_region_id_orders"]
        .swagger_spec
    )
    assert set(extended.VALIDATORS) <= VALIDATING_KEYWORDS


def test_the_formats_left_unchecked_are_not_jsonschemas():
    from jsonschema import FormatChecker

    assert not request_params.UNCHECKED_FORMATS & set(FormatChecker().checkers)


@pytest.mark.parametrize("request_", BUNDLED, ids=lambda r: r.label)
def test_every_parameter_of_the_bundled_specs_builds_as_bravados(request_, capsys):
    counts = _compare_spec(get_spec(request_), every_operation=True)
    _report(capsys, request_.label, counts)
    compiled, fallback, reasons = counts
    assert compiled > 10 * fallback
    assert set(reasons) <= {"type object", "format uuid"}, reasons


@pytest.fixture
def shared_family(settings, shared_specs: Path) -> Iterator[Path]:
    """Point the snapshot directories at ``../shared/esi-specs`` (every compatibility date)."""
    settings.ESI_SPEC_SNAPSHOT_DIRS = [str(shared_specs)]
    clear_memory_cache()
    yield shared_specs
    clear_memory_cache()


@pytest.mark.parametrize("date", SHARED_DATES)
def test_every_parameter_of_the_real_compatibility_dates_builds_as_bravados(shared_family, date, capsys):
    request_ = SpecRequest(compatibility_date=date)
    counts = _compare_spec(get_spec(request_), every_operation=False)  # each shape once: the run's time
    _report(capsys, request_.label, counts)
    assert counts[0] > 10 * counts[1]


#: What ESI's specs do not have: patterns, exclusive bounds, numbers, enums of numbers and of
#: arrays, nested arrays, a body of strings, formats and nullables bravado validates.
SYNTHETIC_PARAMS = [
    {"name": "thing_id", "in": "path", "required": True, "type": "integer", "format": "int64", "maximum": 10},
    {"name": "word", "in": "query", "type": "string", "pattern": "^[a-z]+$", "minLength": 2, "maxLength": 5},
    {
        "name": "inside",
        "in": "query",
        "type": "number",
        "minimum": 0,
        "exclusiveMinimum": True,
        "maximum": 10,
        "exclusiveMaximum": True,
    },
    {"name": "digits", "in": "query", "type": "string", "pattern": "[0-9]"},
    {"name": "amount", "in": "query", "type": "number"},
    {"name": "ratio", "in": "query", "required": True, "type": "number", "format": "float", "minimum": -1.5},
    {"name": "level", "in": "query", "type": "integer", "enum": [1, 2, 3]},
    {"name": "weight", "in": "query", "type": "number", "enum": [1, 2.5]},
    {"name": "letters", "in": "query", "type": "array", "items": {"type": "string"}, "enum": ["a", "b"]},
    {
        "name": "pairs",
        "in": "query",
        "type": "array",
        "uniqueItems": True,
        "maxItems": 3,
        "items": {"type": "array", "collectionFormat": "pipes", "items": {"type": "integer", "minimum": 0}},
    },
    {"name": "flag", "in": "query", "type": "boolean"},
    {"name": "X-Code", "in": "header", "type": "string", "maxLength": 3},
    {"name": "since", "in": "query", "type": "string", "format": "date-time"},
    {"name": "maybe", "in": "query", "type": "integer", "x-nullable": True},
    {
        "name": "names",
        "in": "body",
        "schema": {
            "type": "array",
            "uniqueItems": True,
            "maxItems": 3,
            "items": {"type": "string", "minLength": 1},
        },
    },
]


def test_every_keyword_the_checks_reproduce_builds_as_bravados():
    from bravado_core.spec import Spec

    spec_dict = {
        "swagger": "2.0",
        "info": {"title": "t", "version": "1"},
        "paths": {
            "/things/{thing_id}/": {
                "post": {
                    "operationId": "post_thing",
                    "tags": ["Things"],
                    "parameters": SYNTHETIC_PARAMS,
                    "responses": {"200": {"description": "ok"}},
                }
            }
        },
    }
    spec = Spec.from_dict(spec_dict, config={"validate_swagger_spec": True, "validate_requests": True})
    op = spec.resources["Things"].operations["post_thing"]
    compiled, fallback = _compare_operation(op, set(), again=False)
    assert (compiled, fallback) == (len(SYNTHETIC_PARAMS) - 2, 2)


def test_unknown_and_missing_parameters_raise_as_bravado():
    op = get_spec(SpecRequest()).spec.resources["Market"].operations["get_markets_region_id_orders"]
    for kwargs in ({"region_id": 1, "order_type": "all", "colour": 1}, {"order_type": "all"}, {}):
        ours = _outcome(construct_params, op, kwargs)
        assert ours == _outcome(bravado_construct_params, op, kwargs)
        assert ours[:2] == ("raised", SwaggerMappingError)


# --- the shape of a check -------------------------------------------------------------


def _check_of(schema: dict[str, Any]) -> Any:
    return request_params._guarded(request_params._compile(schema, set(), is_param=True))


@pytest.mark.parametrize(
    ("schema", "valid", "invalid"),
    [
        ({"in": "query", "type": "integer"}, [0, -5, 2**70], [True, False, 1.0, "1", None, [1]]),
        ({"in": "query", "type": "number"}, [0, 1.5, decimal.Decimal(2)], [True, "1", None]),
        (
            {"in": "query", "type": "integer", "minimum": 1, "exclusiveMaximum": True, "maximum": 5},
            [1, 4],
            [0, 5],
        ),
        ({"in": "query", "type": "string", "enum": ["a", "b"]}, ["a", "b"], ["c", "A", 1, True]),
        ({"in": "query", "type": "integer", "enum": [1, 2]}, [1, 2], [True, 3, "1"]),
        ({"in": "query", "type": "number", "enum": [1, 2]}, [1.0, 2], [True, 1.5]),
        ({"in": "query", "type": "string", "maxLength": 2}, ["ab", "😀😀", "éé"], ["abc", "😀😀😀"]),
        ({"in": "query", "type": "string", "pattern": "^[0-9]+$"}, ["12"], ["1a", ""]),
        ({"in": "query", "type": "string", "pattern": "b"}, ["abc"], ["a"]),
        (
            {"in": "body", "type": "array", "items": {"type": "integer"}, "uniqueItems": True, "maxItems": 2},
            [[], [1, 2]],
            [[1, 1], [1, 2, 3], [1, True], [1.0], (1,)],
        ),
        (
            {
                "in": "query",
                "type": "array",
                "items": {"type": "array", "items": {"type": "integer"}},
                "uniqueItems": True,
            },
            [[[1, 2], [2, 1]]],
            [[[1, 2], [1, 2]], [[1, "2"]]],
        ),
        (
            {"in": "query", "type": "array", "items": {"type": "string"}, "enum": ["a", "b"]},
            [["a", "b"]],
            [["c"]],
        ),
    ],
)
def test_a_check_passes_what_draft4_passes(schema, valid, invalid):
    check = _check_of(schema)
    for value in valid:
        assert check(value) is True, value
    for value in invalid:
        assert check(value) is False, value


@pytest.mark.parametrize(
    "schema",
    [
        {"in": "query", "type": "string", "format": "date-time"},
        {"in": "query", "type": "string", "format": "uuid"},
        {"in": "query", "type": "integer", "x-nullable": True},
        {"in": "query", "type": "integer", "multipleOf": 2},
        {"in": "body", "type": "object", "properties": {}},
        {"in": "query", "type": "array", "items": {"$ref": "#/definitions/X"}},
        {"in": "query", "type": "string", "enum": ["a", None]},
        {"in": "body", "type": "array", "items": {"type": "integer"}, "required": ["a"]},
        {"in": "query", "type": "file"},
        {"in": "query"},
    ],
)
def test_a_schema_with_what_the_checks_do_not_reproduce_has_none(schema):
    with pytest.raises(request_params._Unsupported):
        request_params._compile(schema, set(), is_param=True)


# --- through a client: no jsonschema for a valid call ---------------------------------


@pytest.fixture
def validations(monkeypatch) -> list[Any]:
    """Record every call of bravado-core's validate_schema_object (which still validates)."""
    calls: list[Any] = []
    real = bravado_core.validate.validate_schema_object

    def recording(swagger_spec: Any, schema: Any, value: Any) -> None:
        calls.append(value)
        real(swagger_spec, schema, value)

    monkeypatch.setattr(bravado_core.param, "validate_schema_object", recording)
    monkeypatch.setattr(bravado_core.validate, "validate_schema_object", recording)
    return calls


def test_a_valid_call_is_not_validated_by_jsonschema(esi_client, validations):
    client = esi_client.client
    orders = client.Market.get_markets_region_id_orders(region_id=10000002, order_type="sell", page=1)
    assert isinstance(orders.result(), list)
    names = client.Universe.post_universe_names(ids=[30000142, 10000002]).result()
    assert {n["id"] for n in names} == {30000142, 10000002}
    assert client.Search.get_search(categories=["solar_system"], search="Jita").future is not None
    assert validations == []
    spec = client.Market.get_markets_region_id_orders.operation.swagger_spec
    assert spec.config["validate_requests"] is True  # the shared spec is as it was


@pytest.mark.parametrize(
    ("operation", "kwargs"),
    [
        ("Market.get_markets_region_id_orders", {"region_id": 10000002, "order_type": "sideways"}),
        ("Market.get_markets_region_id_orders", {"region_id": 10000002, "order_type": "all", "page": 0}),
        ("Market.get_markets_region_id_orders", {"region_id": True, "order_type": "all"}),
        ("Universe.post_universe_names", {"ids": [30000142, 30000142]}),
        ("Universe.post_universe_names", {"ids": []}),
        ("Search.get_search", {"categories": ["planet"], "search": "Jita"}),
    ],
)
def test_an_invalid_call_raises_bravados_error(esi_client, validations, operation, kwargs):
    resource, op_id = operation.split(".")
    call = getattr(getattr(esi_client.client, resource), op_id)
    with pytest.raises(Exception) as ours:
        call(**kwargs)
    assert len(validations) == 1
    op = call.operation
    request = _request(op)
    with pytest.raises(Exception) as theirs:
        bravado_construct_params(op, request, {"datasource": "tranquility", **kwargs})
    assert type(ours.value) is type(theirs.value)
    assert str(ours.value) == str(theirs.value)
    assert type(ours.value).__module__.startswith("jsonschema")


def test_a_spec_that_goes_leaves_no_check_behind():
    import gc
    import weakref

    from bravado_core.spec import Spec

    spec_dict = {
        "swagger": "2.0",
        "info": {"title": "t", "version": "1"},
        "paths": {
            "/things/{thing_id}/": {
                "get": {
                    "operationId": "get_thing",
                    "tags": ["Things"],
                    "parameters": [
                        {
                            "name": "thing_id",
                            "in": "path",
                            "required": True,
                            "type": "integer",
                            "format": "int32",
                        }
                    ],
                    "responses": {"200": {"description": "ok"}},
                }
            }
        },
    }
    spec = Spec.from_dict(spec_dict, config={"validate_swagger_spec": False, "validate_requests": True})
    op = spec.resources["Things"].operations["get_thing"]
    request = _request(op)
    construct_params(op, request, {"thing_id": 7})
    assert request["url"].endswith("/things/7/")
    assert param_check(op.params["thing_id"]) is not None
    gone = weakref.ref(spec)
    param = weakref.ref(op.params["thing_id"])
    assert param() in request_params._compiled and spec in request_params._views
    del spec, op
    gc.collect()
    # Neither cache keeps the spec alive (a strong key or value would), and its entries went with it.
    # (The caches are not counted: other tests' specs may be collected here too.)
    assert gone() is None and param() is None
