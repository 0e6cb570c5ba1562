"""Write snapshots into a snapshot directory and keep its manifest."""

from __future__ import annotations

import gzip
import hashlib
import json
import os
from datetime import date
from pathlib import Path
from typing import Any

from . import MANIFEST_NAME, Snapshot, SnapshotError, _from_entry, describe_spec, manifest, path_inside
from ._atomic import write_atomically

__all__ = ["import_spec", "validate_spec", "write_snapshot"]


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
    with the same key and content is replaced; a spec of the same format,
    route or date and version but other content is kept beside it, under the
    key ``<key>+<first 12 hex digits of its sha256>``. Raise :class:`SnapshotError` with the reason
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
    digest = hashlib.sha256(raw).hexdigest()
    directory = Path(directory)
    doc = manifest(directory)
    taken = {e["key"]: e.get("sha256") for e in doc.get("snapshots", [])}
    if taken.get(key, digest) != digest:
        # ESI served some versions twice with different content: keep both, apart.
        key = f"{key}+{digest[:12]}"
    rel = Path(f"{key}.json.gz")
    # describe_spec checked each part against a strict pattern; this holds even if one slips.
    target = path_inside(directory, rel)
    data = gzip.compress(raw, compresslevel=9, mtime=0)
    write_atomically(target, lambda f: f.write(data), mode=0o644)
    entry = {
        "key": key,
        "format": meta["format"],
        "route": meta["route"],
        "compatibility_date": meta["compatibility_date"],
        "version": meta["version"],
        "file": rel.as_posix(),
        "sha256": digest,
        "source": source,
        "retrieved": retrieved or date.today().isoformat(),
        "derived": derived,
    }
    doc.setdefault("snapshots", [])
    doc["snapshots"] = [e for e in doc["snapshots"] if e["key"] != key] + [entry]
    doc["snapshots"].sort(key=lambda e: e["key"])
    text = (json.dumps(doc, indent=2, sort_keys=True) + "\n").encode()
    write_atomically(directory / MANIFEST_NAME, lambda f: f.write(text), mode=0o644)
    return _from_entry(entry, directory.resolve())


def _check_local_refs(spec: dict[str, Any]) -> None:
    from .diff import _pointer  # the same JSON-pointer reading the diff uses

    stack: list[Any] = [spec]
    missing: set[str] = set()
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/") and _pointer(spec, ref) is None:
                missing.add(ref)
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    if missing:
        shown = ", ".join(sorted(missing)[:5])
        raise SnapshotError(f"invalid spec: {len(missing)} $ref target(s) missing: {shown}")


def validate_spec(spec: dict[str, Any]) -> dict[str, Any]:
    """Check that ``spec`` is a well-formed ESI spec; return :func:`describe_spec` of it.

    Swagger 2.0 specs are checked with ``swagger_spec_validator``; OpenAPI 3.x
    specs get structure checks (``info.title``, operations with responses,
    every local ``$ref`` resolvable). Raise :class:`SnapshotError` with the reason.
    """
    meta = describe_spec(spec)
    if meta["format"] == "swagger2":
        from swagger_spec_validator.common import SwaggerValidationError
        from swagger_spec_validator.validator20 import validate_spec as validate_swagger

        try:
            validate_swagger(spec)
        except SwaggerValidationError as exc:
            raise SnapshotError(f"invalid Swagger 2.0 spec: {str(exc).splitlines()[0]}") from None
        return meta
    if not isinstance(spec["info"].get("title"), str):
        raise SnapshotError("invalid OpenAPI spec: info.title is missing")
    from .derive import iter_operations

    operations = 0
    for method, path, op in iter_operations(spec):
        operations += 1
        if not path.startswith("/"):
            raise SnapshotError(f"invalid OpenAPI spec: path {path!r} does not start with '/'")
        if not isinstance(op.get("responses"), dict) or not op["responses"]:
            raise SnapshotError(f"invalid OpenAPI spec: {method.upper()} {path} has no responses")
    if not operations:
        raise SnapshotError("invalid OpenAPI spec: no operations under paths")
    _check_local_refs(spec)
    return meta


def import_spec(
    raw: bytes,
    directory: str | os.PathLike[str],
    source: dict[str, Any],
    retrieved: str | None = None,
) -> Snapshot:
    """Validate the spec ``raw`` and store it in ``directory`` with its provenance.

    Raise :class:`SnapshotError` with the reason when it is not JSON or not a
    valid ESI spec; nothing is written then.
    """
    try:
        spec = json.loads(raw)
    except ValueError as exc:
        raise SnapshotError(f"not JSON: {exc}") from None
    validate_spec(spec)
    return write_snapshot(raw, directory, source=source, retrieved=retrieved)
