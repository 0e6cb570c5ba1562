"""The OpenAPI 3.1 -> Swagger 2.0 conversion, on every real OpenAPI spec we have."""

from __future__ import annotations

import copy
import json

import pytest
from bravado_core.spec import Spec
from bravado_core.validate import validate_object
from jsonschema.exceptions import ValidationError

import spec_snapshots
from esi.openapi import (
    HTTP_METHODS,
    OpenAPIConversionError,
    convert,
    operation_aliases,
    snake_case,
    swagger_name,
)

BUILD_CONFIG = {"validate_swagger_spec": False, "use_models": False, "validate_responses": True}


def _openapi_files(shared_specs):
    files = sorted(shared_specs.glob("openapi3-*.json"))
    assert len(files) >= 5
    return files


def _ops(spec):
    return {
        (method, path): op
        for path, item in spec["paths"].items()
        for method, op in item.items()
        if method in HTTP_METHODS
    }


def test_swagger_name_follows_esi_rule_for_every_swagger_operation():
    spec = spec_snapshots.get(route="latest", dirs=[]).load()
    ops = _ops(spec)
    assert len(ops) == 206
    assert all(swagger_name(m, p) == op["operationId"] for (m, p), op in ops.items())


def test_snake_case():
    assert snake_case("GetUniverseTypesTypeId") == "get_universe_types_type_id"
    assert snake_case("PostUniverseIds") == "post_universe_ids"


def test_every_real_openapi_spec_converts_and_builds_in_bravado(shared_specs):
    built = {}
    for path in _openapi_files(shared_specs):
        spec = json.loads(path.read_bytes())
        untouched = copy.deepcopy(spec)
        swagger = convert(spec)
        assert spec == untouched, "convert() must not modify its input"
        core = Spec.from_dict(swagger, origin_url="https://esi.evetech.net/swagger.json", config=BUILD_CONFIG)
        n_ops = sum(len(r.operations) for r in core.resources.values())
        assert n_ops == len(_ops(spec)), path.name
        assert swagger["x-esi-compatibility-date"] == spec["info"]["version"]
        built[spec["info"]["version"]] = n_ops
    # facts of the real specs (SOURCES.md): 197 operations on 2020-01-01, 225 on 2026-08-04
    assert built["2020-01-01"] == 197 and built["2026-08-04"] == 225


def test_aliases_are_the_swagger_era_names(shared_specs):
    swagger_latest = json.loads((shared_specs / "swagger2-latest-1.36-2025-12-03-everef.json").read_bytes())
    old = {(m, "/" + p.strip("/")): op["operationId"] for (m, p), op in _ops(swagger_latest).items()}
    openapi = json.loads((shared_specs / "openapi3-2025-12-16-fetched-2026-05-08-esiproxy.json").read_bytes())
    converted = convert(openapi)
    matched = 0
    for (method, path), op in _ops(converted).items():
        key = (method, "/" + path.strip("/"))
        if key in old:
            assert op["x-esi-alias"] == old[key]
            matched += 1
    # 194 of the 195 operations of Swagger 1.36 are still served on 2025-12-16 and keep
    # their old name; GET /route/{origin}/{destination}/ became POST /route/{origin_system_id}/...
    assert matched == 194
    assert ("get", "/route/{origin}/{destination}") in old
    assert "post_route_origin_system_id_destination_system_id" in {
        op["x-esi-alias"] for op in _ops(converted).values()
    }
    aliases = operation_aliases(converted)
    assert aliases["Universe"]["get_universe_types_type_id"] == "GetUniverseTypesTypeId"
    assert aliases["Faction_Warfare"]["get_fw_stats"] == "GetFwStats"


def test_body_parameters_keep_their_swagger_names():
    openapi = spec_snapshots.get(compatibility_date="2025-12-16", dirs=[]).load()
    ops = _ops(convert(openapi))
    body = {
        op["x-esi-alias"]: p["name"] for op in ops.values() for p in op["parameters"] if p["in"] == "body"
    }
    assert body["post_universe_names"] == "ids"
    assert body["post_universe_ids"] == "names"
    assert body["post_characters_affiliation"] == "characters"
    assert body["put_fleets_fleet_id"] == "new_settings"


def test_parameters_headers_and_extensions():
    openapi = spec_snapshots.get(compatibility_date="2025-12-16", dirs=[]).load()
    op = convert(openapi)["paths"]["/markets/{region_id}/orders"]["get"]
    params = {p["name"]: p for p in op["parameters"]}
    assert set(params) == {"region_id", "order_type", "page", "type_id", "Accept-Language"}
    assert params["region_id"] == {**params["region_id"], "in": "path", "required": True, "type": "integer"}
    assert params["order_type"]["enum"] == ["buy", "sell", "all"]
    assert params["Accept-Language"]["enum"] == ["en", "de", "fr", "ja", "ru", "zh", "ko", "es"]
    assert op["responses"]["200"]["headers"]["X-Pages"]["type"] == "integer"
    assert op["x-cached-seconds"] == op["x-cache-age"] == 300
    assert op["x-rate-limit"]["group"] == "market-order"
    assert op["responses"]["200"]["schema"]["$ref"].startswith("#/definitions/")


def test_nullable_type_lists_become_x_nullable(shared_specs):
    openapi = json.loads((shared_specs / "openapi3-2026-08-04-fetched-2026-08-04-esiproxy.json").read_bytes())
    definitions = convert(openapi)["definitions"]
    transport = definitions["CorporationsStructuresSovereigntyHubsDetailTransport"]
    transit = transport["properties"]["configuration"]["oneOf"][2]["properties"]["transit"]
    assert transit["type"] == "boolean" and transit["x-nullable"] is True


def test_one_of_tells_esi_unions_apart(shared_specs):
    openapi = json.loads((shared_specs / "openapi3-2026-08-04-fetched-2026-08-04-esiproxy.json").read_bytes())
    swagger = convert(openapi)
    core = Spec.from_dict(swagger, origin_url="https://esi.evetech.net/swagger.json", config=BUILD_CONFIG)
    schema = swagger["definitions"]["CorporationsProjectsDetail"]["properties"]["configuration"]
    branch = next(b for b in schema["oneOf"] if "damage_ship" in b["properties"])
    assert branch["required"] == ["damage_ship"]
    damage = {"damage_ship": {"identities": [], "ships": []}}
    validate_object(core, schema, damage)  # exactly one branch matches
    with pytest.raises(ValidationError):
        validate_object(core, schema, {"damage_ship": {}, "lost_ship": {}})


@pytest.mark.parametrize(
    "doc, reason",
    [
        ({"swagger": "2.0", "info": {}, "paths": {}}, "no 'openapi: 3.x'"),
        ({"openapi": "3.1.0", "paths": {}}, "needs 'info' and 'paths'"),
        (
            {
                "openapi": "3.1.0",
                "info": {"version": "2025-01-01"},
                "paths": {
                    "/a": {
                        "get": {
                            "parameters": [{"$ref": "#/components/parameters/Nope"}],
                            "responses": {"200": {"description": "ok"}},
                        }
                    }
                },
            },
            r"GET /a: \$ref '#/components/parameters/Nope' points at nothing",
        ),
        (
            {
                "openapi": "3.1.0",
                "info": {"version": "2025-01-01"},
                "paths": {"/a": {"get": {"responses": {}}}},
            },
            "GET /a: no responses",
        ),
    ],
)
def test_malformed_specs_are_refused_with_the_reason(doc, reason):
    with pytest.raises(OpenAPIConversionError, match=reason):
        convert(doc)
