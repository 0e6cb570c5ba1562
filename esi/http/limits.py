"""ESI's error limit and rate limits, tracked in the Django cache.

Both states live in the Django cache, so every thread and every process that
shares the cache (Celery workers, web workers) sees what any of them learnt.
Updates are last-writer-wins; ESI's headers on the next response correct any
race.

Error limit (both eras): every response may carry ``X-ESI-Error-Limit-Remain``
and ``X-ESI-Error-Limit-Reset``. Once a response reports a remaining budget at or
below ``ESI_ERROR_LIMIT_THRESHOLD`` (only then is anything written), and until
the reset it reports,
:meth:`ErrorLimitGuard.check` raises :class:`~esi.errors.ErrorLimitExceeded`
before anything is sent. A 420 sets the state from its headers (or blocks for
ESI's 60 s window when it has none).

Rate limits (OpenAPI era): responses carry ``X-Ratelimit-Group``,
``-Limit`` (``"150/15m"``), ``-Remaining`` and ``-Used``. A budget is kept per
host, group and character (``"public"`` without a token). It is known to be
exhausted after a 429 (until ``Retry-After``) or when ``Remaining`` reaches 0
(until one window later, the latest time ESI's floating window returns every
token spent so far). Which group a URL belongs to is learnt from responses (and
from the spec's ``x-rate-limit``, see :meth:`RateLimitGuard.register_group`).
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Mapping
from typing import NamedTuple
from urllib.parse import urlsplit

from esi.app_settings import app_settings
from esi.errors import ErrorLimitExceeded

from .store import cache_get as _cache_get
from .store import cache_set as _cache_set
from .store import hashed_key

__all__ = [
    "ErrorLimitGuard",
    "RateLimitGuard",
    "RateLimitState",
    "parse_retry_after",
    "parse_window",
    "route_of",
]

logger = logging.getLogger(__name__)

#: ESI's error window when a 420 does not say when it resets.
DEFAULT_ERROR_WINDOW = 60.0
#: How long a learnt URL -> rate-limit group mapping is kept.
GROUP_MAPPING_TIMEOUT = 24 * 3600
#: How long this process trusts "no group known" for a route before asking the cache again.
GROUP_MISS_RECHECK = 60.0

_WINDOW_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_NUMERIC_SEGMENT = re.compile(r"(?<=/)\d+(?=/|$)")


def _int_header(headers: Mapping[str, str], name: str) -> int | None:
    value = headers.get(name)
    if value is None:
        return None
    try:
        return int(float(value))
    except ValueError:
        return None


def parse_retry_after(value: str | None, now: float) -> float | None:
    """Return the seconds a ``Retry-After`` header asks for (delta seconds or an HTTP date)."""
    if value is None:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    from email.utils import parsedate_to_datetime

    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - now)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def parse_window(limit: str | None) -> tuple[int | None, float | None]:
    """Return ``(tokens, window seconds)`` of an ``X-Ratelimit-Limit`` such as ``"150/15m"``."""
    if not limit:
        return None, None
    match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d*)\s*([smhd])\s*", limit)
    if not match:
        return None, None
    tokens, count, unit = match.groups()
    return int(tokens), float(int(count or 1) * _WINDOW_UNITS[unit])


def route_of(method: str, url: str) -> str:
    """Return a URL's route: method, host and path with numeric segments replaced by ``{}``."""
    parts = urlsplit(url)
    path = parts.path if parts.path.endswith("/") else parts.path + "/"
    return f"{method.upper()} {parts.netloc.lower()}{_NUMERIC_SEGMENT.sub('{}', path)}"


class ErrorLimitGuard:
    """Keep every process under ESI's error limit (``X-ESI-Error-Limit-*``)."""

    def __init__(self, alias: str = "default") -> None:
        self.alias = alias

    def _key(self, host: str) -> str:
        return hashed_key(self.alias, "error-limit", host.lower())

    def state(self, host: str) -> dict[str, float] | None:
        """Return ``{"remain": ..., "reset_at": ...}`` last seen for a host, or None."""
        state = _cache_get(self.alias, self._key(host))
        return state if isinstance(state, dict) else None

    def check(self, host: str, now: float) -> None:
        """Raise :class:`~esi.errors.ErrorLimitExceeded` while the host's budget is spent."""
        state = self.state(host)
        if not state:
            return
        threshold = int(app_settings.ESI_ERROR_LIMIT_THRESHOLD)
        retry_after = state["reset_at"] - now
        if state["remain"] <= threshold and retry_after > 0:
            raise ErrorLimitExceeded(
                f"ESI error limit of {host} nearly spent ({int(state['remain'])} errors left, "
                f"ESI_ERROR_LIMIT_THRESHOLD={threshold}): no request is sent for "
                f"{retry_after:.0f} s, until the error window resets",
                retry_after=retry_after,
            )

    def observe(self, host: str, status: int, headers: Mapping[str, str], now: float) -> None:
        """Record the error-limit headers of a response (a 420 without them blocks one window)."""
        remain = _int_header(headers, "X-ESI-Error-Limit-Remain")
        reset = _int_header(headers, "X-ESI-Error-Limit-Reset")
        if status == 420:
            remain = 0 if remain is None else remain
            reset = int(DEFAULT_ERROR_WINDOW) if reset is None else reset
        if remain is None or reset is None:
            return
        if status != 420 and remain > int(app_settings.ESI_ERROR_LIMIT_THRESHOLD):
            # Nothing to stop: skip the cache round trips. A stored low budget
            # expires with its window, and a late, higher answer must not undo it.
            return
        reset_at = now + max(0, reset)
        previous = self.state(host)
        if previous and abs(previous["reset_at"] - reset_at) < 2 and previous["remain"] < remain:
            remain = int(previous["remain"])
        logger.warning("ESI error limit of %s: %d errors left, resets in %d s", host, remain, reset)
        _cache_set(self.alias, self._key(host), {"remain": remain, "reset_at": reset_at}, reset + 1)


