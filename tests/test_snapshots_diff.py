import copy
import json

import pytest

from spec_snapshots.diff import diff_specs, format_diff, normalise_path

OPENAPI_2025 = "openapi3-2025-12-16-fetched-2026-05-08-esiproxy.json"
OPENAPI_2026 = "openapi3-2026-08-04-fetched-2026-08-04-esiproxy.json"
LATEST_130 = "swagger2-latest-1.30-2025-03-26-mockesi.json"


def _swagger(paths, definitions=None, base="/latest"):
    return {
        "swagger": "2.0",
        "basePath": base,
        "info": {"version": "1.0"},
        "paths": paths,
        "definitions": definitions or {},
        "parameters": {"datasource": {"name": "datasource", "in": "query", "type": "string"}},
    }


def _op(op_id, params=(), schema=None):
    return {
        "operationId": op_id,
        "parameters": list(params),
        "responses": {"200": {"description": "ok", "schema": schema or {"type": "object"}}},
    }


@pytest.mark.parametrize(
    "path, expected",
    [
        ("/universe/types/{type_id}/", "/universe/types/{type_id}"),
        ("/v3/universe/types/{type_id}/", "/universe/types/{type_id}"),
        ("/latest/status/", "/status"),
        ("/universe/types/{type_id}", "/universe/types/{type_id}"),
        ("/", "/"),
        ("/v1versions/", "/v1versions"),
    ],
)
def test_normalise_path(path, expected):
    assert normalise_path(path) == expected


def test_parameter_and_response_changes_are_reported_by_json_path():
    a = _swagger(
        {
            "/things/{thing_id}/": {
                "get": _op(
                    "get_things_thing_id",
                    [
                        {
                            "name": "thing_id",
                            "in": "path",
                            "required": True,
                            "type": "integer",
                            "format": "int32",
                        },
                        {"name": "page", "in": "query", "type": "integer"},
                        {"$ref": "#/parameters/datasource"},
                    ],
                    {"$ref": "#/definitions/Thing"},
                )
            },
            "/gone/": {"get": _op("get_gone")},
        },
        {
            "Thing": {
                "type": "object",
                "required": ["name"],
                "properties": {
                    "name": {"type": "string"},
                    "size": {"type": "integer"},
                    "tags": {
                        "type": "array",
                        "items": {"type": "object", "properties": {"x": {"type": "string"}}},
                    },
                },
            }
        },
    )
    b = copy.deepcopy(a)
    del b["paths"]["/gone/"]
    b["paths"]["/new/"] = {"post": _op("post_new")}
    op = b["paths"]["/things/{thing_id}/"]["get"]
    op["parameters"][0]["format"] = "int64"
    op["parameters"][1]["required"] = True
    op["parameters"].append({"name": "X-Tenant", "in": "header", "type": "string"})
    op["parameters"].remove({"$ref": "#/parameters/datasource"})
    thing = b["definitions"]["Thing"]
    thing["properties"]["size"] = {"type": "number"}
    thing["properties"]["colour"] = {"type": "string"}
    thing["properties"]["tags"]["items"]["properties"]["x"]["enum"] = ["a", "b"]
    thing["required"] = []

    result = diff_specs(a, b, "a", "b")
    assert result["summary"] == {"matched": 1, "added": 1, "removed": 1, "renamed": 0, "changed": 1}
    assert result["added"] == [{"method": "POST", "path": "/new", "operationId": "post_new"}]
    assert result["removed"] == [{"method": "GET", "path": "/gone", "operationId": "get_gone"}]
    changed = result["changed"][0]
    params = {(c["change"], c["in"], c["name"]): c for c in changed["parameters"]}
    assert set(params) == {
        ("added", "header", "X-Tenant"),
        ("removed", "query", "datasource"),
        ("changed", "path", "thing_id"),
        ("changed", "query", "page"),
    }
    assert params[("changed", "path", "thing_id")]["from"] == {"format": "int32"}
    assert params[("changed", "query", "page")]["to"] == {"required": True}
    response = {(c["path"], c["change"]) for c in changed["response"]}
    assert response == {
        ("$.colour", "added"),
        ("$.name", "required"),
        ("$.size", "type"),
        ("$.tags[*].x", "enum"),
    }
    text = format_diff(result)
    assert "+ POST /new  post_new" in text and "- GET /gone  get_gone" in text
    assert "response ~ $.size type: integer -> number" in text
    assert "parameter ~ path thing_id: format=int32 -> format=int64" in text
    json.dumps(result)  # serialisable as is


