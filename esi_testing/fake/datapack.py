"""Data packs: recorded ESI answers that the fake serves before anything generated.

A data pack is a JSON file, or a directory of ``*.json`` files, each holding::

    {"records": [
        {"operation": "get_universe_types_type_id",
         "params": {"type_id": 587},
         "language": "fr",
         "status": 200,
         "headers": {"Last-Modified": "..."},
         "body": {"type_id": 587, "name": "Rifter", ...}}
    ]}

* ``operation`` (required): ESI's snake_case operation name, the Swagger
  ``operationId`` (``get_universe_types_type_id``). OpenAPI ids are accepted too
  (``GetUniverseTypesTypeId`` or ``get_universe_types_type_id``), so one pack
  serves both eras.
* ``params``: path, query and body parameters the record answers (the body under
  ``"body"``). A record answers a request whose parameters include all of the
  record's; the record naming the most parameters wins, then the one added last.
  ``page``, ``datasource``, ``token``, ``language`` and the cursor parameters are
  not data parameters: the fake pages list bodies itself (unless ``page`` is
  given, then that record is served as that page).
* ``language``: the record answers that language only (``en-us`` is ``en``);
  without it, any language, after a record of the exact language.
* ``status`` (default 200), ``headers`` (added to the response) and ``body``.

List bodies are whole lists; :func:`page_of` and :func:`cursor_page` cut the page
a request asks for (``X-Pages`` paging and OpenAPI cursor paging).

See ``esi_testing/data/README.md`` for the full description and examples.
"""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from esi_testing.fake.routes import snake_case as _snake_case

__all__ = [
    "NON_DATA_PARAMS",
    "DataPack",
    "DataPackError",
    "Record",
    "canonical",
    "cursor_page",
    "normalise_language",
    "page_of",
    "read_records",
]

#: Parameters that shape a request but do not choose its data.
NON_DATA_PARAMS = frozenset(
    {"page", "datasource", "token", "language", "user_agent", "before", "after", "limit"}
)


#: An operation name: it becomes a file name when a pack is saved, so nothing else passes.
_OPERATION_RE = re.compile(r"\A[A-Za-z][A-Za-z0-9_]{0,127}\Z")


class DataPackError(ValueError):
    """A data pack file or record is malformed; the message names where and why."""


def _check_operation(operation: Any, where: str) -> None:
    if not isinstance(operation, str) or not operation:
        raise DataPackError(f"{where}: 'operation' (the operation name) is required")
    if not _OPERATION_RE.match(operation):
        raise DataPackError(
            f"{where}: 'operation' {operation[:80]!r} is not an operation name (letters, digits and '_')"
        )


def _inside(directory: Path, child: Path) -> Path:
    """Return ``child`` resolved; raise :class:`DataPackError` when it is outside ``directory``."""
    base, target = directory.resolve(), child.resolve()
    if not target.is_relative_to(base):
        raise DataPackError(f"{child}: resolves to {target}, outside the data pack directory {base}")
    return target


def normalise_language(language: str | None) -> str | None:
    """Return ESI's language code: ``en-us`` and ``en-US`` become ``en``."""
    if not language:
        return None
    language = language.strip().lower()
    return "en" if language in ("en-us", "en_us") else language


