"""Every spec ESI ever served: collection formats, ``_latest``, older ``latest`` versions,
OpenAPI and gzip spec files, and specs sharing an ``info.version`` (issue 12)."""

from __future__ import annotations

import copy
import gzip
import json
import warnings

import pytest
from django.test import override_settings

import spec_snapshots
from esi.clients import esi_client_factory
from esi.errors import SpecError
from esi.spec import SpecRequest, get_spec
from esi_testing import FakeESI
from esi_testing.fake.routes import Param
from spec_snapshots.derive import iter_operations
from spec_snapshots.store import import_spec
from tests.test_snapshots_cli import run

LATEST_084 = "swagger2-latest-0.8.4-2018-06-28-mockesi.json"
UNDERSCORE_086 = "swagger2-_latest-0.8.6-2019-07-15-orbital.json"
OPENAPI_2026 = "openapi3-2026-08-04-fetched-2026-08-04-esiproxy.json"
JITA, PERIMETER, NEW_CALDARI = 30000142, 30000144, 30000145


@pytest.fixture
def snapshot_dir(tmp_path, monkeypatch):
    """A user snapshot directory, configured for the client and the fake."""
    directory = tmp_path / "snaps"
    directory.mkdir()
    monkeypatch.setenv("ESI_SPEC_SNAPSHOT_DIRS", str(directory))
    with override_settings(ESI_SPEC_SNAPSHOT_DIRS=[str(directory)]):
        yield directory


def imported(shared_specs, name, directory, source="shared test data"):
    return import_spec(
        (shared_specs / name).read_bytes(), directory, source={"kind": "import", "origin": source}
    )


# --- collectionFormat ----------------------------------------------------------------


def test_nested_pipes_and_csv_go_the_same_way_through_client_and_fake():
    with FakeESI(mode="inprocess") as fake, fake.override_settings():
        client = esi_client_factory()
        client.Routes.get_route_origin_destination(
            origin=JITA,
            destination=NEW_CALDARI,
            connections=[[JITA, PERIMETER], [PERIMETER, NEW_CALDARI]],
            avoid=[PERIMETER, NEW_CALDARI],
        ).result()
        (entry,) = [e for e in fake.journal if e.operation == "get_route_origin_destination"]
    assert entry.status == 200
    assert entry.query["connections"] == [f"{JITA}|{PERIMETER},{PERIMETER}|{NEW_CALDARI}"]
    assert entry.query["avoid"] == [f"{PERIMETER},{NEW_CALDARI}"]


@pytest.mark.parametrize(
    ("fmt", "raw", "expected"),
    [
        ("csv", "1,2", [1, 2]),
        ("pipes", "1|2", [1, 2]),
        ("ssv", "1 2", [1, 2]),
        ("tsv", "1\t2", [1, 2]),
        ("multi", ["1", "2"], [1, 2]),
        ("multi", "1", [1]),
    ],
)
def test_the_fake_reads_every_collection_format(fmt, raw, expected):
    param = Param("ids", "query", False, {"type": "array", "items": {"type": "integer"}}, fmt)
    assert param.coerce(raw) == expected


def test_the_fake_reads_nested_collection_formats():
    schema = {
        "type": "array",
        "items": {"type": "array", "collectionFormat": "pipes", "items": {"type": "integer"}},
    }
    assert Param("connections", "query", False, schema).coerce("1|2,3|4") == [[1, 2], [3, 4]]


def test_a_single_multi_value_is_read_as_csv_as_esi_does():
    param = Param("ids", "query", False, {"type": "array", "items": {"type": "integer"}}, "multi")
    assert param.coerce("1,2") == [1, 2]


@pytest.mark.parametrize(
    ("style", "explode", "expected"),
    [
        ("form", None, "multi"),
        ("form", True, "multi"),
        ("form", False, "csv"),
        ("pipeDelimited", None, "pipes"),
        ("spaceDelimited", False, "ssv"),
    ],
)
def test_openapi_styles_map_to_one_collection_format_on_both_sides(style, explode, expected):
    from esi.openapi import collection_format

    param = {"name": "ids", "in": "query", "style": style, "schema": {"type": "array"}}
    if explode is not None:
        param["explode"] = explode
    assert collection_format(param) == expected


def test_openapi_arrays_work_through_client_and_fake():
    with FakeESI(snapshot="2025-12-16", mode="inprocess") as fake, fake.override_settings():
        client = esi_client_factory(compatibility_date="2025-12-16")
        names = client.Universe.post_universe_ids(names=["Jita", "Rifter"]).result()
        assert isinstance(names, dict)
        assert fake.journal[-1].status == 200


# --- _latest -----------------------------------------------------------------------------


def test_latest_with_an_underscore_builds_and_is_served(shared_specs, snapshot_dir):
    imported(shared_specs, UNDERSCORE_086, snapshot_dir)
    with FakeESI(snapshot="_latest", mode="inprocess") as fake, fake.override_settings():
        client = esi_client_factory(version="_latest")
        status = client.Status.get_status().result()
        assert status["players"] >= 0
        assert fake.journal[-1].path == "/v1/status/"
    assert esi_client_factory(version="_latest").Universe.get_universe_types_type_id


def test_latest_with_an_underscore_is_refused_clearly_when_none_is_imported():
    with pytest.raises(SpecError, match="_latest.*spec_snapshots import"):
        get_spec(SpecRequest(version="_latest"))