# Not a dataclass: one compiles its methods with exec in every process that imports it (issue 13).
class RateLimitState(NamedTuple):
    """What ESI last said about one rate-limit budget (an immutable named tuple)."""

    group: str
    character: str
    remaining: int | None
    used: int | None
    tokens: int | None
    window: float | None
    blocked_until: float | None


class RateLimitGuard:
    """Track ESI's rate-limit budgets per host, group and character."""

    def __init__(self, alias: str = "default") -> None:
        self.alias = alias
        # In-process hints from the spec; learnt mappings also go to the cache.
        self._groups: dict[str, str] = {}
        # Routes the cache knew no group for, and when (monotonic) it was asked.
        self._misses: dict[str, float] = {}

    def _key(self, host: str, group: str, character: str) -> str:
        return hashed_key(self.alias, "rate-limit", host.lower(), group, character)

    def register_group(self, method: str, url: str, group: str) -> None:
        """Remember that requests like this one spend the budget of ``group``."""
        self._groups[route_of(method, url)] = group

    def group_of(self, method: str, url: str) -> str | None:
        """Return the rate-limit group of a request, when known."""
        route = route_of(method, url)
        group = self._groups.get(route)
        if group is not None:
            return group
        asked = self._misses.get(route)
        if asked is not None and time.monotonic() - asked < GROUP_MISS_RECHECK:
            return None
        found = _cache_get(self.alias, hashed_key(self.alias, "rate-group", route))
        if isinstance(found, str):
            self._groups[route] = found
            return found
        self._misses[route] = time.monotonic()
        return None

    def state(self, host: str, group: str, character: str) -> RateLimitState | None:
        """Return the budget last seen for a host, group and character, or None."""
        data = _cache_get(self.alias, self._key(host, group, character))
        try:
            return RateLimitState(**data) if isinstance(data, dict) else None
        except TypeError:  # written by another version of django-esi
            return None

    def wait_needed(self, method: str, url: str, character: str, now: float) -> tuple[str, float] | None:
        """Return ``(group, seconds)`` when the request's budget is known to be spent, else None."""
        group = self.group_of(method, url)
        if group is None:
            return None
        state = self.state(urlsplit(url).netloc, group, character)
        if state and state.blocked_until and state.blocked_until > now:
            return group, state.blocked_until - now
        return None

    def observe(
        self, method: str, url: str, character: str, status: int, headers: Mapping[str, str], now: float
    ) -> str | None:
        """Record a response's rate-limit headers; return its group."""
        group = headers.get("X-Ratelimit-Group")
        if not group:
            # Some 429s come from deeper in ESI without the headers: still honour them.
            group = self.group_of(method, url) if status == 429 else None
            if not group:
                return None
        route = route_of(method, url)
        if self._groups.get(route) != group:
            self._groups[route] = group
            _cache_set(self.alias, hashed_key(self.alias, "rate-group", route), group, GROUP_MAPPING_TIMEOUT)
        tokens, window = parse_window(headers.get("X-Ratelimit-Limit"))
        remaining = _int_header(headers, "X-Ratelimit-Remaining")
        blocked_until = None
        if status == 429:
            retry_after = parse_retry_after(headers.get("Retry-After"), now)
            blocked_until = now + (
                retry_after if retry_after is not None else (window or DEFAULT_ERROR_WINDOW)
            )
        elif remaining is not None and remaining <= 0:
            # The floating window gives back every token spent so far within one window.
            blocked_until = now + (window or DEFAULT_ERROR_WINDOW)
        used = _int_header(headers, "X-Ratelimit-Used")
        state = RateLimitState(group, character, remaining, used, tokens, window, blocked_until)
        timeout = max(window or 0.0, (blocked_until or now) - now, 1.0)
        _cache_set(self.alias, self._key(urlsplit(url).netloc, group, character), state._asdict(), timeout)
        return group