def canonical(value: Any) -> str:
    """Return the text form under which a parameter value is compared."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return ",".join(canonical(v) for v in value)
    if isinstance(value, Mapping):
        return json.dumps(value, sort_keys=True, separators=(",", ":"))
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _canonical_params(params: Mapping[str, Any]) -> dict[str, str]:
    out = {}
    for k, v in params.items():
        # A body is compared as JSON; a list body in order, as ESI receives it.
        out[k] = json.dumps(v, sort_keys=True, separators=(",", ":")) if k == "body" else canonical(v)
    return out


@dataclass
class Record:
    """One recorded answer of an operation."""

    operation: str
    params: dict[str, Any] = field(default_factory=dict)
    body: Any = None
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    language: str | None = None

    def __post_init__(self) -> None:
        _check_operation(self.operation, "record")
        self.language = normalise_language(self.language)
        self._key = _canonical_params(self.params)
        self._seq = 0

    @classmethod
    def from_dict(cls, raw: Any, where: str = "record") -> Record:
        """Return a record from its JSON form; raise :class:`DataPackError` naming ``where``."""
        if not isinstance(raw, Mapping):
            raise DataPackError(f"{where}: a record is an object, not {type(raw).__name__}")
        unknown = set(raw) - {"operation", "params", "body", "status", "headers", "language"}
        if unknown:
            raise DataPackError(f"{where}: unknown field(s) {', '.join(sorted(unknown))}")
        operation = raw.get("operation")
        _check_operation(operation, where)
        params = raw.get("params", {})
        if not isinstance(params, Mapping):
            raise DataPackError(f"{where}: 'params' must be an object")
        status = raw.get("status", 200)
        if not isinstance(status, int) or not 100 <= status <= 599:
            raise DataPackError(f"{where}: 'status' must be an HTTP status code, not {status!r}")
        headers = raw.get("headers", {})
        if not isinstance(headers, Mapping):
            raise DataPackError(f"{where}: 'headers' must be an object")
        language = raw.get("language")
        if language is not None and not isinstance(language, str):
            raise DataPackError(f"{where}: 'language' must be a string")
        return cls(
            operation=str(operation),
            params=dict(params),
            body=raw.get("body"),
            status=status,
            headers={str(k): str(v) for k, v in headers.items()},
            language=language,
        )

    def to_dict(self) -> dict[str, Any]:
        """Return the record's JSON form (defaults left out)."""
        out: dict[str, Any] = {"operation": self.operation}
        if self.params:
            out["params"] = self.params
        if self.language:
            out["language"] = self.language
        if self.status != 200:
            out["status"] = self.status
        if self.headers:
            out["headers"] = self.headers
        out["body"] = self.body
        return out

    def answers(self, params: Mapping[str, str], language: str | None) -> bool:
        """Return True when this record answers canonical ``params`` in ``language``."""
        if self.language is not None and self.language != language:
            return False
        return all(params.get(k) == v for k, v in self._key.items())