# --- an older latest, chosen by version -------------------------------------------------


def test_an_older_latest_is_chosen_by_route_at_version(shared_specs, snapshot_dir):
    imported(shared_specs, LATEST_084, snapshot_dir)
    imported(shared_specs, "swagger2-latest-1.36-2025-12-03-everef.json", snapshot_dir)
    assert spec_snapshots.resolve("latest", offline=True).version == "1.36"  # newest by default
    old = spec_snapshots.resolve("latest@0.8.4", offline=True)
    assert old.version == "0.8.4" and old.route == "latest"
    assert spec_snapshots.resolve(old.key, offline=True) == old  # a snapshot key works too

    # choose-by-version: start
    client = esi_client_factory(version="latest@0.8.4")  # an imported 2018 latest, not the newest
    with FakeESI(snapshot="latest@0.8.4") as fake, fake.override_settings():
        status = esi_client_factory().Status.get_status().result()  # the fake serves the same one
    # choose-by-version: end
    assert client._context.prepared.sources == (old.key,)
    assert status["players"] >= 0 and fake.journal[-1].snapshot == "latest"


def test_an_unknown_version_names_the_known_ones(shared_specs, snapshot_dir):
    imported(shared_specs, LATEST_084, snapshot_dir)
    with pytest.raises(SpecError, match=r"latest@9\.9\.9.*known versions of latest: .*0\.8\.4.*1\.3\.8"):
        get_spec(SpecRequest(version="latest@9.9.9"))


# --- spec_file= -----------------------------------------------------------------------------


def test_spec_file_takes_an_openapi_31_file(shared_specs):
    prepared = get_spec(SpecRequest(spec_file=str(shared_specs / OPENAPI_2026)))
    assert prepared.spec.resources["Universe"]


def test_spec_file_takes_a_gzip_file(tmp_path):
    raw = spec_snapshots.get(route="latest").read_bytes()
    path = tmp_path / "latest.json.gz"
    path.write_bytes(gzip.compress(raw))
    client = esi_client_factory(spec_file=str(path))
    assert client.Status.get_status


def test_spec_file_refuses_a_broken_openapi_file_with_the_reason(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text(
        json.dumps(
            {
                "openapi": "3.1.0",
                "info": {"title": "x", "version": "2025-01-01"},
                "paths": {"/a": {"get": {}}},
            }
        )
    )
    with pytest.raises(SpecError, match="has no responses"):
        get_spec(SpecRequest(spec_file=str(path)))


# --- same info.version, different content --------------------------------------------------


def _trimmed_twin(shared_specs, tmp_path, drop=7):
    """Return a file with the same info.version as the 0.8.6 _latest spec and ``drop`` operations fewer."""
    spec = json.loads((shared_specs / UNDERSCORE_086).read_bytes())
    twin = copy.deepcopy(spec)
    dropped = [(m, p) for m, p, _ in iter_operations(spec)][-drop:]
    for method, path in dropped:
        del twin["paths"][path][method]
        if not any(k in twin["paths"][path] for k in ("get", "post", "put", "delete")):
            del twin["paths"][path]
    path = tmp_path / "twin.json"
    path.write_text(json.dumps(twin))
    return path, dropped


def test_two_specs_with_one_version_are_both_kept_and_told_apart(shared_specs, tmp_path):
    store = tmp_path / "store"
    twin, dropped = _trimmed_twin(shared_specs, tmp_path)
    assert run("import", shared_specs / UNDERSCORE_086, "--dir", store)[0] == 0
    assert run("import", twin, "--dir", store)[0] == 0
    assert run("import", twin, "--dir", store)[0] == 0  # the same content again: no third entry

    snaps = [s for s in spec_snapshots.list_snapshots([store]) if s.directory == store.resolve()]
    assert len(snaps) == 2 and {s.version for s in snaps} == {"0.8.6"}
    first, second = sorted(snaps, key=lambda s: s.key)
    assert first.key == "swagger2/_latest/0.8.6"
    assert second.key == f"swagger2/_latest/0.8.6+{second.sha256[:12]}"
    assert first.path != second.path and first.path.exists() and second.path.exists()

    code, out, _ = run("list", "--dir", store)
    assert code == 0 and first.sha256[:12] in out and second.sha256[:12] in out

    code, out, _ = run("diff", first.key, second.key, "--dir", store, "--json")
    result = json.loads(out)
    assert code == 0 and len(result["removed"]) == len(dropped) == 7


def test_diff_refuses_an_ambiguous_version_naming_the_keys(shared_specs, tmp_path):
    store = tmp_path / "store"
    twin, _ = _trimmed_twin(shared_specs, tmp_path)
    run("import", shared_specs / UNDERSCORE_086, "--dir", store)
    run("import", twin, "--dir", store)
    code, _, err = run("diff", "_latest@0.8.6", "_latest", "--dir", store)
    assert code == 2 and "2 snapshots" in err and "swagger2/_latest/0.8.6+" in err


def test_resolving_a_route_never_warns_for_real_snapshots(shared_specs, snapshot_dir):
    imported(shared_specs, LATEST_084, snapshot_dir)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert spec_snapshots.resolve("latest@0.8.4", offline=True).version == "0.8.4"
