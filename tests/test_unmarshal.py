"""esi.unmarshal: compiled converters give bravado-core's results and refuse what it refuses."""

from __future__ import annotations

import copy
import datetime as dt
import json
import warnings
from collections import OrderedDict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dateutil.parser
import pytest
import requests
from bravado.exception import HTTPClientError, HTTPInternalServerError, HTTPNotFound
from bravado.requests_client import RequestsResponseAdapter
from bravado_core.exception import MatchingResponseNotFound, SwaggerValidationError
from bravado_core.formatter import SwaggerFormat
from bravado_core.spec import Spec
from bravado_core.unmarshal import unmarshal_schema_object
from bravado_core.validate import validate_schema_object
from dateutil.tz import tzoffset, tzutc

import spec_snapshots
from esi import unmarshal
from esi.errors import ResponseValidationError
from esi.openapi import convert
from esi.unmarshal import (
    compile_converter,
    converter_for_operation,
    handle_response,
    parse_date,
    parse_date_time,
    unmarshal_response,
)
from esi_testing.fake.generate import generate

ORIGIN = "https://esi.evetech.net/latest/swagger.json"
# Real Swagger 2.0 specs of ../shared/esi-specs whose examples are compared with bravado-core's results.
SHARED_FILES = [
    "swagger2-latest-1.36-2025-12-03-everef.json",
    "swagger2-latest-1.25-2024-11-18-everef.json",
    "swagger2-latest-1.7.15-2021-donalchilde.json",
    "swagger2-_latest-1.30-2025-03-26-goesi.json",
    "swagger2-latest-0.3.8.dev1-2017-01-19-talornyssao.json",
    "swagger2-v2-1.30-2025-03-26-mockesi.json",
]


def build_spec(spec_dict: dict, **config: Any) -> Spec:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # duplicate model names in old specs
        return Spec.from_dict(
            spec_dict,
            origin_url=ORIGIN,
            config={"use_models": False, "validate_swagger_spec": False, **config},
        )


@pytest.fixture(scope="module")
def latest_spec() -> Spec:
    return build_spec(spec_snapshots.get(route="latest").load())


def operations(spec: Spec) -> Iterator[Any]:
    for resource in spec.resources.values():
        yield from resource.operations.values()


def examples(spec: Spec) -> Iterator[tuple[Any, dict, Any]]:
    """Yield (operation, 200 schema, example body) for each operation with a JSON example."""
    for op in operations(spec):
        response = spec.deref(op.op_spec["responses"].get("200", {}))
        example = (response.get("examples") or {}).get("application/json")
        if "schema" in response and example is not None:
            yield op, spec.deref(response["schema"]), example


