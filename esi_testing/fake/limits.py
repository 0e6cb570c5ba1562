"""A fake ESI's error limit and rate limits, as ESI counts them (the backend's part, no HTTP).

Routes without ``x-rate-limit`` count error answers (4xx, 5xx) in a fixed window;
once ``error_limit`` of them are spent ESI answers 420 until the window resets.
Routes with it spend tokens from a floating-window bucket per group and user
(2xx: 2, 3xx: 1, 4xx: 5, 5xx: 0); an empty bucket answers 429.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from esi_testing.fake.routes import Route

__all__ = ["Bucket", "LimitsMixin", "Window"]


@dataclass
class Window:
    """The error-limit window: when it started and the errors counted in it."""

    started: float = 0.0
    errors: int = 0


@dataclass
class Bucket:
    """A rate-limit bucket: the tokens spent in its floating window."""

    spent: deque[tuple[float, int]] = field(default_factory=deque)
    used: int = 0


class LimitsMixin:
    """The error limit and rate limits of :class:`~esi_testing.fake.backend.FakeBackend`."""

    error_limit: int | None
    error_window: float
    rate_limits: dict[str, tuple[int, float]]
    rate_limited: bool
    clock: Callable[[], float]
    _lock: threading.RLock
    _window: Window
    _buckets: dict[tuple[str, str], Bucket]

    # --- error limit ----------------------------------------------------------

    def _roll_window(self, now: float) -> Window:
        window = self._window
        if now >= window.started + self.error_window:
            elapsed = now - window.started
            window.started += (elapsed // self.error_window) * self.error_window
            window.errors = 0
        return window

    def error_limit_status(self) -> tuple[int, int]:
        """Return (errors remaining, seconds until the window resets)."""
        with self._lock:
            now = self.clock()
            window = self._roll_window(now)
            if self.error_limit is None:
                return 100, max(0, int(round(window.started + self.error_window - now)))
            remain = max(0, self.error_limit - window.errors)
            reset = max(0, int(round(window.started + self.error_window - now)))
            return remain, reset

    def error_limited(self) -> bool:
        """Return True while the error budget of the window is spent (ESI answers 420)."""
        return self.error_limit_status()[0] <= 0

    def count_error(self) -> None:
        """Count one error response against the window's budget."""
        if self.error_limit is None:
            return
        with self._lock:
            self._roll_window(self.clock()).errors += 1

    # --- rate limits ----------------------------------------------------------

    def rate_limit_of(self, route: Route) -> tuple[str, int, float, str] | None:
        """Return (group, max tokens, window seconds, window text) of a route, overrides applied."""
        limit = route.rate_limit
        if limit is None:
            return None
        override = self.rate_limits.get(limit.group) or self.rate_limits.get("*")
        if override is None:
            return limit.group, limit.max_tokens, limit.window, limit.window_text
        tokens, window = override
        return limit.group, int(tokens), float(window), f"{int(window)}s"

    def rate_limit_state(self, route: Route, user: str) -> tuple[int, float]:
        """Return (tokens remaining, seconds until a token comes back) of a route's bucket."""
        spec = self.rate_limit_of(route)
        if spec is None:
            return 0, 0.0
        group, tokens, window, _ = spec
        if not self.rate_limited:
            return tokens, 0.0
        with self._lock:
            now = self.clock()
            bucket = self._buckets.setdefault((group, user), Bucket())
            while bucket.spent and bucket.spent[0][0] + window <= now:
                bucket.used -= bucket.spent.popleft()[1]
            remaining = tokens - bucket.used
            retry = 0.0
            if remaining <= 0:
                # Retry-After: when enough spent tokens have come back to allow a request.
                freed = 0
                for spent_at, cost in bucket.spent:
                    freed += cost
                    if remaining + freed > 0:
                        retry = spent_at + window - now
                        break
            return remaining, retry

    def spend_tokens(self, route: Route, user: str, status: int) -> int:
        """Charge a route's bucket for a response (2xx: 2, 3xx: 1, 4xx: 5, 5xx: 0); return the cost."""
        spec = self.rate_limit_of(route)
        if spec is None or not self.rate_limited:
            return 0
        cost = 2 if status < 300 else 1 if status < 400 else 5 if status < 500 else 0
        if cost:
            with self._lock:
                bucket = self._buckets.setdefault((spec[0], user), Bucket())
                bucket.spent.append((self.clock(), cost))
                bucket.used += cost
        return cost
