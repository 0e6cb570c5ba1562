"""Write snapshots into a snapshot directory and keep its manifest."""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import tempfile
from datetime import date
from pathlib import Path
from typing import Any

from . import MANIFEST_NAME, Snapshot, SnapshotError, _from_entry, describe_spec, manifest

__all__ = ["write_snapshot"]


def _atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def write_snapshot(
    raw: bytes,
    directory: str | os.PathLike[str],
    source: dict[str, Any],
    retrieved: str | None = None,
    derived: bool = False,
) -> Snapshot:
    """Store the spec ``raw`` (its original bytes) in ``directory`` and record it.

    The bytes are kept gzip-compressed (``mtime`` 0, so the file is
    reproducible) at ``<format>/<route or date>/<version>.json.gz``; the manifest
    entry records the sha256 of the original bytes and ``source``. An entry
    with the same key is replaced. Raise :class:`SnapshotError` with the reason
    when ``raw`` is not an ESI spec.
    """
    try:
        spec = json.loads(raw)
    except ValueError as exc:
        raise SnapshotError(f"not JSON: {exc}") from None
    meta = describe_spec(spec)
    label = meta["route"] or meta["compatibility_date"]
    suffix = "-derived" if derived else ""
    key = f"{meta['format']}/{label}/{meta['version']}{suffix}"
    directory = Path(directory)
    rel = Path(f"{key}.json.gz")
    _atomic_write(directory / rel, gzip.compress(raw, compresslevel=9, mtime=0))
    entry = {
        "key": key,
        "format": meta["format"],
        "route": meta["route"],
        "compatibility_date": meta["compatibility_date"],
        "version": meta["version"],
        "file": rel.as_posix(),
        "sha256": hashlib.sha256(raw).hexdigest(),
        "source": source,
        "retrieved": retrieved or date.today().isoformat(),
        "derived": derived,
    }
    doc = manifest(directory)
    doc.setdefault("snapshots", [])
    doc["snapshots"] = [e for e in doc["snapshots"] if e["key"] != key] + [entry]
    doc["snapshots"].sort(key=lambda e: e["key"])
    _atomic_write(directory / MANIFEST_NAME, (json.dumps(doc, indent=2, sort_keys=True) + "\n").encode())
    return _from_entry(entry, directory.resolve())
