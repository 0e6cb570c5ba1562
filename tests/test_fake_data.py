"""Generated data, data packs and the default pack of the fake ESI."""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from werkzeug.test import Client

from esi_testing.fake.app import make_app
from esi_testing.fake.backend import DEFAULT_DATA, FakeBackend
from esi_testing.fake.datapack import DataPack, DataPackError, Record
from esi_testing.fake.generate import generate, seed_for
from esi_testing.fake.routes import RouteNotFound, RouteTable
from tests.client_fixtures import orders

LANGUAGES = ("en", "de", "fr", "ja", "ru", "zh", "ko", "es")


def valid(schema: dict[str, Any], value: Any, draft: Any = jsonschema.Draft4Validator) -> bool:
    return draft(schema, format_checker=draft.FORMAT_CHECKER).is_valid(value)


# --- generator ------------------------------------------------------------------------


SCHEMA = {
    "type": "object",
    "required": ["id", "kind", "when", "day", "tags", "ratio", "nested"],
    "properties": {
        "id": {"type": "integer", "format": "int32", "minimum": 5, "maximum": 9},
        "big": {"type": "integer", "format": "int64"},
        "kind": {"type": "string", "enum": ["station", "structure"]},
        "when": {"type": "string", "format": "date-time"},
        "day": {"type": "string", "format": "date"},
        "tags": {
            "type": "array",
            "items": {"type": "integer", "minimum": 1, "maximum": 4},
            "minItems": 3,
            "maxItems": 4,
            "uniqueItems": True,
        },
        "ratio": {"type": "number", "format": "float", "minimum": 0, "maximum": 1},
        "code": {"type": "string", "minLength": 5, "maxLength": 6},
        "nested": {
            "type": "object",
            "required": ["deep"],
            "properties": {"deep": {"type": "array", "items": {"type": "boolean"}, "maxItems": 1}},
        },
    },
}


def test_generated_value_respects_the_schema() -> None:
    for seed in range(50):
        value = generate(SCHEMA, seed)
        assert valid(SCHEMA, value), value
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z", value["when"])
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", value["day"])
        assert -(2**31) <= value["id"] < 2**31


def test_array_bounds_are_kept_even_when_tight() -> None:
    for bounds in ({"maxItems": 0}, {"minItems": 7}, {"minItems": 2, "maxItems": 2}):
        schema = {"type": "array", "items": {"type": "integer"}, **bounds}
        for seed in range(20):
            assert valid(schema, generate(schema, seed)), (bounds, seed)


def test_generation_is_deterministic_per_seed() -> None:
    assert generate(SCHEMA, 7) == generate(SCHEMA, 7)
    assert len({json.dumps(generate(SCHEMA, s), sort_keys=True) for s in range(10)}) > 5
    assert seed_for("get_status", {"a": 1}) == seed_for("get_status", {"a": 1})
    assert seed_for("get_status", {"a": 1}) != seed_for("get_status", {"a": 2})


def test_hints_fill_properties_named_like_parameters() -> None:
    schema = {"type": "object", "required": ["type_id"], "properties": {"type_id": {"type": "integer"}}}
    assert generate(schema, 1, hints={"type_id": 587}) == {"type_id": 587}
    # A hint of the wrong type is ignored rather than breaking the schema.
    assert isinstance(generate(schema, 1, hints={"type_id": "x"})["type_id"], int)


def test_refs_and_unions_are_followed() -> None:
    spec = {
        "A": {"type": "object", "required": ["n"], "properties": {"n": {"type": "integer", "minimum": 3}}}
    }
    schema = {"oneOf": [{"$ref": "#/A"}, {"type": "null"}]}
    value = generate(schema, 2, resolve=lambda node: spec[node["$ref"][2:]] if "$ref" in node else node)
    assert value["n"] >= 3


def test_language_changes_generated_strings() -> None:
    schema = {"type": "string"}
    english = {generate(schema, s) for s in range(20)}
    russian = {generate(schema, s, language="ru") for s in range(20)}
    assert english.isdisjoint(russian)


