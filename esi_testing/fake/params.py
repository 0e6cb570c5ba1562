"""An operation's parameters and rate limit, as the fake ESI reads them from a spec."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["Param", "RateLimit"]

_WINDOW_RE = re.compile(r"^(\d+)([smhd]?)$")
_WINDOW_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


@dataclass(frozen=True)
class RateLimit:
    """An ``x-rate-limit`` group: ``max_tokens`` per floating ``window`` seconds."""

    group: str
    max_tokens: int
    window: float
    window_text: str

    @classmethod
    def parse(cls, raw: Mapping[str, Any]) -> RateLimit:
        """Return the rate limit of an operation's ``x-rate-limit``."""
        text = str(raw.get("window-size", "15m"))
        m = _WINDOW_RE.match(text)
        seconds = int(m.group(1)) * _WINDOW_UNITS[m.group(2)] if m else 900
        return cls(str(raw["group"]), int(raw["max-tokens"]), float(seconds), text)


@dataclass(frozen=True)
class Param:
    """One parameter of an operation, with the JSON schema of its value."""

    name: str
    location: str  # path, query, header, body
    required: bool
    schema: Mapping[str, Any]
    collection_format: str = "csv"

    def coerce(self, raw: Any) -> Any:
        """Return a raw request value (text, or a list of texts) typed as the schema says.

        Raise ValueError naming the parameter when the text is not of the type.
        """
        kind = self.schema.get("type")
        if isinstance(kind, list):
            kind = next((k for k in kind if k != "null"), None)
        if kind == "array":
            items = raw if isinstance(raw, list) else _split(str(raw), self.collection_format)
            item_schema = self.schema.get("items") or {}
            # An item may be an array with its own format: connections=1|2,3|4.
            item_format = str(item_schema.get("collectionFormat", "csv"))
            item = Param(self.name, self.location, False, item_schema, item_format)
            return [item.coerce(i) for i in items]
        text = str(raw)
        try:
            if kind == "integer":
                return int(text)
            if kind == "number":
                return float(text)
        except ValueError:
            raise ValueError(f"Invalid {self.name}: {text!r} is not a valid {kind}") from None
        if kind == "boolean":
            if text.lower() in ("true", "false"):
                return text.lower() == "true"
            raise ValueError(f"Invalid {self.name}: {text!r} is not a valid boolean")
        return text


def _split(text: str, collection_format: str) -> list[str]:
    """Return the items of one array value written in ``collection_format``.

    A single value of a ``multi`` parameter is read as ``csv``, as ESI reads it.
    """
    separator = {"ssv": " ", "tsv": "\t", "pipes": "|"}.get(collection_format, ",")
    return [p for p in text.split(separator) if p != ""]
