"""Faults injected into a fake ESI's routes: errors, latency, dropped connections, timeouts."""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from esi_testing.fake.routes import Route

__all__ = ["Fault", "generation_of"]


@dataclass
class Fault:
    """A fault injected into the routes it matches.

    ``operation`` names an operation (any alias), ``path`` a glob on the request
    path (``/latest/markets/*``); neither matches every route. ``status`` answers
    with that error, ``latency`` waits first (seconds), ``drop`` closes the
    connection, ``timeout`` holds it that many seconds and then closes it (the
    client times out). ``times`` limits the fault to that many calls; ``fraction`` to
    that share of calls (drawn from the backend's seeded random generator); ``after``
    lets that many matching calls pass first.

    ``regenerate`` moves the listing to a new generation, as ESI does when it rebuilds
    a cached listing between two pages of one fetch: the call it strikes, and every
    later call of the routes it matches, answers with a later ``Last-Modified`` and
    another ``ETag`` (one generation more per strike). ``Fault(operation=
    "get_markets_region_id_orders", regenerate=True, after=1, times=1)``: page 1 is
    of the old generation, every later page of the new one.
    """

    operation: str | None = None
    path: str | None = None
    status: int | None = None
    latency: float = 0.0
    drop: bool = False
    timeout: float | None = None
    times: int | None = None
    fraction: float | None = None
    regenerate: bool = False
    after: int = 0
    hits: int = 0
    passed: int = 0

    def __post_init__(self) -> None:
        if (
            self.status is None
            and not self.latency
            and not self.drop
            and self.timeout is None
            and not self.regenerate
        ):
            raise ValueError("a fault needs a status, a latency, drop=True, a timeout or regenerate=True")
        if int(self.after) < 0:
            raise ValueError(f"after must be >= 0, not {self.after!r}")
        if self.status is not None and not 400 <= int(self.status) <= 599:
            raise ValueError(
                f"a fault status is an HTTP error code (500, 502, 503, 504), not {self.status!r}"
            )
        if self.fraction is not None and not 0.0 <= float(self.fraction) <= 1.0:
            raise ValueError(f"fraction must be between 0 and 1, not {self.fraction!r}")
        if self.times is not None and int(self.times) < 0:
            raise ValueError(f"times must be >= 0, not {self.times!r}")

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> Fault:
        """Return a fault from its JSON form; raise ValueError naming what is wrong."""
        known = {
            "operation",
            "path",
            "status",
            "latency",
            "drop",
            "timeout",
            "times",
            "fraction",
            "regenerate",
            "after",
        }
        unknown = set(raw) - known
        if unknown:
            raise ValueError(f"unknown fault field(s): {', '.join(sorted(unknown))}")
        return cls(**{k: raw[k] for k in known if k in raw})

    def to_dict(self) -> dict[str, Any]:
        """Return the fault's JSON form."""
        return asdict(self)

    def applies_to(self, route: Route | None, path: str) -> bool:
        """Return True when the fault is for this route and path (whether or not it strikes now)."""
        if self.operation is not None and (route is None or self.operation not in route.aliases):
            return False
        return self.path is None or fnmatch.fnmatchcase(path, self.path)

    def matches(self, route: Route | None, path: str) -> bool:
        """Return True when the fault strikes this call (counting the calls let pass by ``after``)."""
        if self.times is not None and self.hits >= self.times:
            return False
        if not self.applies_to(route, path):
            return False
        if self.passed < int(self.after):
            self.passed += 1
            return False
        return True


def generation_of(faults: list[Fault], route: Route | None, path: str) -> int:
    """Return how many generations the listing at ``path`` moved on: the strikes of its ``regenerate`` faults."""
    return sum(f.hits for f in faults if f.regenerate and f.applies_to(route, path))
