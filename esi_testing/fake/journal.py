"""The journal of a fake ESI: one entry per request it answered."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

__all__ = ["JournalEntry"]


@dataclass
class JournalEntry:
    """One request the fake answered."""

    time: float
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: Any
    status: int
    operation: str | None = None
    snapshot: str | None = None
    character_id: int | None = None
    source: str | None = None  # recorded, state, universe, generated, fault, error, control
    etag: str | None = None  # the ETag the answer carried

    def to_dict(self) -> dict[str, Any]:
        """Return the entry's JSON form."""
        return asdict(self)
