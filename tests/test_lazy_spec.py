"""esi.lazy_spec: a client read from the spec cache builds only the operations it uses."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from bravado_core.spec import Spec

import spec_snapshots
from bench._common import doubled_spec
from esi import spec as esi_spec
from esi.clients import esi_client_factory
from esi.lazy_spec import LazySpec, fragment_of
from esi.spec import SpecRequest, get_spec


def _warm(request: SpecRequest) -> tuple[Any, Any]:
    """Return (the spec built now, the same read back from the cache as a new process would)."""
    built = get_spec(request)
    esi_spec.clear_memory_cache()
    return built, get_spec(request)


def test_a_spec_read_from_the_cache_builds_each_operation_on_first_use_only(disk_cache: Path) -> None:
    built, read = _warm(SpecRequest())
    lazy = read.spec
    assert isinstance(lazy, LazySpec)
    assert sorted(lazy.resources) == sorted(built.spec.resources)
    assert lazy._built == {} and lazy._full is None
    op = lazy.resources["Universe"].operations["get_universe_types_type_id"]
    assert lazy.resources["Universe"].operations["get_universe_types_type_id"] is op
    assert list(lazy._built) == [("Universe", "get_universe_types_type_id")]
    assert lazy._full is None  # the rest of the spec was never read
    full_op = built.spec.full.resources["Universe"].operations["get_universe_types_type_id"]
    assert (op.path_name, op.http_method, sorted(op.params)) == (
        full_op.path_name,
        full_op.http_method,
        sorted(full_op.params),
    )
    assert op.op_spec == full_op.op_spec


def test_the_whole_spec_is_built_when_something_only_a_full_spec_has_is_asked_for(disk_cache: Path) -> None:
    built, read = _warm(SpecRequest())
    assert read.spec.spec_dict == built.spec.spec_dict
    assert isinstance(read.spec.full, Spec)
    assert set(read.spec.definitions) == set(built.spec.definitions)


def test_a_client_read_from_the_cache_calls_and_lists_as_before(disk_cache: Path, fake_esi: Any) -> None:
    _warm(SpecRequest())
    client = esi_client_factory()
    assert client.Status.get_status().result()["players"] > 0
    assert "Universe" in dir(client) and "get_status" in dir(client.Status)
    assert list(client.swagger_spec._built) == [("Status", "get_status")]
    with pytest.raises(AttributeError, match="Available operations"):
        client.Status.no_such_operation  # noqa: B018


def test_a_tag_as_written_in_the_spec_finds_its_resource(disk_cache: Path) -> None:
    _, read = _warm(SpecRequest())
    assert read.spec.resources.get("Faction Warfare") is read.spec.resources["Faction_Warfare"]
    assert "Faction Warfare" in read.spec.resources


def test_a_fragment_holds_its_operation_and_everything_it_refers_to_only() -> None:
    spec = json.loads(spec_snapshots.get(route="latest", dirs=[]).read_bytes())
    fragment = fragment_of(spec, "/markets/{region_id}/orders/", "get")
    assert list(fragment["paths"]) == ["/markets/{region_id}/orders/"]
    assert list(fragment["paths"]["/markets/{region_id}/orders/"]) == ["get"]
    text = json.dumps(fragment)
    for section in ("parameters", "definitions", "responses"):
        for name in fragment.get(section, {}):
            assert f'"#/{section}/{name}"' in text  # nothing unused was copied
    refs = {r for r in _refs_in(fragment)}
    assert refs <= {
        f"#/{s}/{n}" for s in ("parameters", "definitions", "responses") for n in fragment.get(s, {})
    }
    assert len(fragment.get("parameters", {})) < len(spec["parameters"])


def _refs_in(node: Any) -> list[str]:
    if isinstance(node, list):
        return [r for v in node for r in _refs_in(v)]
    if isinstance(node, dict):
        own = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return own + [r for v in node.values() for r in _refs_in(v)]
    return []


def test_the_cost_of_a_client_grows_with_the_operations_used_not_the_size_of_the_spec(
    disk_cache: Path, tmp_path: Path
) -> None:
    spec = json.loads(spec_snapshots.get(route="latest", dirs=[]).read_bytes())
    doubled = doubled_spec(spec)
    files = {}
    for name, content in (("spec", spec), ("doubled", doubled)):
        files[name] = tmp_path / f"{name}.json"
        files[name].write_text(json.dumps(content))
    read = {}
    for name, path in files.items():
        _, read[name] = _warm(SpecRequest(spec_file=str(path)))
        read[name].spec.resources["Universe"].operations["get_universe_types_type_id"]
    assert len(read["doubled"].spec.resources) == 2 * len(read["spec"].spec.resources)
    for prepared in read.values():
        assert list(prepared.spec._built) == [("Universe", "get_universe_types_type_id")]
        assert prepared.spec._full is None


def test_a_spec_file_is_validated_once_when_prepared_never_again_when_read_from_the_cache(
    disk_cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from swagger_spec_validator import validator20

    validated: list[str] = []
    real = validator20.validate_spec

    def counting(spec_dict: Any, *args: Any, **kwargs: Any) -> Any:
        validated.append(next(iter(spec_dict["paths"])))
        return real(spec_dict, *args, **kwargs)

    monkeypatch.setattr(validator20, "validate_spec", counting)
    path = tmp_path / "spec.json"
    path.write_bytes(spec_snapshots.get(route="latest", dirs=[]).read_bytes())
    built, read = _warm(SpecRequest(spec_file=str(path)))
    assert len(validated) == 1  # the whole file, on its first build
    assert read.spec.config["validate_swagger_spec"] is True  # what the spec was prepared with
    op = read.spec.resources["Status"].operations["get_status"]
    assert op.swagger_spec.config["validate_swagger_spec"] is False
    assert read.spec.spec_dict == built.spec.spec_dict  # the whole spec, built again from its fragment
    assert len(validated) == 1


@pytest.mark.esi_snapshot("2025-12-16")
def test_the_openapi_faces_first_call_reads_only_its_operation(disk_cache: Path, fake_esi: Any) -> None:
    from esi.openapi_clients import ESIClientProvider

    _warm(SpecRequest(compatibility_date="2025-12-16"))
    client = ESIClientProvider("2025-12-16", ua_appname="Lazy", ua_version="1.0").client
    assert client.Status.GetStatus().result(use_etag=False).players > 0
    lazy = get_spec(SpecRequest(compatibility_date="2025-12-16")).spec
    assert list(lazy._built) == [("Status", "GetStatus")]
    assert lazy._full is None  # its model came from its own fragment's definitions


def test_a_copied_or_pickled_client_keeps_its_operations(disk_cache: Path, fake_esi: Any) -> None:
    import copy
    import pickle

    _warm(SpecRequest())
    spec = get_spec(SpecRequest()).spec
    assert copy.deepcopy(spec) is spec and copy.copy(spec) is spec
    again = pickle.loads(pickle.dumps(spec))
    op = again.resources["Status"].operations["get_status"]
    assert op.operation_id == "get_status" and again._full is None


def test_a_damaged_fragment_raises_spec_error_naming_the_cache_file(disk_cache: Path) -> None:
    from esi.errors import SpecError

    _warm(SpecRequest())
    (path,) = disk_cache.glob("spec-*.pickle")
    data = bytearray(path.read_bytes())
    offset, length = get_spec(SpecRequest()).spec._offsets["get /status/"]
    esi_spec.clear_memory_cache()
    header = len(data) - len(get_spec(SpecRequest()).spec._region)
    data[header + offset : header + offset + length] = b"\x00" * length
    path.write_bytes(bytes(data))
    esi_spec.clear_memory_cache()
    with pytest.raises(SpecError, match=r"get /status/ in spec cache file .*: it is rebuilt"):
        get_spec(SpecRequest()).spec.resources["Status"].operations["get_status"]
