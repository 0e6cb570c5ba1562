"""esi.bravado_spec: a spec is built without jsonschema's preloaded metaschemas, and works as before."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from bravado_core.spec import Spec

import spec_snapshots
from esi import spec as esi_spec
from esi.bravado_spec import LeanSpec, build_spec, preloaded_metaschemas
from esi.lazy_spec import fragment_of
from esi.spec import SpecRequest, get_spec

ORIGIN = "https://esi.evetech.net/swagger.json"
CONFIG = {
    "use_models": False,
    "validate_swagger_spec": False,
    "validate_requests": True,
    "validate_responses": False,
}


class _NoNetwork:
    """An HTTP client for remote $refs that fails the test if anything is downloaded."""

    def request(self, request_params: dict[str, Any]) -> Any:
        raise AssertionError(f"downloaded {request_params['url']}")


def _latest() -> dict[str, Any]:
    return json.loads(spec_snapshots.get(route="latest", dirs=[]).read_bytes())


def _metaschemas_in(spec: Any) -> list[str]:
    store = spec.resolver.store
    return [uri for uri, document in preloaded_metaschemas().items() if store.get(uri) is document]


def test_jsonschema_preloads_metaschemas_that_bravado_would_walk() -> None:
    # What the helper exists for: if jsonschema stops preloading them, it has nothing to do.
    assert any(uri.startswith("https://json-schema.org/draft/2020-12/") for uri in preloaded_metaschemas())
    plain = Spec(fragment_of(_latest(), "/status/", "get"), origin_url=ORIGIN, config=CONFIG)
    assert sorted(_metaschemas_in(plain)) == sorted(preloaded_metaschemas())


@pytest.mark.parametrize("validate", [False, True], ids=["unvalidated", "validated"])
def test_a_built_spec_holds_no_metaschema_but_its_own_document(validate: bool) -> None:
    fragment = fragment_of(_latest(), "/universe/types/{type_id}/", "get")
    spec = build_spec(fragment, origin_url=ORIGIN, config={**CONFIG, "validate_swagger_spec": validate})
    assert isinstance(spec, LeanSpec)
    assert _metaschemas_in(spec) == []
    assert list(spec.resolver.store) == [ORIGIN]
    assert spec.resolver.store[ORIGIN] is spec.spec_dict


def test_models_operations_and_deref_are_those_of_a_plain_spec() -> None:
    spec_dict = _latest()
    plain = Spec.from_dict(copy.deepcopy(spec_dict), origin_url=ORIGIN, config=CONFIG)
    lean = build_spec(copy.deepcopy(spec_dict), origin_url=ORIGIN, config=CONFIG)
    assert set(lean.definitions) == set(plain.definitions)
    assert {n: sorted(r.operations) for n, r in lean.resources.items()} == {
        n: sorted(r.operations) for n, r in plain.resources.items()
    }
    op = lean.resources["Universe"].operations["get_universe_types_type_id"]
    schema = op.op_spec["responses"]["200"]["schema"]
    assert lean.deref(schema) == plain.deref(
        plain.resources["Universe"]
        .operations["get_universe_types_type_id"]
        .op_spec["responses"]["200"]["schema"]
    )
    assert lean.deref(schema)["type"] == "object"
    assert lean.client_spec_dict == plain.client_spec_dict


def test_a_spec_that_refs_a_metaschema_still_resolves_it_from_memory() -> None:
    draft4 = "http://json-schema.org/draft-04/schema"
    spec_dict = {
        "swagger": "2.0",
        "info": {"title": "t", "version": "1"},
        "paths": {
            "/n/": {
                "get": {
                    "operationId": "get_n",
                    "tags": ["N"],
                    "responses": {"200": {"description": "ok", "schema": {"$ref": "#/definitions/n"}}},
                }
            }
        },
        "definitions": {"n": {"$ref": f"{draft4}#/definitions/positiveInteger"}},
    }
    spec = LeanSpec.from_dict(spec_dict, origin_url=ORIGIN, http_client=_NoNetwork(), config=CONFIG)
    target = spec.deref(spec.spec_dict["definitions"]["n"])
    assert target == preloaded_metaschemas()[draft4]["definitions"]["positiveInteger"]
    assert spec.resolver.store[draft4] is preloaded_metaschemas()[draft4]  # the one used is kept


def test_a_spec_from_the_cache_and_its_fragments_build_lean_specs(settings: Any, tmp_path: Any) -> None:
    settings.ESI_SPEC_CACHE_DIR = str(tmp_path / "cache")
    esi_spec.clear_memory_cache()
    try:
        built = get_spec(SpecRequest())
        assert isinstance(built.spec.full, LeanSpec) and _metaschemas_in(built.spec.full) == []
        esi_spec.clear_memory_cache()
        read = get_spec(SpecRequest()).spec
        op = read.resources["Status"].operations["get_status"]
        assert op.swagger_spec is not read.full  # built from its fragment
        assert isinstance(op.swagger_spec, LeanSpec) and _metaschemas_in(op.swagger_spec) == []
    finally:
        esi_spec.clear_memory_cache()
