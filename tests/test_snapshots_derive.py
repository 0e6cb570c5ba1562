import io
import json

import pytest
from swagger_spec_validator.validator20 import validate_spec

import spec_snapshots
from spec_snapshots.cli import execute
from spec_snapshots.derive import derive_report, derive_route, iter_operations

LATEST_130 = "swagger2-latest-1.30-2025-03-26-mockesi.json"
LATEST_136 = "swagger2-latest-1.36-2025-12-03-everef.json"
ROUTES = ["latest", "legacy", "dev", "v1", "v2", "v3", "v4", "v5", "v6"]


@pytest.fixture(scope="module")
def latest_130(shared_specs):
    return json.loads((shared_specs / LATEST_130).read_bytes())


def _refs(node, out):
    if isinstance(node, dict):
        if isinstance(node.get("$ref"), str):
            out.add(node["$ref"])
        for v in node.values():
            _refs(v, out)
    elif isinstance(node, list):
        for v in node:
            _refs(v, out)
    return out


@pytest.mark.parametrize("route", ["v2", "v3", "v6"])
def test_derived_route_keeps_its_operations_and_only_what_they_reference(latest_130, route):
    derived = derive_route(latest_130, route)
    assert derived["basePath"] == f"/{route}"
    assert derived["x-django-esi-derived"] == {"from_route": "latest", "from_version": "1.30"}
    ops = list(iter_operations(derived))
    assert ops and all(route in op["x-alternate-versions"] for _, _, op in ops)
    expected = {(m, p) for m, p, op in iter_operations(latest_130) if route in op["x-alternate-versions"]}
    assert {(m, p) for m, p, _ in ops} == expected
    # Every definition/parameter kept is reachable, and every $ref still resolves.
    refs = _refs(derived["paths"], set())
    pending = set(refs)
    while pending:
        section, name = pending.pop().split("/")[1:]
        for r in _refs(derived[section][name], set()) - refs:
            refs.add(r)
            pending.add(r)
    kept = {f"#/{s}/{n}" for s in ("definitions", "parameters") for n in derived.get(s, {})}
    assert kept == refs
    assert len(derived["definitions"]) < len(latest_130["definitions"])
    validate_spec(derived)  # a spec bravado can build
    assert derived is not latest_130 and latest_130["basePath"] == "/latest"  # the source is untouched


def test_deriving_the_source_route_keeps_every_operation(latest_130):
    derived = derive_route(latest_130, "latest")
    assert sum(1 for _ in iter_operations(derived)) == sum(1 for _ in iter_operations(latest_130))


def test_a_route_nobody_lists_cannot_be_derived(latest_130):
    with pytest.raises(spec_snapshots.SnapshotError, match="'v7'.*no operation lists it"):
        derive_route(latest_130, "v7")


def test_only_swagger_route_specs_can_be_sources(shared_specs):
    openapi = spec_snapshots.get(compatibility_date="2025-12-16", dirs=[]).load()
    with pytest.raises(spec_snapshots.SnapshotError, match="openapi3"):
        derive_route(openapi, "v1")
    underscored = json.loads((shared_specs / "swagger2-_latest-1.30-2025-03-26-goesi.json").read_bytes())
    with pytest.raises(spec_snapshots.SnapshotError, match="_latest"):
        derive_route(underscored, "v1")


def test_2020_latest_has_no_character_operation_at_v3_while_2025_latest_does(shared_specs):
    bundled = spec_snapshots.get(route="latest", dirs=[]).load()
    latest_136 = json.loads((shared_specs / LATEST_136).read_bytes())

    def character(spec):
        return {op["operationId"] for _, _, op in iter_operations(spec) if "Character" in op["tags"]}

    assert character(derive_route(bundled, "v3")) == set()
    assert character(derive_route(latest_136, "v3")) == {
        "get_characters_character_id_blueprints",
        "get_characters_character_id_portrait",
        "get_characters_character_id_roles",
    }


