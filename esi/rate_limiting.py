"""Rate limits of your own, shared by every process through the Django cache (django-esi 10.x API).

Two kinds, both kept in the Django cache (``CACHES["default"]``) under
django-esi's state keys (:mod:`esi.http.store`), so every web process and
Celery worker sees the same budget:

* :class:`ESIRateLimitBucket` / :data:`ESIRateLimits`: a budget of ``limit``
  calls per ``window`` seconds for a group of ESI calls (``MARKET_DATA_HISTORY``,
  ``CHARACTER_CORPORATION_HISTORY``, or one of yours)::

      ESIRateLimits.check_decr_bucket(ESIRateLimitBucket.MARKET_DATA_HISTORY)

  raises :class:`~esi.exceptions.ESIBucketLimitException` (``reset`` seconds)
  when spent, or waits with ``raise_on_limit=False``;
* :class:`TaskRateLimitBucket` / :data:`TaskRateLimits`: a task runs at most
  ``limit`` times per window, one run every ``window / limit`` seconds; the
  ``rate_limited_task`` decorator (:mod:`esi.decorators`) uses it.

ESI's own limits (``X-ESI-Error-Limit-*``, ``X-Ratelimit-*``) need none of this:
the HTTP layer keeps them for every call.

Every check is an atomic ``cache.add`` / ``cache.decr``, so it works on every
Django cache backend (Redis, Memcached, database, local memory), without locks.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

from django.core.cache import caches

from esi.exceptions import ESIBucketLimitException, TaskBucketLimitException

__all__ = [
    "ESIRateLimitBucket",
    "ESIRateLimiter",
    "ESIRateLimits",
    "TaskRateLimitBucket",
    "TaskRateLimiter",
    "TaskRateLimits",
    "force_string",
    "interval_to_seconds",
    "kwargs_to_list",
    "limit_to_rate",
    "task_bucket_slug_key",
]

logger = logging.getLogger(__name__)

seconds_per_unit = {"s": 1, "m": 60, "h": 3600, "d": 86400}

#: The Django cache the buckets live in.
CACHE_ALIAS = "default"


def interval_to_seconds(interval: str) -> int:
    """Return the seconds of ``"15m"``, ``"s"``, ``"2h"``, ``"1d"``; ValueError names a bad one."""
    text = str(interval).strip()
    unit, count = text[-1:], text[:-1]
    if unit not in seconds_per_unit or (count and not count.isdigit()):
        raise ValueError(f"interval must be like '15m', '10s', 'h' or '1d', not {interval!r}")
    return (int(count) if count else 1) * seconds_per_unit[unit]


def limit_to_rate(rate_limit: str) -> float:
    """Return the seconds between calls of a rate like ``"100/15m"`` or ``"10/s"``."""
    limit, window = _split_rate(rate_limit)
    return window / limit


def _split_rate(rate: str) -> tuple[int, int]:
    count, sep, window = str(rate).partition("/")
    if not sep or not count.strip().isdigit() or int(count) < 1:
        raise ValueError(f"rate must be like '100/15m' or '10/s', not {rate!r}")
    return int(count), interval_to_seconds(window)


def force_string(value: Any) -> Any:
    """Return ``value`` with the keys and values of its dicts and lists as they are (recursively)."""
    if isinstance(value, Mapping):
        return {force_string(k): force_string(v) for k, v in value.items()}
    if isinstance(value, list):
        return [force_string(v) for v in value]
    return value


def kwargs_to_list(kwargs: Mapping[str, Any]) -> list[str]:
    """Return ``{"a": 1, "b": 2}`` as ``["a-1", "b-2"]``, sorted by key."""
    return [f"{k}-{force_string(v)}" for k, v in sorted(kwargs.items(), key=lambda kv: str(kv[0]))]


def task_bucket_slug_key(
    task: Any, kwargs: Mapping[str, Any], restrict_to: Iterable[str] | None = None
) -> str:
    """Return the bucket name of a task run: its name, and the values of the ``restrict_to`` arguments."""
    parts = [str(task)]
    if restrict_to is not None:
        parts += kwargs_to_list({key: kwargs[key] for key in restrict_to})
    return "_".join(parts)


def _key(kind: str, slug: str) -> str:
    from esi.http.store import hashed_key

    return hashed_key(CACHE_ALIAS, kind, slug)


class ESIRateLimitBucket:
    """A budget of ``limit`` calls per ``window`` seconds, named ``slug``."""

    MARKET_DATA_HISTORY: ClassVar[ESIRateLimitBucket]
    CHARACTER_CORPORATION_HISTORY: ClassVar[ESIRateLimitBucket]

    def __init__(self, slug: str, limit: int, window: float) -> None:
        self.slug = slug
        self.limit = int(limit)
        self.window = window

    @classmethod
    def choices(cls) -> list[tuple[str, str]]:
        """Return ``(slug, label)`` of the predefined buckets (for a form or model field)."""
        return [
            (b.slug, b.slug.replace("_", " ").title())
            for b in (cls.MARKET_DATA_HISTORY, cls.CHARACTER_CORPORATION_HISTORY)
        ]

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ESIRateLimitBucket) and (self.slug, self.limit, self.window) == (
            other.slug,
            other.limit,
            other.window,
        )

    def __hash__(self) -> int:
        return hash((self.slug, self.limit, self.window))

    def __str__(self) -> str:
        return f"Rate Limit: {self.slug} - {self.limit} in {self.window}Seconds"


ESIRateLimitBucket.MARKET_DATA_HISTORY = ESIRateLimitBucket("market_data_history", 300, 60)
ESIRateLimitBucket.CHARACTER_CORPORATION_HISTORY = ESIRateLimitBucket(
    "character_corporation_history", 300, 60
)


class ESIRateLimiter:
    """Fixed-window budgets of :class:`ESIRateLimitBucket`, shared through the Django cache."""

    #: Called to wait with ``raise_on_limit=False``; replace it in tests.
    sleep = staticmethod(time.sleep)

    def _slug_to_key(self, slug: str) -> str:
        return _key("esi-bucket", slug)

    def _reset_key(self, slug: str) -> str:
        return _key("esi-bucket-reset", slug)

    def init_bucket(self, bucket: ESIRateLimitBucket) -> None:
        """Open a window with the full budget, unless one is open."""
        cache = caches[CACHE_ALIAS]
        timeout = max(1, math.ceil(bucket.window))
        if cache.add(self._slug_to_key(bucket.slug), bucket.limit, timeout=timeout):
            cache.set(self._reset_key(bucket.slug), time.time() + bucket.window, timeout=timeout)

    def get_bucket(self, bucket: ESIRateLimitBucket) -> int:
        """Return the calls left in the open window (1 when none is open)."""
        return int(caches[CACHE_ALIAS].get(self._slug_to_key(bucket.slug), 1))

    def get_timeout(self, bucket: ESIRateLimitBucket) -> int:
        """Return the seconds until the budget returns (0 while calls are left)."""
        if self.get_bucket(bucket) > 0:
            return 0
        reset_at = caches[CACHE_ALIAS].get(self._reset_key(bucket.slug))
        timeout = max(1, math.ceil((reset_at or time.time() + bucket.window) - time.time()))
        logger.warning(
            "Rate limit for bucket %r spent: %d in %ss; wait %ds",
            bucket.slug,
            bucket.limit,
            bucket.window,
            timeout,
        )
        return timeout

    def decr_bucket(self, bucket: ESIRateLimitBucket, delta: int = 1) -> int:
        """Spend ``delta`` calls; return what is left."""
        try:
            return int(caches[CACHE_ALIAS].decr(self._slug_to_key(bucket.slug), delta))
        except ValueError:  # the window closed in between: open a new one and spend from it
            self.init_bucket(bucket)
            return int(caches[CACHE_ALIAS].decr(self._slug_to_key(bucket.slug), delta))

    def set_bucket(self, bucket: ESIRateLimitBucket, new_limit: int = 1) -> None:
        """Set the calls left (what ESI said remains), for one window."""
        timeout = max(1, math.ceil(bucket.window))
        caches[CACHE_ALIAS].set(self._slug_to_key(bucket.slug), int(new_limit), timeout=timeout)
        caches[CACHE_ALIAS].set(self._reset_key(bucket.slug), time.time() + bucket.window, timeout=timeout)

    def check_bucket(self, bucket: ESIRateLimitBucket) -> None:
        """Raise ESIBucketLimitException when the bucket's budget is spent."""
        self.init_bucket(bucket)
        if self.get_bucket(bucket) <= 0:
            timeout = self.get_timeout(bucket)
            if timeout > 0:
                raise ESIBucketLimitException(bucket, timeout)

    def check_decr_bucket(self, bucket: ESIRateLimitBucket, raise_on_limit: bool = True) -> None:
        """Spend one call; when none is left, raise (or wait for the window with ``raise_on_limit=False``)."""
        while True:
            self.init_bucket(bucket)
            if self.decr_bucket(bucket) >= 0:
                return
            timeout = self.get_timeout(bucket)
            if raise_on_limit:
                raise ESIBucketLimitException(bucket, timeout)
            self.sleep(timeout)


