"""One atomic write for every file django-esi writes: snapshots, the spec cache, kept operations.

A reader sees the old file or the whole new one; a write that fails leaves the
old file and no temporary file behind.
"""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path
from typing import Any, BinaryIO

import pytest

from esi import spec as esi_spec
from esi.spec import SpecRequest, get_spec
from spec_snapshots._atomic import write_atomically


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_write_replaces_the_file_and_creates_its_directory(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "file.bin"
    write_atomically(path, lambda f: f.write(b"one"))
    assert path.read_bytes() == b"one"
    write_atomically(path, lambda f: f.write(b"two"))
    assert path.read_bytes() == b"two"
    assert os.listdir(path.parent) == ["file.bin"]


def test_the_file_is_its_owners_only_unless_a_mode_is_given(tmp_path: Path) -> None:
    write_atomically(tmp_path / "private", lambda f: f.write(b"x"))
    write_atomically(tmp_path / "shared", lambda f: f.write(b"x"), mode=0o644)
    assert _mode(tmp_path / "private") == 0o600
    assert _mode(tmp_path / "shared") == 0o644


@pytest.mark.parametrize("error", [OSError("disk full"), ValueError("cannot pickle"), KeyboardInterrupt()])
def test_a_write_that_fails_leaves_the_old_file_and_no_temporary_one(
    tmp_path: Path, error: BaseException
) -> None:
    path = tmp_path / "file.bin"
    path.write_bytes(b"old")

    def write(f: BinaryIO) -> None:
        f.write(b"half of the new")
        raise error

    with pytest.raises(type(error)):
        write_atomically(path, write, prefix=".spec-")
    assert path.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["file.bin"]


def test_the_temporary_file_is_hidden_beside_the_target(tmp_path: Path) -> None:
    seen: list[list[str]] = []
    write_atomically(tmp_path / "file.bin", lambda f: seen.append(os.listdir(tmp_path)))
    write_atomically(tmp_path / "file.bin", lambda f: seen.append(os.listdir(tmp_path)), prefix=".op-")
    ((first,), second) = seen
    assert first.startswith(".file.bin.") and first.endswith(".tmp")
    assert [name for name in second if name != "file.bin"][0].startswith(".op-")


def test_a_spec_cache_file_that_cannot_be_written_leaves_no_temporary_file(
    disk_cache: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def full_disk(*args: Any, **kwargs: Any) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(esi_spec.pickle, "dump", full_disk)
    with caplog.at_level(logging.WARNING, logger="esi.spec"):
        prepared = get_spec(SpecRequest())
    assert prepared.spec.resources["Status"].operations["get_status"].operation_id == "get_status"
    assert "cannot write the spec cache file" in caplog.text
    assert [p.name for p in disk_cache.iterdir()] == []
    esi_spec.clear_memory_cache()


def test_the_spec_cache_file_and_a_kept_operation_are_their_owners_only(disk_cache: Path) -> None:
    get_spec(SpecRequest()).spec.resources["Status"].operations["get_status"]
    (cache_file,) = disk_cache.glob("spec-*.pickle")
    (kept,) = disk_cache.glob("spec-*.ops/*.pickle")
    assert _mode(cache_file) == 0o600 and _mode(kept) == 0o600
    assert not list(disk_cache.rglob("*.tmp"))
