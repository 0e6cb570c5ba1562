"""esi.spec: the pickled-spec cache, merging resource versions, spec files."""

from __future__ import annotations

import copy
import json

import pytest
from bravado_core.spec import Spec

from esi import spec as esi_spec
from esi.errors import SpecError
from esi.spec import SpecRequest, get_spec, merge_resources, spec_cache_dir
from tests.client_fixtures import real_family  # noqa: F401 - fixture


@pytest.fixture
def count_builds(monkeypatch):
    """Count calls of bravado's Spec.from_dict."""
    calls = []
    real = Spec.from_dict.__func__

    def counting(cls, *args, **kwargs):
        calls.append(kwargs)
        return real(cls, *args, **kwargs)

    monkeypatch.setattr(Spec, "from_dict", classmethod(counting))
    return calls


def test_second_build_in_a_process_is_from_memory(disk_cache, count_builds):
    first = get_spec(SpecRequest())
    assert get_spec(SpecRequest()) is first
    assert len(count_builds) == 1


def test_second_process_unpickles_instead_of_building(disk_cache, count_builds):
    first = get_spec(SpecRequest())
    assert len(count_builds) == 1
    (pickled,) = disk_cache.glob("spec-*.pickle")
    esi_spec.clear_memory_cache()  # as a new process would start
    second = get_spec(SpecRequest())
    assert len(count_builds) == 1
    assert second is not first
    assert second.spec.spec_dict == first.spec.spec_dict
    assert sorted(second.spec.resources) == sorted(first.spec.resources)
    assert second.spec.http_client is None  # nothing of a session or a token is pickled
    assert pickled.stat().st_size > 0


def test_a_corrupt_cache_file_is_rebuilt(disk_cache, count_builds):
    get_spec(SpecRequest())
    (pickled,) = disk_cache.glob("spec-*.pickle")
    pickled.write_bytes(b"not a pickle")
    esi_spec.clear_memory_cache()
    assert "Universe" in get_spec(SpecRequest()).spec.resources
    assert len(count_builds) == 2


def test_cache_key_covers_the_mix_and_library_versions(disk_cache, count_builds, real_family, monkeypatch):  # noqa: F811
    get_spec(SpecRequest())
    get_spec(SpecRequest(resource_versions=(("Universe", "v1"),)))
    get_spec(SpecRequest(resource_versions=(("Universe", "v2"),)))
    assert len(count_builds) == 3
    assert len(list(disk_cache.glob("spec-*.pickle"))) == 3
    monkeypatch.setattr(esi_spec, "_library_versions", lambda: {"bravado": "99", "bravado-core": "99"})
    esi_spec.clear_memory_cache()
    get_spec(SpecRequest())
    assert len(count_builds) == 4


def test_disk_cache_off_and_default_dir(settings, monkeypatch, tmp_path):
    settings.ESI_SPEC_CACHE_DIR = False
    assert spec_cache_dir() is None
    settings.ESI_SPEC_CACHE_DIR = None
    monkeypatch.delenv("ESI_SPEC_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert spec_cache_dir() == tmp_path / "django-esi"


def test_snapshots_are_built_without_validation_and_spec_files_with_it(count_builds, tmp_path):
    esi_spec.clear_memory_cache()
    get_spec(SpecRequest())
    assert count_builds[-1]["config"]["validate_swagger_spec"] is False
    bad = {
        "swagger": "2.0",
        "info": {"title": "bad", "version": "1"},
        "paths": {
            "/x/": {"get": {"operationId": "get_x", "responses": {"200": {"schema": {"type": "nope"}}}}}
        },
    }
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(bad))
    with pytest.raises(SpecError, match=f"cannot build a client from spec file {path}"):
        get_spec(SpecRequest(spec_file=str(path)))
    assert count_builds[-1]["config"]["validate_swagger_spec"] is True


# --- merge_resources -------------------------------------------------------------


def _spec(base_path, ops, definitions=None):
    paths = {}
    for path, op_id, tag, extra in ops:
        paths.setdefault(path, {})["get"] = {
            "operationId": op_id,
            "tags": [tag],
            "responses": {"200": {"description": "ok", "schema": extra or {"type": "object"}}},
        }
    spec = {"swagger": "2.0", "info": {"title": "t", "version": "1"}, "basePath": base_path, "paths": paths}
    if definitions:
        spec["definitions"] = definitions
    return spec


def test_merge_takes_each_resource_from_its_spec_and_prefixes_paths():
    base = _spec(
        "/latest", [("/a/", "get_a", "Alpha", None), ("/fw/", "get_fw_new", "Faction Warfare", None)]
    )
    old = _spec(
        "/v2",
        [
            ("/fw/", "get_fw_old", "Faction Warfare", {"$ref": "#/definitions/thing"}),
            ("/a/", "get_a_old", "Alpha", None),
        ],
        definitions={
            "thing": {"type": "object", "properties": {"x": {"$ref": "#/definitions/inner"}}},
            "inner": {"type": "integer"},
        },
    )
    base_copy, old_copy = copy.deepcopy(base), copy.deepcopy(old)
    merged = merge_resources(base, {"Faction_Warfare": ("v2", old)})
    assert base == base_copy and old == old_copy
    assert merged["basePath"] == "/"
    ops = {(p, o["operationId"]) for p, item in merged["paths"].items() for o in item.values()}
    assert ops == {("/latest/a/", "get_a"), ("/v2/fw/", "get_fw_old")}
    assert merged["definitions"] == old["definitions"]


def test_merge_renames_a_definition_that_means_something_else_in_the_base():
    base = _spec(
        "/latest",
        [("/a/", "get_a", "Alpha", {"$ref": "#/definitions/thing"})],
        definitions={"thing": {"type": "string"}},
    )
    old = _spec(
        "/v1",
        [("/b/", "get_b", "Beta", {"$ref": "#/definitions/thing"})],
        definitions={"thing": {"type": "integer"}},
    )
    merged = merge_resources(base, {"Beta": ("v1", old)})
    assert merged["definitions"] == {"thing": {"type": "string"}, "thing_v1": {"type": "integer"}}
    assert merged["paths"]["/v1/b/"]["get"]["responses"]["200"]["schema"] == {
        "$ref": "#/definitions/thing_v1"
    }
    assert merged["paths"]["/latest/a/"]["get"]["responses"]["200"]["schema"] == {
        "$ref": "#/definitions/thing"
    }


def test_merge_of_a_missing_resource_names_it_and_the_version():
    base = _spec("/latest", [("/a/", "get_a", "Alpha", None)])
    with pytest.raises(
        AttributeError, match=r"Resource Gamma not found on ESI version v6 \(resources of v6: Alpha\)"
    ):
        merge_resources(base, {"Gamma": ("v6", base)})


def test_real_mix_keeps_every_other_resource_of_the_base(real_family):  # noqa: F811
    prepared = get_spec(SpecRequest(resource_versions=(("Universe", "v1"), ("Character", "v3"))))
    resources = prepared.spec.resources
    latest = get_spec(SpecRequest()).spec.resources
    assert set(resources) == set(latest)
    for name in set(latest) - {"Universe", "Character"}:
        assert set(resources[name].operations) == set(latest[name].operations)
    assert prepared.version_of("Universe") == "v1"
    assert prepared.version_of("character") == "v3"
    assert prepared.version_of("Status") == "latest"
    assert all(op.path_name.startswith("/v1/") for op in resources["Universe"].operations.values())