# --- data packs -----------------------------------------------------------------------


def test_most_specific_record_wins_then_language_then_last_added() -> None:
    pack = DataPack(
        [
            {"operation": "get_universe_types_type_id", "body": "any type"},
            {"operation": "get_universe_types_type_id", "params": {"type_id": 587}, "body": "rifter"},
            {
                "operation": "get_universe_types_type_id",
                "params": {"type_id": 587},
                "language": "de",
                "body": "rifter de",
            },
        ]
    )
    names = {"get_universe_types_type_id"}
    assert pack.match(names, {"type_id": 34}).body == "any type"
    assert pack.match(names, {"type_id": "587"}).body == "rifter"  # text and int compare equal
    assert pack.match(names, {"type_id": 587}, "de").body == "rifter de"
    assert pack.match(names, {"type_id": 587}, "fr").body == "rifter"
    pack.add({"operation": "get_universe_types_type_id", "params": {"type_id": 587}, "body": "newer"})
    assert pack.match(names, {"type_id": 587}).body == "newer"
    assert pack.match({"get_status"}, {}) is None


def test_openapi_operation_ids_find_the_same_records() -> None:
    pack = DataPack([{"operation": "GetUniverseTypesTypeId", "params": {"type_id": 1}, "body": 1}])
    assert pack.match({"get_universe_types_type_id"}, {"type_id": 1}).body == 1


def test_en_us_is_en_and_bodies_compare_as_json() -> None:
    pack = DataPack(
        [
            {
                "operation": "post_universe_names",
                "params": {"body": [1, 2]},
                "language": "en-us",
                "body": "names",
            },
        ]
    )
    assert pack.match({"post_universe_names"}, {"body": [1, 2]}, "en").body == "names"
    assert pack.match({"post_universe_names"}, {"body": [2, 1]}, "en") is None


def test_save_and_load_round_trip(tmp_path: Path) -> None:
    pack = DataPack(
        [
            {"operation": "get_status", "body": {"players": 1}},
            {
                "operation": "get_characters_character_id",
                "params": {"character_id": 9},
                "status": 404,
                "body": {"error": "gone"},
            },
        ]
    )
    directory = pack.save(tmp_path / "pack")
    assert sorted(p.name for p in directory.iterdir()) == ["characters.json", "status.json"]
    again = DataPack.load(directory)
    assert [r.to_dict() for r in again] == [
        r.to_dict() for r in pack.records[::-1]
    ]  # files read in name order
    single = DataPack.load(pack.save(tmp_path / "one.json"))
    assert [r.to_dict() for r in single] == [r.to_dict() for r in pack]


def test_malformed_packs_are_refused_naming_file_and_record(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"records": [{"operation": "get_status"}, {"params": {}}]}))
    with pytest.raises(DataPackError, match=r"bad.json record 1: 'operation'"):
        DataPack.load(bad)
    bad.write_text("[]")
    with pytest.raises(DataPackError, match='"records"'):
        DataPack.load(bad)
    bad.write_text("{")
    with pytest.raises(DataPackError, match="not JSON"):
        DataPack.load(bad)
    with pytest.raises(DataPackError, match="no such data pack"):
        DataPack.load(tmp_path / "missing")
    with pytest.raises(DataPackError, match="status"):
        Record.from_dict({"operation": "get_status", "status": 999})
    with pytest.raises(DataPackError, match="unknown field"):
        Record.from_dict({"operation": "get_status", "bodyy": 1})


# --- the default pack -------------------------------------------------------------------


@pytest.mark.parametrize("snapshot", ["latest", "2025-12-16"])
def test_default_pack_is_valid_against_both_bundled_eras(snapshot: str) -> None:
    table = RouteTable.for_snapshot(snapshot)
    for record in DataPack.load(DEFAULT_DATA):
        route = table.find(record.operation)
        schema = table.resolve(route.response_schema)
        body = record.body
        if route.paged and isinstance(body, list):
            # Validated as the pages the fake serves (ESI caps a page at 1000 items).
            schema = {k: v for k, v in schema.items() if k != "maxItems"}
        errors = list(table.validator(schema).iter_errors(body))
        assert not errors, f"{record.operation} {record.params}: {errors[0].message[:200]}"


