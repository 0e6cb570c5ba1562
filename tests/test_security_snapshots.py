"""Security of the snapshot store and the data packs (issue 11, items 14 and 15).

Every path built from a spec's content (``info.version``, ``basePath``, a
compatibility date) or a manifest entry stays inside its directory, and no
compressed spec may inflate past :data:`spec_snapshots.MAX_SPEC_BYTES`.
"""

from __future__ import annotations

import gzip
import json
import zlib
from pathlib import Path

import pytest
import responses
from django.test import override_settings

import spec_snapshots
from esi_testing.fake.datapack import DataPack, DataPackError, Record, read_records
from spec_snapshots import MAX_SPEC_BYTES, SnapshotError
from spec_snapshots.store import import_spec, write_snapshot
from tests.test_snapshots_cli import run

SOURCE = {"kind": "import", "origin": "test"}


@pytest.fixture(autouse=True)
def no_configured_dirs(monkeypatch):
    monkeypatch.delenv("ESI_SPEC_SNAPSHOT_DIRS", raising=False)
    with override_settings(ESI_SPEC_SNAPSHOT_DIRS=(), ESI_SPEC_CACHE_DIR=False):
        yield


def swagger(version="1.0", base_path="/latest"):
    return {
        "swagger": "2.0",
        "info": {"title": "EVE Swagger Interface", "version": version},
        "basePath": base_path,
        "paths": {
            "/status/": {"get": {"operationId": "get_status", "responses": {"200": {"description": "ok"}}}}
        },
    }


def openapi(date):
    return {
        "openapi": "3.1.0",
        "info": {"title": "ESI", "version": date},
        "paths": {
            "/status": {"get": {"operationId": "GetStatus", "responses": {"200": {"description": "ok"}}}}
        },
    }


def files_under(path: Path) -> set[Path]:
    return {p for p in path.rglob("*") if p.is_file()}


# --- item 14: paths from spec content -------------------------------------------------


@pytest.mark.parametrize(
    "version",
    ["../../../x", "../x", "1.0/../../x", "/etc/x", "1.0\n", "..", "1.0\\..\\x", "", "1.0\x00"],
)
def test_import_refuses_a_version_that_is_not_a_version(tmp_path, version):
    store, spec_file = tmp_path / "store" / "deep", tmp_path / "evil.json"
    store.mkdir(parents=True)
    spec_file.write_text(json.dumps(swagger(version)))
    before = files_under(tmp_path)

    code, _, err = run("import", spec_file, "--dir", store)

    assert code == 2
    assert "info.version" in err
    assert files_under(tmp_path) == before  # nothing written, no manifest
    assert not (store / "manifest.json").exists()


def test_write_snapshot_refuses_traversal_through_the_python_api(tmp_path):
    store = tmp_path / "store"
    with pytest.raises(SnapshotError, match="info.version"):
        write_snapshot(json.dumps(swagger("../../../x")).encode(), store, source=SOURCE)
    with pytest.raises(SnapshotError, match="info.version"):
        import_spec(json.dumps(swagger("../../../x")).encode(), store, source=SOURCE)
    assert files_under(tmp_path) == set()


@pytest.mark.parametrize("base_path", ["/latest\n", "/../latest", "/v1/../../x", "/v１"])
def test_a_route_must_match_exactly(base_path):
    with pytest.raises(SnapshotError, match="basePath"):
        spec_snapshots.describe_spec(swagger(base_path=base_path))


@pytest.mark.parametrize("date", ["2025-12-16\n", "2025-12-16/../../x", "２０２５-12-16", "2025-13-40"])
def test_a_compatibility_date_must_be_a_real_date(date):
    with pytest.raises(SnapshotError, match="compatibility date"):
        spec_snapshots.describe_spec(openapi(date))
    with pytest.raises(ValueError, match="compatibility_date"):
        spec_snapshots.get(compatibility_date=date)


def test_a_good_version_is_still_stored_where_expected(tmp_path):
    snap = write_snapshot(json.dumps(swagger("0.3.8.dev1")).encode(), tmp_path, source=SOURCE)
    assert snap.path == tmp_path.resolve() / "swagger2" / "latest" / "0.3.8.dev1.json.gz"


@pytest.mark.parametrize("file", ["../outside.json.gz", "/etc/passwd", "swagger2/../../outside.json.gz"])
def test_a_manifest_entry_pointing_outside_its_directory_is_refused(tmp_path, file):
    outside = tmp_path / "outside.json.gz"
    outside.write_bytes(gzip.compress(json.dumps(swagger("9.9")).encode()))
    store = tmp_path / "store"
    store.mkdir()
    entry = {
        "key": "swagger2/latest/9.9",
        "format": "swagger2",
        "route": "latest",
        "compatibility_date": None,
        "version": "9.9",
        "file": file,
        "sha256": "0" * 64,
        "source": SOURCE,
    }
    (store / "manifest.json").write_text(json.dumps({"snapshots": [entry]}))

    with pytest.raises(SnapshotError, match="outside"):
        spec_snapshots.list_snapshots([store])
    code, _, err = run("list", "--dir", store)
    assert code == 2 and "outside" in err


# --- item 15: inflated size -----------------------------------------------------------


