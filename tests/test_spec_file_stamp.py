"""esi.spec: a spec file's hash is remembered with its stamp, so a warm start reads none of the file."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from esi import spec as esi_spec
from esi.errors import SpecError
from esi.spec import SpecRequest, get_spec


def _spec(title: str = "t") -> dict:
    return {
        "swagger": "2.0",
        "info": {"title": title, "version": "1"},
        "host": "esi.example.invalid",
        "basePath": "/latest",
        "produces": ["application/json"],
        "paths": {
            "/status/": {
                "get": {
                    "operationId": "get_status",
                    "tags": ["Status"],
                    "responses": {"200": {"description": "ok", "schema": {"type": "object"}}},
                }
            }
        },
    }


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Record each read of a spec file's bytes."""
    import spec_snapshots

    calls: list[Path] = []
    real = spec_snapshots.read_spec_bytes

    def reading(path, *args, **kwargs):
        calls.append(Path(path))
        return real(path, *args, **kwargs)

    monkeypatch.setattr(spec_snapshots, "read_spec_bytes", reading)
    return calls


def _new_process() -> None:
    esi_spec.clear_memory_cache()


def test_a_warm_start_stats_the_spec_file_and_reads_none_of_it(
    disk_cache: Path, tmp_path: Path, reads
) -> None:
    path = tmp_path / "spec.json"
    path.write_text(json.dumps(_spec()))
    first = get_spec(SpecRequest(spec_file=str(path)))
    assert reads == [path]  # hashed once, and the same bytes built the spec
    (memo,) = disk_cache.glob("file-*.json")
    assert str(path) not in memo.name  # named by a hash of the path, inside the cache directory
    _new_process()
    second = get_spec(SpecRequest(spec_file=str(path)))
    assert reads == [path]
    assert second.spec.spec_dict == first.spec.spec_dict
    assert second.sources == first.sources


@pytest.mark.parametrize("change", ["content and size", "same size, other time"])
def test_a_changed_spec_file_is_read_and_hashed_again(
    disk_cache: Path, tmp_path: Path, reads, change: str
) -> None:
    path = tmp_path / "spec.json"
    path.write_text(json.dumps(_spec("one")))
    get_spec(SpecRequest(spec_file=str(path)))
    before = path.stat()
    if change == "content and size":
        path.write_text(json.dumps(_spec("changed title")))
    else:
        path.write_text(json.dumps(_spec("two")))  # same length as "one"
        os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns + 1_000_000))
        assert path.stat().st_size == before.st_size
    _new_process()
    prepared = get_spec(SpecRequest(spec_file=str(path)))
    assert prepared.spec.spec_dict["info"]["title"] == (
        "changed title" if change == "content and size" else "two"
    )
    assert len(reads) == 2


@pytest.mark.parametrize("memo_body", [b"not json", b"[]", b'{"sha256": "zz"}', b"{" + b" " * 5000 + b"}"])
def test_a_bad_or_oversized_memo_means_the_file_is_read_again(
    disk_cache: Path, tmp_path: Path, reads, memo_body: bytes
) -> None:
    path = tmp_path / "spec.json"
    path.write_text(json.dumps(_spec()))
    get_spec(SpecRequest(spec_file=str(path)))
    (memo,) = disk_cache.glob("file-*.json")
    memo.write_bytes(memo_body)
    _new_process()
    assert get_spec(SpecRequest(spec_file=str(path))).spec.spec_dict["info"]["title"] == "t"
    assert len(reads) == 2
    assert json.loads(memo.read_bytes())["stamp"][0] == path.stat().st_size  # remembered again


def test_with_the_spec_cache_off_the_file_is_hashed_each_time_and_nothing_is_written(
    settings, tmp_path: Path, reads
) -> None:
    settings.ESI_SPEC_CACHE_DIR = False
    path = tmp_path / "spec.json"
    path.write_text(json.dumps(_spec()))
    _new_process()
    get_spec(SpecRequest(spec_file=str(path)))
    _new_process()
    get_spec(SpecRequest(spec_file=str(path)))
    assert len(reads) == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["spec.json"]
    _new_process()


def test_a_memo_that_lies_and_no_built_spec_fail_clearly_then_recover(
    disk_cache: Path, tmp_path: Path
) -> None:
    path = tmp_path / "spec.json"
    path.write_text(json.dumps(_spec()))
    get_spec(SpecRequest(spec_file=str(path)))
    (memo,) = disk_cache.glob("file-*.json")
    data = json.loads(memo.read_bytes())
    memo.write_text(json.dumps({**data, "sha256": "0" * 64}))  # the stamp matches, the content does not
    _new_process()
    with pytest.raises(SpecError, match=f"spec file {path} changed while it was read"):
        get_spec(SpecRequest(spec_file=str(path)))
    assert not memo.exists()
    _new_process()
    assert get_spec(SpecRequest(spec_file=str(path))).spec.spec_dict["info"]["title"] == "t"


def test_a_missing_spec_file_says_which(disk_cache: Path, tmp_path: Path) -> None:
    with pytest.raises(SpecError, match=f"cannot read spec file {tmp_path / 'nope.json'}"):
        get_spec(SpecRequest(spec_file=str(tmp_path / "nope.json")))
