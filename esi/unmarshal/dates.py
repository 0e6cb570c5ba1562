"""Parse the date and date-time strings of ESI responses as bravado-core's formats do, fast."""

from __future__ import annotations

import re
from datetime import date, datetime

from dateutil.parser import isoparse
from dateutil.tz import UTC

__all__ = ["parse_date", "parse_date_time"]

_RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})", re.ASCII)
_fromisoformat = datetime.fromisoformat
_date_fromisoformat = date.fromisoformat


def parse_date_time(value: str) -> datetime | None:
    """Return an RFC 3339 date-time string as an aware datetime, or None when it is not one."""
    # ESI sends "2016-09-03T05:12:25Z": that shape is parsed without regex or dateutil.
    if len(value) == 20 and value[4::3] == "--T::Z":
        try:
            naive = _fromisoformat(value[:19])
        except ValueError:
            return None
        # datetime(<pickled state>, tzinfo), the constructor pickle uses, is 3x faster than .replace(tzinfo=).
        return datetime(naive.__reduce__()[1][0], UTC)  # type: ignore[call-arg,arg-type]
    if _RFC3339.fullmatch(value) is None:
        return None
    try:
        return isoparse(value)
    except (ValueError, OverflowError):
        return None


def parse_date(value: str) -> date | None:
    """Return a ``YYYY-MM-DD`` string as a date, or None when it is not one."""
    if len(value) == 10 and value[4] == "-" and value[7] == "-" and value.isascii():
        try:
            return _date_fromisoformat(value)
        except ValueError:
            return None
    return None