def gzip_bomb(path: Path, inflated: int) -> Path:
    """Write a .json.gz inflating to ``inflated`` bytes: concatenated gzip members, cheap to make."""
    chunk = 16 * 1024 * 1024
    member = gzip.compress(b"{" + b" " * (chunk - 1), compresslevel=9, mtime=0)
    pad = gzip.compress(b" " * chunk, compresslevel=9, mtime=0)
    with path.open("wb") as f:
        f.write(member)
        for _ in range(inflated // chunk - 1):
            f.write(pad)
    return path


def test_max_spec_bytes_is_a_few_times_the_largest_real_spec():
    assert 8 * 1024 * 1024 <= MAX_SPEC_BYTES <= 256 * 1024 * 1024


def test_import_refuses_a_gzip_bomb_with_the_reason(tmp_path):
    bomb = gzip_bomb(tmp_path / "bomb.json.gz", 2 * 1024**3)  # 2 GiB inflated
    assert bomb.stat().st_size < 8 * 1024 * 1024
    store = tmp_path / "store"

    code, _, err = run("import", bomb, "--dir", store)

    assert code == 2
    assert "inflates past" in err and str(MAX_SPEC_BYTES) in err
    assert not store.exists()


def test_a_bomb_in_a_snapshot_directory_is_refused_when_read(tmp_path):
    gzip_bomb(tmp_path / "bomb.json.gz", MAX_SPEC_BYTES + 16 * 1024 * 1024)
    with pytest.raises(SnapshotError, match="inflates past"):
        spec_snapshots.list_snapshots([tmp_path])


def test_a_manifest_snapshot_that_became_a_bomb_is_refused_when_loaded(tmp_path):
    snap = write_snapshot(json.dumps(swagger("1.0")).encode(), tmp_path, source=SOURCE)
    gzip_bomb(snap.path, MAX_SPEC_BYTES + 16 * 1024 * 1024)
    (again,) = spec_snapshots.list_snapshots([tmp_path])[:1]
    with pytest.raises(SnapshotError, match="inflates past"):
        again.read_bytes()
    with pytest.raises(SnapshotError, match="inflates past"):
        again.load()


def test_a_plain_file_past_the_bound_is_refused_unread(tmp_path):
    big = tmp_path / "big.json"
    with big.open("wb") as f:
        f.truncate(MAX_SPEC_BYTES + 1)  # sparse: no disk used
    code, _, err = run("import", big, "--dir", tmp_path / "store")
    assert code == 2 and "larger than" in err


def test_read_spec_bytes_reads_multi_member_gzip_below_the_bound(tmp_path):
    path = tmp_path / "two.json.gz"
    raw = json.dumps(swagger("1.0")).encode()
    path.write_bytes(gzip.compress(raw[:10]) + gzip.compress(raw[10:]))
    assert spec_snapshots.read_spec_bytes(path) == raw


def test_a_truncated_gzip_is_refused_with_the_reason(tmp_path):
    path = tmp_path / "cut.json.gz"
    path.write_bytes(gzip.compress(json.dumps(swagger("1.0")).encode())[:-12])
    with pytest.raises(SnapshotError, match="not a complete gzip"):
        spec_snapshots.read_spec_bytes(path)


def test_a_spec_file_bomb_is_refused_by_the_client(tmp_path):
    from esi.errors import SpecError
    from esi.spec import SpecRequest, get_spec

    bomb = gzip_bomb(tmp_path / "bomb.json.gz", MAX_SPEC_BYTES + 16 * 1024 * 1024)
    with pytest.raises(SpecError, match="inflates past"):
        get_spec(SpecRequest(spec_file=str(bomb)))


@responses.activate
def test_a_download_past_the_bound_is_refused(tmp_path):
    from spec_snapshots.fetch import fetch_spec

    body = zlib.compress(b" " * (MAX_SPEC_BYTES + 1))
    responses.get(
        "https://esi.example/latest/swagger.json",
        body=body,
        headers={"Content-Encoding": "deflate", "Content-Type": "application/json"},
    )
    with pytest.raises(SnapshotError, match="larger than"):
        fetch_spec("https://esi.example/latest/swagger.json")


# --- data packs ---------------------------------------------------------------------


@pytest.mark.parametrize("operation", ["get_../../../evil", "get_a/b", "../x", "get_x\n", "get_\x00"])
def test_a_record_operation_must_be_an_operation_name(operation):
    with pytest.raises(DataPackError, match="operation"):
        Record.from_dict({"operation": operation, "body": 1})
    with pytest.raises(DataPackError, match="operation"):
        Record(operation=operation)


def test_saving_a_pack_writes_only_inside_its_directory(tmp_path):
    pack = DataPack([{"operation": "get_universe_types_type_id", "params": {"type_id": 1}, "body": {}}])
    target = tmp_path / "pack"
    pack.save(target)
    assert files_under(tmp_path) == {target / "universe.json"}


def test_a_pack_directory_does_not_follow_links_outside_it(tmp_path):
    outside = tmp_path / "outside.json"
    outside.write_text(json.dumps({"records": [{"operation": "get_status", "body": {"players": 1}}]}))
    pack = tmp_path / "pack"
    pack.mkdir()
    (pack / "link.json").symlink_to(outside)
    with pytest.raises(DataPackError, match="outside"):
        read_records(pack)