@pytest.fixture(scope="module")
def real_family(shared_specs):
    return {
        r: json.loads((shared_specs / f"swagger2-{r}-1.30-2025-03-26-mockesi.json").read_bytes())
        for r in ROUTES
    }


def _figures(rows):
    return {
        r["route"]: (r["real"], r["derived"], r["reproduced"], r["same_contract"], len(r["missing"]))
        for r in rows
    }


def test_derive_report_from_the_matched_1_30_latest(latest_130, real_family):
    rows = derive_report(latest_130, real_family)
    # Measured: what a route serves in an older implementation than latest is what is missing.
    assert _figures(rows) == {
        "latest": (195, 195, 195, 195, 0),
        "legacy": (176, 146, 146, 146, 30),
        "dev": (194, 175, 175, 175, 19),
        "v1": (150, 128, 128, 128, 22),
        "v2": (89, 67, 67, 67, 22),
        "v3": (22, 19, 19, 19, 3),
        "v4": (14, 12, 12, 12, 2),
        "v5": (7, 7, 7, 7, 0),
        "v6": (2, 2, 2, 2, 0),
    }
    by_route = {r["route"]: r for r in rows}
    assert all(r["extra"] == [] for r in rows)  # it never invents an operation
    assert {o["operationId"] for o in by_route["v3"]["missing"]} == {
        "get_corporations_corporation_id_members",
        "get_universe_structures_structure_id",
        "get_universe_system_kills",
    }
    assert {o["operationId"] for o in by_route["v4"]["missing"]} == {
        "post_characters_character_id_cspa",
        "get_corporations_corporation_id",
    }


def test_derive_report_from_the_newest_swagger_latest_1_36(shared_specs, real_family):
    rows = derive_report(json.loads((shared_specs / LATEST_136).read_bytes()), real_family)
    assert _figures(rows) == {
        "latest": (195, 195, 195, 187, 0),
        "legacy": (176, 175, 175, 167, 1),
        "dev": (194, 175, 175, 167, 19),
        "v1": (150, 149, 149, 148, 1),
        "v2": (89, 72, 72, 69, 17),
        "v3": (22, 20, 20, 17, 2),
        "v4": (14, 14, 14, 10, 0),
        "v5": (7, 7, 7, 3, 0),
        "v6": (2, 2, 2, 0, 0),
    }
    by_route = {r["route"]: r for r in rows}
    assert [o["operationId"] for o in by_route["v1"]["missing"]] == [
        "get_characters_character_id_mail_unread"
    ]


def test_derive_report_command_prints_the_table(shared_specs):
    out = io.StringIO()
    execute(["derive-report", "--from", str(shared_specs / LATEST_130), "--against", str(shared_specs)], out)
    text = out.getvalue()
    assert "against the real route specs of info.version 1.30" in text
    assert "v6      2     2        2           2              0        0" in text
    assert "v3 missing (3):\n  GET /corporations/{corporation_id}/members" in text
    out = io.StringIO()
    execute(
        ["derive-report", "--from", str(shared_specs / LATEST_130), "--against", str(shared_specs), "--json"],
        out,
    )
    doc = json.loads(out.getvalue())
    assert doc["version"] == "1.30" and [r["route"] for r in doc["routes"]] == ROUTES


def test_derive_command_stores_a_snapshot_marked_derived(tmp_path):
    out = io.StringIO()
    execute(["derive", "v3", "--dir", str(tmp_path)], out)
    snap = spec_snapshots.get(route="v3", dirs=[tmp_path])
    assert snap.derived and snap.key == "swagger2/v3/1.3.8-derived"
    assert snap.source["kind"] == "derived" and "swagger2/latest/1.3.8" in snap.source["from"]
    assert snap.load()["basePath"] == "/v3"
    # A stored derived snapshot never hides the need for a real one.
    with pytest.warns(spec_snapshots.SpecDerivedWarning):
        assert spec_snapshots.resolve("v3", offline=True, dirs=[tmp_path]).derived