def bravado_result(spec: Spec, schema: dict, value: Any) -> Any:
    """Return what bravado-core gives with validate_responses on, or the exception it raises."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "uuid format is not registered with bravado-core!"
            validate_schema_object(spec, schema, copy.deepcopy(value))
            return unmarshal_schema_object(spec, schema, copy.deepcopy(value))
    except Exception as e:  # any refusal: the converter must refuse too
        return e


def our_result(converter: Any, value: Any) -> Any:
    try:
        return converter(copy.deepcopy(value))
    except ResponseValidationError as e:
        return e


def assert_same_as_bravado(spec: Spec, op: Any, schema: dict, value: Any) -> bool:
    """Assert the converter agrees with bravado-core on ``value``; return True when both accept it."""
    expected = bravado_result(spec, schema, value)
    got = our_result(converter_for_operation(op, 200), value)
    if isinstance(expected, Exception):
        assert isinstance(got, ResponseValidationError), (op.operation_id, expected, got)
        return False
    assert got == expected, op.operation_id
    assert_same_types(got, expected)
    return True


def assert_same_types(got: Any, expected: Any) -> None:
    assert type(got) is type(expected), (got, expected)
    if isinstance(got, dict):
        assert list(got) == list(expected)
        for key in got:
            assert_same_types(got[key], expected[key])
    elif isinstance(got, list):
        for a, b in zip(got, expected, strict=True):
            assert_same_types(a, b)


# -- every operation of the real specs ------------------------------------------------------------


def test_every_example_of_the_bundled_latest_matches_bravado(latest_spec: Spec) -> None:
    covered = [op.operation_id for op, schema, ex in examples(latest_spec) if assert_same_as_bravado(latest_spec, op, schema, ex)]  # fmt: skip
    with_schema = [op for op in operations(latest_spec) if "schema" in op.op_spec["responses"].get("200", {})]
    print(f"bundled latest: {len(covered)} of {len(with_schema)} operations with a 200 schema")
    assert len(covered) == len(list(examples(latest_spec))) >= 170


@pytest.mark.parametrize("name", SHARED_FILES)
def test_every_example_of_a_real_spec_matches_bravado(shared_specs: Path, name: str) -> None:
    spec = build_spec(json.loads((shared_specs / name).read_text()))
    results = [assert_same_as_bravado(spec, op, schema, ex) for op, schema, ex in examples(spec)]
    print(f"{name}: {sum(results)} accepted, {results.count(False)} refused by both")
    assert sum(results) >= 0.9 * len(results) > 0


@pytest.mark.parametrize("era", ["swagger2 latest", "openapi3 2025-12-16"])
def test_generated_bodies_of_every_operation_match_bravado(era: str) -> None:
    """Bodies from the fake ESI's generator, also for the OpenAPI era's converted spec (oneOf and all)."""
    if era.startswith("openapi3"):
        spec = build_spec(convert(spec_snapshots.get(compatibility_date="2025-12-16").load()))
    else:
        spec = build_spec(spec_snapshots.get(route="latest").load())
    count = 0
    for op in operations(spec):
        response = spec.deref(op.op_spec["responses"].get("200", {}))
        if "schema" in response:
            for seed in range(3):
                body = generate(spec.deref(response["schema"]), seed, resolve=spec.deref)
                assert assert_same_as_bravado(spec, op, spec.deref(response["schema"]), body)
            count += 1
    print(f"{era}: {count} operations, 3 generated bodies each")
    assert count > 170


def nodes(spec: Spec, schema: dict, value: Any, path: tuple = ()) -> Iterator[tuple[tuple, dict, Any]]:
    """Yield (path, schema, value) for ``value`` and everything inside it."""
    schema = spec.deref(schema)
    yield path, schema, value
    if schema.get("type") == "array" and isinstance(value, list) and "items" in schema:
        for i, item in enumerate(value):
            yield from nodes(spec, schema["items"], item, (*path, i))
    if schema.get("type") == "object" and isinstance(value, dict):
        for name, sub in (schema.get("properties") or {}).items():
            if name in value:
                yield from nodes(spec, sub, value[name], (*path, name))


def set_at(value: Any, path: tuple, new: Any) -> Any:
    value = copy.deepcopy(value)
    if not path:
        return new
    parent = value
    for key in path[:-1]:
        parent = parent[key]
    if new is DELETE:
        del parent[path[-1]]
    else:
        parent[path[-1]] = new
    return value


DELETE = object()
WRONG = {"integer": "12", "number": "1.5", "string": 12, "boolean": "true", "array": {}, "object": []}


def json_path(path: tuple) -> str:
    return "$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path)


def mutations(spec: Spec, schema: dict, example: Any) -> Iterator[tuple[str, Any, str | None]]:
    """Yield (what, mutated example, path the error must name or None when it must be accepted)."""
    for path, sub, value in nodes(spec, schema, example):
        kind = sub.get("type")
        if kind in WRONG and not sub.get("x-nullable"):
            yield f"wrong type at {path}", set_at(example, path, WRONG[kind]), json_path(path)
        if sub.get("format") == "date-time":
            yield f"bad date at {path}", set_at(example, path, "2016-09-03 05:12"), json_path(path)
            yield f"naive date at {path}", set_at(example, path, "2016-09-03T05:12:25"), json_path(path)
            yield f"offset date at {path}", set_at(example, path, "2016-09-03T05:12:25.5+02:00"), None
        if "enum" in sub:
            yield f"not in enum at {path}", set_at(example, path, "not-a-value"), json_path(path)
        if kind == "object" and isinstance(value, dict):
            for name in sub.get("properties") or {}:
                if name in value:
                    required = name in sub.get("required", [])
                    expected_path = json_path((*path, name)) if required else None
                    yield f"without {name} at {path}", set_at(example, (*path, name), DELETE), expected_path


@pytest.mark.parametrize("source", ["bundled latest", "swagger2-latest-1.36-2025-12-03-everef.json"])
def test_mutated_examples_are_refused_or_accepted_like_bravado(request: Any, source: str) -> None:
    if source == "bundled latest":
        spec = request.getfixturevalue("latest_spec")
    else:
        spec = build_spec(json.loads((request.getfixturevalue("shared_specs") / source).read_text()))
    refused = accepted = 0
    for op, schema, example in examples(spec):
        for what, value, path in mutations(spec, schema, example):
            expected = bravado_result(spec, schema, value)
            got = our_result(converter_for_operation(op, 200), value)
            if path is None:
                assert got == expected, (op.operation_id, what)
                accepted += 1
                continue
            assert isinstance(expected, Exception), (op.operation_id, what)
            assert isinstance(got, ResponseValidationError), (op.operation_id, what)
            assert str(got).startswith(f"response of {op.operation_id}: {path}: "), (what, str(got))
            refused += 1
    print(f"{source}: {refused} mutations refused, {accepted} accepted, each as bravado-core does")
    assert refused > 1000 and accepted > 100


# -- the checks, one by one ---------------------------------------------------------------------------


def converter(schema: dict, name: str = "op", **config: Any) -> Any:
    spec = build_spec({"swagger": "2.0", "info": {"title": "t", "version": "1"}, "paths": {}}, **config)
    return compile_converter(spec, schema, name)


ORDER = {
    "type": "object",
    "required": ["order_id", "price", "issued"],
    "properties": {
        "order_id": {"type": "integer", "format": "int64"},
        "price": {"type": "number", "format": "double"},
        "issued": {"type": "string", "format": "date-time"},
        "range": {"type": "string", "enum": ["region", "station"]},
        "note": {"type": "string", "x-nullable": True},
    },
}
ORDERS = {"type": "array", "maxItems": 3, "items": ORDER}


def order(**changes: Any) -> dict:
    return {"order_id": 1, "price": 9.9, "issued": "2016-09-03T05:12:25Z", "range": "region", **changes}


def refusal(convert: Any, value: Any) -> str:
    with pytest.raises(ResponseValidationError) as info:
        convert(value)
    return str(info.value)


def test_the_error_names_the_operation_path_expectation_and_value() -> None:
    convert = converter(ORDERS, "get_markets_region_id_orders")
    page = [order() for _ in range(3)]
    page[2]["price"] = "abc"
    assert (
        refusal(convert, page)
        == "response of get_markets_region_id_orders: $[2].price: expected number, got 'abc'"
    )


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({"order_id": 1}, "$[0].price: required property is missing"),
        ([], "$[0]: expected object, got []"),
        (order(order_id=True), "$[0].order_id: expected integer, got True"),
        (order(order_id=1.0), "$[0].order_id: expected integer, got 1.0"),
        (order(issued="yesterday"), "$[0].issued: expected RFC 3339 date-time, got 'yesterday'"),
        (
            order(issued="2016-02-30T05:12:25Z"),
            "$[0].issued: expected RFC 3339 date-time, got '2016-02-30T05:12:25Z'",
        ),
        (order(range="moon"), "$[0].range: expected one of ['region', 'station'], got 'moon'"),
        (order(range=None), "$[0].range: expected string, got None"),
    ],
)
def test_refusals(value: Any, message: str) -> None:
    assert refusal(converter(ORDERS), [value]) == f"response of op: {message}"


def test_the_top_level_and_array_length() -> None:
    assert refusal(converter(ORDERS), {}) == "response of op: $: expected array, got {}"
    assert refusal(converter(ORDERS), [order()] * 4).startswith(
        "response of op: $: expected array of at most 3 items"
    )


def test_conversions_and_filled_properties() -> None:
    page = converter(ORDERS)([order(price=10, note=None), order(issued="2016-09-03T05:12:25.123Z")])
    assert page[0] == {
        **order(price=10.0, issued=dt.datetime(2016, 9, 3, 5, 12, 25, tzinfo=tzutc())),
        "note": None,
    }
    assert type(page[0]["price"]) is float
    assert page[1]["issued"] == dt.datetime(2016, 9, 3, 5, 12, 25, 123000, tzinfo=tzutc())
    assert page[1]["note"] is None  # missing, filled as bravado-core's include_missing_properties does
    assert converter(ORDERS, include_missing_properties=False)([order()])[0] == {
        **order(issued=dt.datetime(2016, 9, 3, 5, 12, 25, tzinfo=tzutc()))
    }


def test_defaults_fill_missing_and_null_values() -> None:
    schema = {
        "type": "object",
        "properties": {
            "n": {"type": "integer", "default": 5},
            "when": {"type": "string", "format": "date", "default": "2020-01-02", "x-nullable": True},
            "tags": {"type": "array", "items": {"type": "string"}, "default": []},
        },
    }
    convert = converter(schema)
    first, second = convert({}), convert({"when": None})
    assert first == second == {"n": 5, "when": dt.date(2020, 1, 2), "tags": []}
    first["tags"].append("x")
    assert convert({})["tags"] == []  # a mutable default is copied


def test_additional_properties() -> None:
    mapping = converter({"type": "object", "additionalProperties": {"type": "string", "format": "date-time"}})
    assert mapping({"a": "2020-01-01T00:00:00Z"}) == {"a": dt.datetime(2020, 1, 1, tzinfo=tzutc())}
    assert refusal(mapping, {"a": 1}) == "response of op: $.a: expected string, got 1"
    closed = converter(
        {"type": "object", "properties": {"a": {"type": "integer"}}, "additionalProperties": False}
    )
    assert closed({"a": 1}) == {"a": 1}
    assert (
        refusal(closed, {"a": 1, "b c": 2})
        == "response of op: $['b c']: expected no property of this name, got 2"
    )
    open_ = converter({"type": "object", "properties": {"a": {"type": "integer"}}})
    assert open_({"a": 1, "b": "kept as is"}) == {"a": 1, "b": "kept as is"}


def test_nested_arrays_and_primitive_items() -> None:
    convert = converter(
        {
            "type": "array",
            "items": {"type": "array", "uniqueItems": True, "items": {"type": "integer", "minimum": 0}},
        }
    )
    assert convert([[1, 2], [], [3]]) == [[1, 2], [], [3]]
    assert refusal(convert, [[1], [2, -1]]) == "response of op: $[1][1]: expected integer >= 0, got -1"
    assert refusal(convert, [[1], [2, "3"]]) == "response of op: $[1][1]: expected integer, got '3'"
    assert refusal(convert, [[1, 1]]) == "response of op: $[0]: expected array of unique items, got [1, 1]"
    assert converter({"type": "array", "uniqueItems": True})([1, True]) == [
        1,
        True,
    ]  # as jsonschema: distinct
    dates = converter({"type": "array", "items": {"type": "string", "format": "date"}})
    assert dates(["2020-01-02"]) == [dt.date(2020, 1, 2)]
    assert (
        refusal(dates, ["2020-01-02", "2020-1-3"])
        == "response of op: $[1]: expected date (YYYY-MM-DD), got '2020-1-3'"
    )
    words = converter({"type": "array", "items": {"type": "string", "enum": ["a", "b"]}})
    assert words(["a", "b", "a"]) == ["a", "b", "a"]
    assert refusal(words, ["a", "c"]) == "response of op: $[1]: expected one of ['a', 'b'], got 'c'"
    numbers = converter({"type": "array", "items": {"type": "number", "format": "float"}})
    assert [type(x) for x in numbers([1, 2.5])] == [float, float]


def test_primitive_keywords() -> None:
    text = converter({"type": "string", "minLength": 2, "maxLength": 3, "pattern": "^[a-z]+$"})
    assert text("abc") == "abc"
    assert "expected string of at least 2 characters" in refusal(text, "a")
    assert "expected string of at most 3 characters" in refusal(text, "abcd")
    assert "expected string matching '^[a-z]+$'" in refusal(text, "AB")
    number = converter({"type": "number", "minimum": 0, "maximum": 10, "exclusiveMaximum": True})
    assert number(0) == 0
    assert refusal(number, 10) == "response of op: $: expected number < 10, got 10"
    untyped_enum = converter({"type": "object", "properties": {"v": {"enum": [1, "a"]}}})
    assert untyped_enum({"v": 1}) == {"v": 1}
    assert "$.v: expected one of [1, 'a'], got True" in refusal(untyped_enum, {"v": True})
    secret = converter({"type": "string", "maxLength": 2, "x-sensitive": True})
    assert refusal(secret, "hunter2") == "response of op: $: expected string of at most 2 characters, got ***"


def test_dict_and_list_subclasses_are_objects_and_arrays() -> None:
    convert = converter({"type": "array", "items": ORDER})
    page = convert(PageList([OrderedDict(order())]))
    assert page[0]["issued"] == dt.datetime(2016, 9, 3, 5, 12, 25, tzinfo=tzutc())


class PageList(list):
    pass


def test_nullable_objects_and_items() -> None:
    convert = converter({"type": "array", "items": {"type": "object", "x-nullable": True, "properties": {}}})
    assert convert([None, {}]) == [None, {}]
    ints = converter({"type": "array", "items": {"type": "integer", "x-nullable": True}})
    assert ints([1, None]) == [1, None]
    assert refusal(ints, [1, "2"]) == "response of op: $[1]: expected integer, got '2'"


def test_schemas_beyond_the_compiled_keywords_go_to_bravado() -> None:
    schema = {
        "type": "object",
        "properties": {
            "n": {"type": "integer", "multipleOf": 5},
            "both": {
                "allOf": [{"type": "object", "properties": {"a": {"type": "string", "format": "date"}}}]
            },
        },
    }
    convert = converter(schema)
    assert convert({"n": 10, "both": {"a": "2020-01-02"}}) == {"n": 10, "both": {"a": dt.date(2020, 1, 2)}}
    assert refusal(convert, {"n": 7}) == "response of op: $.n: 7 is not a multiple of 5"
    untyped_items = converter(
        {"type": "array", "items": {"required": ["a"], "properties": {"a": {"type": "integer"}}}}
    )
    assert untyped_items([{"a": 1}]) == [{"a": 1}]
    assert refusal(untyped_items, [{"a": 1}, {}]) == "response of op: $[1]: 'a' is a required property"
    assert (
        converter({"description": "untyped"})("anything") == "anything"
    )  # bravado-core neither checks nor converts


def check_hex(text: str) -> None:
    if not all(c in "0123456789abcdef" for c in text):
        raise SwaggerValidationError(f"{text!r} is not hex")


def test_formats_go_through_the_spec() -> None:
    hex_format = SwaggerFormat(
        format="hex",
        to_python=lambda s: int(s, 16),
        to_wire=hex,
        validate=check_hex,
        description="hexadecimal",
    )
    convert = converter({"type": "string", "format": "hex"}, formats=[hex_format])
    assert convert("ff") == 255
    assert refusal(convert, "zz") == "response of op: $: expected hex, got 'zz'"
    broken = SwaggerFormat(
        format="broken", to_python=lambda s: {}[s], to_wire=str, validate=str, description=""
    )
    assert refusal(converter({"type": "string", "format": "broken"}, formats=[broken]), "x").endswith(
        ": $: expected broken, got 'x'"
    )  # not taken for a missing property
    assert converter({"type": "number", "format": "int32"})(2.0) == 2
    assert converter({"type": "string", "format": "byte"})("AAE=") == "AAE="
    assert (
        converter({"type": "string", "format": "byte"}, use_base64_for_byte_format=True)("AAE=")
        == b"\x00\x01"
    )


# -- dates --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "2016-09-03T05:12:25Z",
        "2016-09-03T05:12:25.123Z",
        "2016-09-03T05:12:25.123456Z",
        "2016-09-03T05:12:25.1234567Z",
        "2016-09-03t05:12:25z",
        "2016-09-03T05:12:25+00:00",
        "2016-09-03T05:12:25.5+02:00",
        "2016-09-03T05:12:25-07:30",
    ],
)
def test_date_times_equal_bravados_and_carry_dateutil_zones(text: str) -> None:
    parsed = parse_date_time(text)
    assert parsed == dateutil.parser.parse(text)
    assert parsed.utcoffset() == dateutil.parser.parse(text).utcoffset()
    offset = parsed.utcoffset().total_seconds()
    assert parsed.tzinfo == (tzutc() if offset == 0 else tzoffset(None, offset))
    assert type(parsed.tzinfo) is (tzutc if offset == 0 else tzoffset)


@pytest.mark.parametrize(
    "text",
    ["", "Z", "2016-09-03", "2016-09-03T05:12:25", "2016-09-03 05:12:25Z", "2016-13-03T05:12:25Z", "2016-09-03T05:12Z",
     "2016-09-03T05:12:25.Z", "2016-09-03T05:12:25+0200", "x016-09-03T05:12:25Z", "2016-09-03T05:12:60Z"],
)  # fmt: skip
def test_date_times_that_are_not_rfc_3339_are_refused(text: str) -> None:
    assert parse_date_time(text) is None


def test_dates() -> None:
    assert parse_date("2020-02-29") == dt.date(2020, 2, 29) == dateutil.parser.parse("2020-02-29").date()
    for text in ("2021-02-29", "2020-2-29", "20200229", "2020-02-29T00:00:00Z", "２０２０-02-29"):
        assert parse_date(text) is None


# -- the operation hook --------------------------------------------------------------------------------


def op_named(spec: Spec, operation_id: str) -> Any:
    return next(op for op in operations(spec) if op.operation_id == operation_id)


def test_converters_are_cached_per_operation_and_status(latest_spec: Spec) -> None:
    op = op_named(latest_spec, "get_markets_region_id_orders")
    assert converter_for_operation(op, 200) is converter_for_operation(op, 200)
    assert (
        converter_for_operation(op_named(latest_spec, "delete_fleets_fleet_id_members_member_id"), 204)
        is None
    )
    with pytest.raises(MatchingResponseNotFound):
        converter_for_operation(op, 418)
    assert op in unmarshal._converters


def incoming(status: int, body: Any, content_type: str = "application/json; charset=UTF-8") -> Any:
    response = requests.Response()
    response.status_code = status
    response._content = body if isinstance(body, bytes) else json.dumps(body).encode()
    response.headers["Content-Type"] = content_type
    response.encoding = "utf-8"
    return RequestsResponseAdapter(response)


def test_unmarshal_response(latest_spec: Spec) -> None:
    op = op_named(latest_spec, "get_markets_region_id_orders")
    body = [{**order(), "duration": 90, "is_buy_order": False, "location_id": 1, "min_volume": 1,
             "range": "region", "system_id": 1, "type_id": 34, "volume_remain": 1, "volume_total": 2}]  # fmt: skip
    data = unmarshal_response(incoming(200, body), op)
    assert data[0]["issued"] == dt.datetime(2016, 9, 3, 5, 12, 25, tzinfo=tzutc())
    assert unmarshal_response(incoming(200, b"plain", "text/plain"), op) == "plain"
    with pytest.raises(ResponseValidationError, match=r"\$\[0\]\.price: expected number, got 'x'"):
        unmarshal_response(incoming(200, [{**body[0], "price": "x"}]), op)


def test_handle_response_raises_as_bravado_does(latest_spec: Spec) -> None:
    op = op_named(latest_spec, "get_markets_region_id_orders")
    seen = []

    def callback(response: Any, operation: Any) -> None:
        seen.append((response.status_code, operation))

    response = incoming(200, [])
    handle_response(response, op, [callback])
    assert response.swagger_result == [] and seen == [(200, op)]
    response = incoming(404, {"error": "Not found"})
    with pytest.raises(HTTPNotFound) as info:
        handle_response(response, op, [callback])
    assert info.value.swagger_result == {"error": "Not found"}
    with pytest.raises(HTTPNotFound) as info:  # a body that breaks the error schema: still a 404
        handle_response(incoming(404, {"error": ["unexpected"]}), op)
    assert info.value.swagger_result == {"error": ["unexpected"]}
    with pytest.raises(ResponseValidationError, match=r"\$\[0\]: expected object"):  # a 200 must match
        handle_response(incoming(200, ["unexpected"]), op)
    with pytest.raises(HTTPInternalServerError):
        handle_response(incoming(500, {"error": "boom"}), op, [callback])
    assert [status for status, _ in seen] == [200, 404, 500]  # callbacks always run
    with pytest.raises(HTTPClientError, match="matching http status_code 418 not found"):
        handle_response(incoming(418, {}), op)