def test_identical_specs_have_no_changes(shared_specs):
    spec = json.loads((shared_specs / OPENAPI_2025).read_bytes())
    result = diff_specs(spec, copy.deepcopy(spec))
    assert result["summary"] == {"matched": 208, "added": 0, "removed": 0, "renamed": 0, "changed": 0}


def test_recursive_schemas_do_not_loop():
    node = {"type": "object", "properties": {"child": {"$ref": "#/definitions/Node"}}}
    a = _swagger({"/n/": {"get": _op("get_n", schema={"$ref": "#/definitions/Node"})}}, {"Node": node})
    b = copy.deepcopy(a)
    b["definitions"]["Node"]["properties"]["name"] = {"type": "string"}
    changes = diff_specs(a, b)["changed"][0]["response"]
    assert {"path": "$.name", "change": "added", "to": "string"} in changes


@pytest.fixture(scope="module")
def dates_diff(shared_specs):
    a = json.loads((shared_specs / OPENAPI_2025).read_bytes())
    b = json.loads((shared_specs / OPENAPI_2026).read_bytes())
    return diff_specs(a, b, "2025-12-16", "2026-08-04")


def test_across_compatibility_dates_shows_the_operations_added_between_them(dates_diff):
    s = dates_diff["summary"]
    assert (s["matched"], s["added"], s["removed"], s["renamed"]) == (206, 19, 2, 1)
    added = {o["operationId"] for o in dates_diff["added"]}
    assert {
        "GetSovereigntySystems",
        "GetSkyhooksRaidable",
        "GetMetaName",
        "GetMilitaryCampaignsListing",
    } <= added
    assert {o["operationId"] for o in dates_diff["removed"]} == {
        "GetSovereigntyMap",
        "GetSovereigntyStructures",
    }
    assert dates_diff["renamed"] == [
        {
            "method": "GET",
            "path": "/characters/{character_id}",
            "from": "GetCharactersCharacterId",
            "to": "GetCharactersDetail",
        }
    ]
    # The compatibility-date header changes on every operation: reported once.
    [common] = dates_diff["common_parameter_changes"]
    assert (common["in"], common["name"], common["operations"]) == ("header", "X-Compatibility-Date", 206)
    assert common["from"]["enum"] == ["2025-12-16"] and common["to"]["enum"] == ["2026-08-04"]
    corp = next(c for c in dates_diff["changed"] if c["operationId"] == "GetCorporationsCorporationId")
    assert {"path": "$.tax_rate", "change": "removed"} in corp["response"]
    assert {"path": "$.tax_rates", "change": "added", "to": "object"} in corp["response"]


def test_across_eras_matches_operations_and_reports_renames_apart(shared_specs):
    a = json.loads((shared_specs / LATEST_130).read_bytes())
    b = json.loads((shared_specs / OPENAPI_2025).read_bytes())
    result = diff_specs(a, b, "latest", "2025-12-16")
    s = result["summary"]
    assert (s["matched"], s["added"], s["removed"], s["renamed"]) == (194, 14, 1, 194)
    renamed = {(r["from"], r["to"]) for r in result["renamed"]}
    assert ("get_universe_types_type_id", "GetUniverseTypesTypeId") in renamed
    assert [o["path"] for o in result["removed"]] == ["/route/{origin}/{destination}"]
    added = {o["operationId"] for o in result["added"]}
    assert {
        "PostRoute",
        "GetFreelanceJobsListing",
        "GetCorporationsProjectsListing",
        "GetMetaStatus",
    } <= added
    common = {(c["change"], c["in"], c["name"]): c["operations"] for c in result["common_parameter_changes"]}
    assert common[("added", "header", "X-Compatibility-Date")] == 194
    assert common[("removed", "query", "datasource")] == 194
    assert common[("removed", "query", "token")] == 119
    formats = {(c["from"], c["to"]): c["operations"] for c in result["common_format_changes"]}
    assert formats == {("int32", "int64"): 182, ("float", "double"): 35}
    types = next(c for c in result["changed"] if c["operationId"] == "GetUniverseTypesTypeId")
    assert {(p["change"], p["in"], p["name"]) for p in types["parameters"]} == {
        ("changed", "header", "Accept-Language"),
        ("removed", "query", "language"),
    }
    # Without grouping, the common changes appear under each operation.
    full = diff_specs(a, b, group_common=False)
    assert full["common_parameter_changes"] == [] and full["summary"]["changed"] > s["changed"]
