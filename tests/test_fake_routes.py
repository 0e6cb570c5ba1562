"""The fake ESI's route table is built from any spec, Swagger 2.0 or OpenAPI 3.1."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import spec_snapshots
from esi_testing.fake.generate import generate
from esi_testing.fake.routes import RateLimit, RouteNotFound, RouteTable, operation_key, snake_case


@pytest.fixture(scope="module")
def latest() -> RouteTable:
    return RouteTable.for_snapshot("latest")


@pytest.fixture(scope="module")
def dated() -> RouteTable:
    return RouteTable.for_snapshot("2025-12-16")


def shared_table(shared_specs: Path, name: str) -> RouteTable:
    return RouteTable.for_snapshot(json.loads((shared_specs / name).read_text("utf-8")))


def test_operation_key_is_esis_rule_without_the_version() -> None:
    assert operation_key("GET", "/v3/universe/types/{type_id}/") == "get_universe_types_type_id"
    assert (
        operation_key("get", "/latest/characters/{character_id}/assets/")
        == "get_characters_character_id_assets"
    )
    assert (
        operation_key("post", "/characters/{character_id}/freelance-jobs")
        == "post_characters_character_id_freelance_jobs"
    )
    assert snake_case("GetUniverseTypesTypeId") == "get_universe_types_type_id"


def test_swagger_paths_are_served_under_the_base_path(latest: RouteTable) -> None:
    route, params = latest.match("GET", "/latest/universe/types/587/")
    assert route.key == "get_universe_types_type_id"
    assert params == {"type_id": "587"}
    assert latest.match("GET", "/latest/universe/types/587")[0] is route  # trailing slash optional


def test_swagger_alternate_versions_are_served_too(latest: RouteTable) -> None:
    route, _ = latest.match("GET", "/v3/universe/types/587/")
    assert route.key == "get_universe_types_type_id" and route.alternate
    assert latest.match("GET", "/dev/universe/types/587/")[0].key == route.key
    with pytest.raises(RouteNotFound):
        latest.match("GET", "/v9/universe/types/587/")


def test_literal_segments_win_over_parameters(latest: RouteTable) -> None:
    assert latest.match("POST", "/latest/characters/affiliation/")[0].key == "post_characters_affiliation"
    assert latest.match("GET", "/latest/characters/90000001/")[0].key == "get_characters_character_id"


def test_unknown_path_or_method_raises(latest: RouteTable) -> None:
    with pytest.raises(RouteNotFound, match="GET /latest/nowhere/"):
        latest.match("GET", "/latest/nowhere/")
    with pytest.raises(RouteNotFound):
        latest.match("DELETE", "/latest/status/")


def test_route_details_from_a_swagger_spec(latest: RouteTable) -> None:
    assets = latest.find("get_characters_character_id_assets")
    assert assets.scopes == ("esi-assets.read_assets.v1",)
    assert assets.cache_seconds == 3600 and assets.paged and not assets.cursor
    assert assets.rate_limit is None and not assets.localized
    types = latest.find("get_universe_types_type_id")
    assert "ja" in types.languages and not types.secured
    names = latest.find("post_universe_names")
    assert names.param("ids") is not None and names.param("ids").location == "body"
    assert latest.find("get_status").success_status == 200


def test_openapi_paths_and_aliases(dated: RouteTable) -> None:
    route, params = dated.match("GET", "/universe/types/587")
    assert route.key == "get_universe_types_type_id"
    assert route.operation_id == "GetUniverseTypesTypeId"
    assert dated.find("GetUniverseTypesTypeId") is route
    assert params == {"type_id": "587"}
    assert dated.compatibility_date == "2025-12-16"


def test_openapi_ids_that_differ_from_the_swagger_name(shared_specs: Path) -> None:
    table = shared_table(shared_specs, "openapi3-2026-08-04-fetched-2026-08-04-esiproxy.json")
    route = table.find("GetCharactersDetail")
    assert route.key == "get_characters_character_id"
    assert "get_characters_detail" in route.aliases


def test_route_details_from_an_openapi_spec(dated: RouteTable) -> None:
    assets = dated.find("GetCharactersCharacterIdAssets")
    assert assets.rate_limit == RateLimit("char-asset", 1800, 900.0, "15m")
    assert assets.paged and assets.cache_seconds == 3600
    listing = dated.find("GetFreelanceJobsListing")
    assert listing.cursor and listing.param("limit") is not None
    assert {p.name for p in assets.params} >= {"character_id", "page", "Accept-Language"}
    assert "X-Compatibility-Date" not in {p.name for p in assets.params}  # handled by the app


def test_latest_style_spec_serves_versioned_paths(shared_specs: Path) -> None:
    table = shared_table(shared_specs, "swagger2-_latest-1.30-2025-03-26-goesi.json")
    route, _ = table.match("GET", "/v4/characters/1/assets/")
    assert route.key == "get_characters_character_id_assets"
    assert table.match("GET", "/latest/characters/1/assets/")[0].key == route.key


def test_every_operation_of_a_spec_is_a_route(shared_specs: Path) -> None:
    for name in (
        "swagger2-latest-1.36-2025-12-03-everef.json",
        "openapi3-2026-08-04-fetched-2026-08-04-esiproxy.json",
    ):
        spec = json.loads((shared_specs / name).read_text("utf-8"))
        operations = sum(
            1 for item in spec["paths"].values() for m in item if m in ("get", "post", "put", "delete")
        )
        assert len(RouteTable.for_snapshot(spec)) == operations


def test_tables_are_cached_per_snapshot() -> None:
    assert RouteTable.for_snapshot("latest") is RouteTable.for_snapshot("latest")


def test_unions_require_their_single_property(dated: RouteTable) -> None:
    # ESI's oneOf branches each carry one property and declare none required:
    # the table requires it, so a value matches exactly one branch.
    validator = dated.validator(dated.find("GetCorporationsProjectsDetail").response_schema)
    detail = dated.resolve({"$ref": "#/components/schemas/CorporationsProjectsDetail"})
    branches = [dated.resolve(b) for b in detail["properties"]["configuration"]["oneOf"]]
    assert len(branches) > 2
    assert all(branch["required"] == list(branch["properties"]) for branch in branches)
    assert validator is dated.validator(dated.find("GetCorporationsProjectsDetail").response_schema)
    # One branch's property: valid (untightened, it would match every branch and fail oneOf).
    config = detail["properties"]["configuration"]
    value = generate(config, seed=1, resolve=dated.resolve)
    assert len(value) == 1 and dated.validator(config).is_valid(value)


def test_a_malformed_spec_is_refused_with_the_reason() -> None:
    with pytest.raises(spec_snapshots.SnapshotError, match="no paths"):
        RouteTable({"swagger": "2.0", "info": {"version": "1"}, "paths": {}})


def test_public_names_of_the_fake_esi_modules() -> None:
    from esi_testing.fake import app, backend, datapack, generate, lookups, routes, shaping, universe

    assert app.__all__ == ["ERROR_LIMITED", "FakeESIApp", "make_app"]
    assert backend.__all__ == ["DEFAULT_DATA", "FakeBackend", "Fault", "JournalEntry", "TokenRejected"]
    assert routes.__all__ == [
        "ESI_LANGUAGES",
        "Param",
        "RateLimit",
        "Route",
        "RouteNotFound",
        "RouteTable",
        "derived_spec",
        "operation_key",
        "snake_case",
    ]
    assert generate.__all__ == ["ID_KINDS", "generate", "merge_all_of", "seed_for", "type_of"]
    assert shaping.__all__ == ["nearest_enum", "shape"]
    assert universe.__all__ == ["CATEGORIES", "ID_RANGES", "Universe", "kind_of", "spell", "unspell"]
    assert lookups.__all__ == ["LOOKUPS", "NotFound", "lookup"]
    assert datapack.__all__ == [
        "NON_DATA_PARAMS",
        "DataPack",
        "DataPackError",
        "Record",
        "canonical",
        "cursor_page",
        "normalise_language",
        "page_of",
        "read_records",
    ]
    for module in (app, backend, datapack, generate, lookups, routes, shaping, universe):
        assert all(hasattr(module, name) for name in module.__all__)
