import gzip
import hashlib
import json

import pytest

import spec_snapshots
from spec_snapshots.store import write_snapshot


def test_bundled_latest_is_the_full_1_3_8_spec_with_matching_sha256():
    snap = spec_snapshots.get(route="latest", dirs=[])
    assert snap.bundled and snap.version == "1.3.8" and not snap.derived
    raw = snap.read_bytes()
    assert hashlib.sha256(raw).hexdigest() == snap.sha256
    spec = snap.load()
    assert spec["basePath"] == "/latest"
    assert len(spec["paths"]) == 191
    assert snap.source["package"] == "django-esi" and snap.source["version"] == "7.0.1"


def test_bundled_openapi_by_date_and_newest():
    snap = spec_snapshots.get(compatibility_date="2025-12-16", dirs=[])
    assert snap.format == "openapi3"
    assert hashlib.sha256(snap.read_bytes()).hexdigest() == snap.sha256
    assert spec_snapshots.get(compatibility_date="newest", dirs=[]).key == snap.key


def test_unknown_route_and_date_name_what_was_asked():
    with pytest.raises(spec_snapshots.SnapshotNotFound, match="'v9'"):
        spec_snapshots.get(route="v9", dirs=[])
    with pytest.raises(spec_snapshots.SnapshotNotFound, match="1999-01-01.*known dates: 2025-12-16"):
        spec_snapshots.get(compatibility_date="1999-01-01", dirs=[])
    with pytest.raises(ValueError, match="YYYY-MM-DD"):
        spec_snapshots.get(compatibility_date="yesterday", dirs=[])


def test_plain_directory_of_real_specs_gives_the_2025_route_family(shared_specs):
    snaps = spec_snapshots.list_snapshots([shared_specs])
    routes = {s.route for s in snaps if s.format == "swagger2" and s.version == "1.30"}
    assert {"latest", "legacy", "dev", "v1", "v2", "v3", "v4", "v5", "v6"} <= routes
    assert spec_snapshots.get(route="v3", dirs=[shared_specs]).version == "1.30"
    # newest latest across both directories is the 1.36 spec of 2025-12-03
    assert spec_snapshots.get(route="latest", dirs=[shared_specs]).version == "1.36"
    dates = {s.compatibility_date for s in snaps if s.format == "openapi3"}
    assert {"2020-01-01", "2025-12-16", "2026-08-04"} <= dates


def test_write_snapshot_keeps_original_bytes_and_provenance(tmp_path):
    raw = json.dumps(
        {"swagger": "2.0", "basePath": "/v4", "info": {"version": "9.9"}, "paths": {"/x/": {}}}
    ).encode()
    snap = write_snapshot(raw, tmp_path, source={"kind": "file", "path": "x.json"}, retrieved="2026-01-01")
    assert snap.route == "v4" and snap.version == "9.9"
    assert gzip.decompress((tmp_path / "swagger2/v4/9.9.json.gz").read_bytes()) == raw
    entry = spec_snapshots.manifest(tmp_path)["snapshots"][0]
    assert entry["sha256"] == hashlib.sha256(raw).hexdigest()
    assert entry["source"] == {"kind": "file", "path": "x.json"}
    assert spec_snapshots.get(route="v4", dirs=[tmp_path]).read_bytes() == raw


@pytest.mark.parametrize(
    "doc, reason",
    [
        ([], "not a spec: the document is a list"),
        ({"swagger": "2.0", "paths": {"/a": {}}}, "no info.version"),
        ({"swagger": "1.2", "info": {"version": "1"}, "paths": {"/a": {}}}, "unsupported Swagger version"),
        ({"openapi": "3.1.0", "info": {"version": "1.0"}, "paths": {"/a": {}}}, "not a compatibility date"),
        ({"info": {"version": "1"}, "paths": {"/a": {}}}, "neither a 'swagger' nor an 'openapi'"),
        ({"swagger": "2.0", "info": {"version": "1"}, "paths": {}}, "no paths"),
    ],
)
def test_malformed_spec_is_refused_with_the_reason(tmp_path, doc, reason):
    with pytest.raises(spec_snapshots.SnapshotError, match=reason):
        write_snapshot(json.dumps(doc).encode(), tmp_path, source={})
    assert not (tmp_path / "manifest.json").exists()