def test_default_pack_names_types_in_every_language() -> None:
    pack = DataPack.load(DEFAULT_DATA)
    for type_id in (587, 34, 35, 44992):
        names = {
            lang: pack.match({"get_universe_types_type_id"}, {"type_id": type_id}, lang) for lang in LANGUAGES
        }
        assert all(record is not None and record.language == lang for lang, record in names.items())
    rifter = pack.match({"get_universe_types_type_id"}, {"type_id": 587}, "ja")
    assert rifter.body["name"] == "リフター"


def test_default_pack_has_several_pages_of_orders() -> None:
    orders = DataPack.load(DEFAULT_DATA).match({"get_markets_region_id_orders"}, {"region_id": 10000002})
    assert orders is not None and len(orders.body) == 2500


def test_default_pack_files_are_what_the_builder_writes(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location(
        "build_default_pack", DEFAULT_DATA / "build_default_pack.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    written = module.build().save(tmp_path)
    for path in sorted(written.glob("*.json")):
        assert path.read_text("utf-8") == (DEFAULT_DATA / path.name).read_text("utf-8"), path.name
    assert sorted(p.name for p in written.glob("*.json")) == sorted(
        p.name for p in DEFAULT_DATA.glob("*.json")
    )


# --- recorded exchanges become records --------------------------------------------------


def test_recorded_exchange_becomes_a_record_the_fake_serves() -> None:
    backend = FakeBackend(data=None)
    record = backend.record_from_exchange(
        "GET",
        "https://esi.evetech.net/latest/universe/types/1234/?datasource=tranquility&language=de",
        body={"type_id": 1234, "group_id": 1, "name": "Ding", "description": "", "published": True},
        headers={"Content-Language": "de", "Expires": "Mon, 23 Nov 2026 11:05:00 GMT"},
    )
    assert record.to_dict() == {
        "operation": "get_universe_types_type_id",
        "params": {"type_id": 1234},
        "language": "de",
        "body": record.body,
    }
    backend.add_data(record)
    client = Client(make_app(backend))
    assert client.get("/latest/universe/types/1234/?language=de").get_json()["name"] == "Ding"
    assert client.get("/latest/universe/types/1234/?language=fr").get_json()["name"] != "Ding"


def test_recorded_pages_are_served_as_recorded() -> None:
    backend = FakeBackend(data=None)
    for page in (1, 2):
        url = "https://esi.evetech.net/latest/markets/10000002/orders/?order_type=all"
        backend.add_data(
            backend.record_from_exchange(
                "GET",
                url + ("" if page == 1 else f"&page={page}"),  # clients ask page 1 without the parameter
                body=orders(page),
                headers={"X-Pages": "2"},
            )
        )
    client = Client(make_app(backend))
    first = client.get("/latest/markets/10000002/orders/?order_type=all")
    assert first.get_json() == orders(1) and first.headers["X-Pages"] == "2"
    assert client.get("/latest/markets/10000002/orders/?order_type=all&page=2").get_json() == orders(2)
    past = client.get("/latest/markets/10000002/orders/?order_type=all&page=3")
    assert past.status_code == 404 and past.get_json() == {"error": "Requested page does not exist!"}


def test_recorded_request_body_and_openapi_path() -> None:
    backend = FakeBackend(data=None)
    record = backend.record_from_exchange(
        "POST", "https://esi.evetech.net/universe/names", request_body=b"[90000001]", body=[{"id": 90000001}]
    )
    assert (record.operation, record.params) == ("post_universe_names", {"body": [90000001]})
    with pytest.raises(RouteNotFound):
        backend.record_from_exchange("GET", "https://esi.evetech.net/latest/nowhere/")