class TaskRateLimitBucket:
    """At most ``limit`` runs per ``window`` seconds: one run every ``window / limit`` seconds."""

    def __init__(self, slug: str, limit: int, window: float) -> None:
        self.slug = slug
        self.limit = int(limit)
        self.window = window
        self.ttl = window / self.limit

    @classmethod
    def from_rate(cls, slug: str, rate_string: str) -> TaskRateLimitBucket:
        """Return the bucket of a rate like ``"100/15m"``."""
        limit, window = _split_rate(rate_string)
        return cls(slug, limit, window)

    def __str__(self) -> str:
        return f"Rate Limit: {self.slug} - {self.limit} in {self.window}Seconds"


class TaskRateLimiter:
    """Space the runs of a task out, shared through the Django cache."""

    def _slug_to_key(self, slug: str) -> str:
        return _key("task-bucket", slug)

    def get_bucket(self, bucket: TaskRateLimitBucket) -> float:
        """Return the seconds until the next run may start (0 when it may start now)."""
        next_at = caches[CACHE_ALIAS].get(self._slug_to_key(bucket.slug))
        return max(0.0, float(next_at) - time.time()) if next_at else 0.0

    def set_bucket(self, bucket: TaskRateLimitBucket) -> bool:
        """Claim the next run; False when another process claimed it first."""
        timeout = max(1, math.ceil(bucket.ttl))
        return bool(
            caches[CACHE_ALIAS].add(self._slug_to_key(bucket.slug), time.time() + bucket.ttl, timeout=timeout)
        )

    def check_bucket(self, bucket: TaskRateLimitBucket) -> None:
        """Claim a run now, or raise TaskBucketLimitException with the seconds to wait."""
        if not self.set_bucket(bucket):
            raise TaskBucketLimitException(bucket, max(1, math.ceil(self.get_bucket(bucket))))


#: The process-wide limiters.
ESIRateLimits = ESIRateLimiter()
TaskRateLimits = TaskRateLimiter()