class DataPack:
    """Recorded answers, indexed by operation name."""

    def __init__(self, records: Iterable[Record | Mapping[str, Any]] = ()) -> None:
        self._records: list[Record] = []
        self._seq = 0
        self._index: dict[str, list[Record]] = {}
        self.extend(records)

    # --- files ----------------------------------------------------------------

    @classmethod
    def load(cls, *paths: str | os.PathLike[str]) -> DataPack:
        """Return the pack read from JSON files and directories of JSON files."""
        pack = cls()
        for path in paths:
            pack.extend(read_records(path))
        return pack

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the pack: one file if ``path`` ends in ``.json``, else one file per resource."""
        path = Path(path)
        if path.suffix == ".json":
            _write(path, self._records)
            return path
        path.mkdir(parents=True, exist_ok=True)
        groups: dict[str, list[Record]] = {}
        for record in self._records:
            parts = record.operation.split("_")
            groups.setdefault(parts[1] if len(parts) > 1 else parts[0], []).append(record)
        for name, records in sorted(groups.items()):
            _write(_inside(path, path / f"{name.lower()}.json"), records)
        return path

    # --- contents -------------------------------------------------------------

    def add(self, record: Record | Mapping[str, Any]) -> Record:
        """Add one record (a :class:`Record` or its JSON form); return it."""
        if not isinstance(record, Record):
            record = Record.from_dict(record)
        self._seq += 1
        record._seq = self._seq
        self._records.append(record)
        self._index.setdefault(_snake_case(record.operation), []).append(record)
        return record

    def extend(self, records: Iterable[Record | Mapping[str, Any]]) -> None:
        """Add records in order."""
        for i, record in enumerate(records):
            if not isinstance(record, Record):
                record = Record.from_dict(record, where=f"record {i}")
            self.add(record)

    def match(
        self, names: Iterable[str], params: Mapping[str, Any], language: str | None = None
    ) -> Record | None:
        """Return the record answering an operation (any of ``names``), or None."""
        wanted = _canonical_params(params)
        language = normalise_language(language)
        best: tuple[int, int, int] | None = None
        found: Record | None = None
        seen: set[int] = set()
        for name in {_snake_case(n) for n in names}:
            for record in self._index.get(name, ()):
                if id(record) in seen or not record.answers(wanted, language):
                    continue
                seen.add(id(record))
                # Later records win ties: data added in a test overrides the default pack.
                score = (len(record._key), record.language is not None, record._seq)
                if best is None or score > best:
                    best, found = score, record
        return found

    def of(self, operation: str) -> list[Record]:
        """Return the records of one operation (any of its names), in the order added."""
        return list(self._index.get(_snake_case(operation), ()))

    def operations(self) -> set[str]:
        """Return the operation names that have records."""
        return {r.operation for r in self._records}

    @property
    def records(self) -> list[Record]:
        """Return every record, in the order added."""
        return list(self._records)

    def copy(self) -> DataPack:
        """Return a new pack with the same records."""
        return DataPack(self._records)

    def __iter__(self) -> Iterator[Record]:
        return iter(list(self._records))

    def __len__(self) -> int:
        return len(self._records)

    def __repr__(self) -> str:
        return f"<DataPack {len(self._records)} records, {len(self.operations())} operations>"


def page_of(items: list[Any], page: int, size: int) -> tuple[list[Any], int]:
    """Return page ``page`` (1-based) of ``items`` and the number of pages.

    Raise LookupError for a page past the end (an empty list has one empty page).
    """
    size = max(1, size)
    pages = max(1, math.ceil(len(items) / size))
    if not 1 <= page <= pages:
        raise LookupError(f"page {page} of {pages}")
    return items[(page - 1) * size : page * size], pages


def cursor_page(body: dict[str, Any], before: Any, after: Any, limit: int) -> dict[str, Any]:
    """Return a cursor-paged body (``{"cursor": ..., "<items>": [...]}``) cut to one page.

    Cursor tokens are 1-based positions: ``after`` returns the items after it
    (``"0"``: from the beginning), ``before`` the items before it (``"0"``: up to
    the end). An empty page keeps the ``after`` cursor, so a client can poll it.
    Raise ValueError for both cursors at once or a malformed cursor.
    """
    key = next((k for k, v in body.items() if isinstance(v, list) and k != "cursor"), None)
    if key is None:
        return body
    items = body[key]
    before = None if before in (None, "") else _position(before)
    after = None if after in (None, "") else _position(after)
    if before is not None and after is not None:
        raise ValueError("Invalid parameters: 'before' and 'after' are mutually exclusive")
    if before is not None:
        end = len(items) if before == 0 else max(0, before - 1)
        start = max(0, end - limit)
    else:
        start = 0 if after is None else min(len(items), after)
        end = min(len(items), start + limit)
    page = items[start:end]
    if page:
        cursor = {"before": str(start + 1), "after": str(end)}
    else:
        cursor = {"before": str(start + 1), "after": str(after if after is not None else start)}
    return {**body, key: page, "cursor": cursor}


def _position(token: Any) -> int:
    try:
        return max(0, int(str(token)))
    except ValueError:
        raise ValueError(f"Invalid cursor {token!r}") from None


def read_records(path: str | os.PathLike[str]) -> list[Record]:
    """Return the records of a pack file, or of every ``*.json`` in a directory (sorted)."""
    path = Path(path)
    if path.is_dir():
        out: list[Record] = []
        for child in sorted(path.rglob("*.json")):
            out.extend(read_records(_inside(path, child)))
        return out
    if not path.exists():
        raise DataPackError(f"{path}: no such data pack file or directory")
    try:
        doc = json.loads(path.read_text("utf-8"))
    except ValueError as exc:
        raise DataPackError(f"{path}: not JSON ({exc})") from exc
    if not isinstance(doc, Mapping) or not isinstance(doc.get("records"), list):
        raise DataPackError(f'{path}: a data pack file is an object {{"records": [...]}}')
    return [Record.from_dict(r, where=f"{path} record {i}") for i, r in enumerate(doc["records"])]


def _write(path: Path, records: list[Record]) -> None:
    lines = ",\n".join(json.dumps(r.to_dict(), ensure_ascii=False, sort_keys=True) for r in records)
    path.write_text('{"records": [\n' + lines + "\n]}\n", "utf-8")
