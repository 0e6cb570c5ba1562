"""A record is shaped for the spec answering: old specs get old shapes (esi_testing.fake.shaping)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from werkzeug.test import Client

from esi_testing.fake.app import make_app
from esi_testing.fake.backend import DEFAULT_DATA, FakeBackend
from esi_testing.fake.datapack import DataPack
from esi_testing.fake.routes import RouteTable
from esi_testing.fake.shaping import nearest_enum, shape
from esi_testing.fake.sso import mint_access_token

SPEC_2017 = "swagger2-latest-0.3.8.dev1-2017-01-19-talornyssao.json"
SPEC_2018 = "swagger2-latest-0.8.4-2018-06-28-mockesi.json"
SPEC_2019 = "swagger2-_latest-0.8.6-2019-07-15-orbital.json"


def _pack_body(operation: str, **params: int) -> object:
    record = DataPack.load(DEFAULT_DATA).match({operation}, params, "en")
    assert record is not None
    return record.body


def _serve(shared: Path, name: str, path: str, scopes: list[str] = ()) -> object:  # type: ignore[assignment]
    table = RouteTable.for_snapshot(json.loads((shared / name).read_text("utf-8")))
    client = Client(make_app(FakeBackend(snapshot=table)))
    headers = {"Authorization": f"Bearer {mint_access_token(90000001, list(scopes))}"} if scopes else {}
    answer = client.get(path, headers=headers)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    route, _ = table.match("GET", path)
    assert route.response_schema is not None
    errors = list(table.validator(route.response_schema).iter_errors(answer.get_json()))
    assert not errors, errors[0].message
    return answer.get_json()


def test_a_2019_spec_gets_the_packs_assets_with_location_type_from_its_enum(shared_specs: Path) -> None:
    assets = _serve(shared_specs, SPEC_2019, "/v3/characters/90000001/assets/", ["esi-assets.read_assets.v1"])
    recorded = _pack_body("get_characters_character_id_assets", character_id=90000001)
    assert isinstance(assets, list) and isinstance(recorded, list)
    # The cargo inside the Rifter: 'item' is not in 2019's enum, 'other' is; the rest as recorded.
    assert [a["location_type"] for a in assets] == ["station"] * 4 + ["other"]
    assert [a["item_id"] for a in assets] == [a["item_id"] for a in recorded]
    assert assets[4]["location_id"] == recorded[4]["location_id"]


def test_a_2017_spec_gets_the_then_required_alliance_and_corporation_names(shared_specs: Path) -> None:
    alliance = _serve(shared_specs, SPEC_2017, "/latest/alliances/99000001/")
    corporation = _serve(shared_specs, SPEC_2017, "/latest/corporations/98000001/")
    assert isinstance(alliance, dict) and isinstance(corporation, dict)
    assert alliance["alliance_name"] == "Loopback Coalition"
    assert corporation["corporation_name"] == "Fake Frontier Industries"
    assert corporation["ticker"] == "FAKE" and corporation["member_count"] == 42


def test_a_2018_spec_gets_notification_types_its_enum_knows(shared_specs: Path) -> None:
    notifications = _serve(
        shared_specs,
        SPEC_2018,
        "/latest/characters/90000001/notifications/",
        ["esi-characters.read_notifications.v1"],
    )
    assert isinstance(notifications, list)
    types = [n["type"] for n in notifications]
    assert types[:2] == ["StructureUnderAttack", "CorpAllBillMsg"]  # known in 2018: kept
    assert types[2] == "AllWarDeclaredMsg"  # WarDeclared came later: the nearest 2018 name
    assert [n["notification_id"] for n in notifications] == [1900000001, 1900000002, 1900000003]


def test_the_newest_spec_gets_the_record_as_recorded() -> None:
    table = RouteTable.for_snapshot("latest")
    route = table.find("get_characters_character_id_assets")
    recorded = _pack_body("get_characters_character_id_assets", character_id=90000001)
    assert shape(recorded, route.response_schema, table.resolve) == recorded


@pytest.mark.parametrize(
    ("value", "schema", "expected"),
    [
        ({"a": 1, "b": 2}, {"type": "object", "properties": {"a": {"type": "integer"}}}, {"a": 1}),
        ({"a": None}, {"type": "object", "properties": {"a": {"type": "integer"}}}, {}),
        ({"a": 1}, {"type": "object", "additionalProperties": True, "properties": {}}, {"a": 1}),
        (2**40, {"type": "integer", "format": "int64", "maximum": 10}, 10),
        (3.0, {"type": "integer"}, 3),
        ("abcdef", {"type": "string", "maxLength": 3}, "abc"),
        ("2026-01-02T03:04:05Z", {"type": "string", "format": "date"}, "2026-01-02"),
        ([1, 1, 2, 3], {"type": "array", "uniqueItems": True, "maxItems": 2, "items": {}}, [1, 2]),
        (
            {"system_id": 5},
            {"required": ["solar_system_id"], "properties": {"solar_system_id": {"type": "integer"}}},
            {"solar_system_id": 5},
        ),
    ],
)
def test_shape_keeps_values_inside_the_schema(value: object, schema: dict, expected: object) -> None:
    assert shape(value, schema) == expected


def test_shape_fills_required_properties_deterministically_and_replaces_wrong_types() -> None:
    schema = {
        "type": "object",
        "required": ["when", "count"],
        "properties": {"when": {"type": "string", "format": "date-time"}, "count": {"type": "integer"}},
    }
    first = shape({"count": "many"}, schema, seed=7)
    assert first == shape({"count": "many"}, schema, seed=7)
    assert isinstance(first["count"], int) and first["when"].endswith("Z")
    assert shape({"players": 1}, {"type": "array", "items": {"type": "string"}}) != {"players": 1}


def test_nearest_enum_prefers_the_spelling_then_a_catch_all() -> None:
    assert nearest_enum("station", ["station", "other"]) == "station"
    assert nearest_enum("Station", ["station", "other"]) == "station"
    assert nearest_enum("item", ["station", "solar_system", "other"]) == "other"
    assert nearest_enum("item", ["station", "solar_system"]) in ("station", "solar_system")
    assert nearest_enum(7, [1, 5, 10]) == 5


def test_a_text_operation_answers_its_content_type(shared_specs: Path) -> None:
    table = RouteTable.for_snapshot(
        json.loads((shared_specs / "swagger2-meta-0.1-2025-03-26-goesi.json").read_text())
    )
    answer = Client(make_app(FakeBackend(snapshot=table, data=None))).get("/ping")
    assert answer.status_code == 200 and answer.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert answer.get_data(as_text=True) == "ok"
