"""The Django cache as the shared state of the HTTP layer.

Every key of django-esi's HTTP state (cached responses, error-limit and
rate-limit state) is ``django-esi:<kind>:<generation>:<sha256 of its fields>``:
short, safe for every backend (memcached included), and free of secrets.
:func:`clear_state` starts a new generation, which forgets all of it at once
on any backend without touching the rest of the cache: use it between tests.

The generation is remembered once per process (per cache alias and its
settings), not per thread: a :func:`clear_state` holds in every thread of the
process from its next key on, and in other processes once they read the
generation again, at most :data:`GENERATION_RECHECK` seconds later (reading it
for every key would cost a cache round trip per key). A child process of
``fork()`` keeps the memo: it shares the parent's cache servers.

A cache outage never stops an ESI call: reads count as misses and writes are
skipped, with a warning.
"""

from __future__ import annotations

import hashlib
import logging
import math
import os
import threading
import time
import uuid
from typing import Any

from django.core.cache import caches
from django.core.signals import setting_changed

__all__ = ["GENERATION_KEY", "cache_get", "cache_set", "clear_state", "generation", "hashed_key"]

logger = logging.getLogger(__name__)

GENERATION_KEY = "django-esi:http:generation"
#: Seconds a process trusts the generation it read before reading it again: how
#: long a :func:`clear_state` in another process may go unseen here. (Reading the
#: generation for every key would cost a cache round trip per key.)
GENERATION_RECHECK = 1.0

#: The process's memo: per cache alias, (that alias's settings, generation, when read).
#: The settings are compared by identity, so ``override_settings(CACHES=...)`` never
#: gets another configuration's generation. Shared by every thread of the process.
_memo: dict[str, tuple[object, str, float]] = {}
#: Guards the memo's updates (reads need no lock: a dict lookup is atomic).
_lock = threading.Lock()


def cache_get(alias: str, key: str) -> Any:
    """Return ``caches[alias].get(key)``; a cache outage counts as a miss (logged), never an error."""
    try:
        return caches[alias].get(key)
    except Exception:  # a cache outage must not stop ESI calls
        logger.warning("Reading %s from the cache failed", key, exc_info=True)
        return None


def cache_set(alias: str, key: str, value: Any, timeout: float | None) -> bool:
    """Store a value for ``timeout`` seconds (at least 1; ``None``: no expiry); False when the cache failed."""
    try:
        caches[alias].set(key, value, None if timeout is None else max(1, math.ceil(timeout)))
    except Exception:
        logger.warning("Writing %s to the cache failed", key, exc_info=True)
        return False
    return True


def generation(alias: str = "default") -> str:
    """Return the current generation of django-esi's HTTP state in a cache."""
    config = caches.settings.get(alias)
    memo = _memo.get(alias)
    now = time.monotonic()
    if memo is not None and memo[0] is config and now - memo[2] < GENERATION_RECHECK:
        return memo[1]
    cache = caches[alias]  # an alias not configured raises here
    value = cache_get(alias, GENERATION_KEY)
    if value is None:
        # A new (or evicted) generation key starts a new generation, so entries
        # written before a clear_state() can never come back.
        try:
            cache.add(GENERATION_KEY, uuid.uuid4().hex[:12], None)
        except Exception:
            logger.warning("Writing %s to the cache failed", GENERATION_KEY, exc_info=True)
        value = cache_get(alias, GENERATION_KEY) or "0"
    return _remember(alias, config, str(value), now)


def clear_state(alias: str = "default") -> None:
    """Forget every cached response and every error-limit and rate-limit state.

    Every thread of this process uses the new generation from its next key on;
    other processes within ``esi.http.store.GENERATION_RECHECK`` seconds (one).
    """
    caches[alias]  # an alias not configured raises here
    value = uuid.uuid4().hex[:12]
    cache_set(alias, GENERATION_KEY, value, None)
    _remember(alias, caches.settings[alias], value, time.monotonic(), cleared=True)


def _remember(alias: str, config: object, value: str, read_at: float, *, cleared: bool = False) -> str:
    """Memoize ``value``, read from the cache from ``read_at`` on; return the generation to use.

    Of two reads that overlap, the one that began later stands, and a
    generation of :func:`clear_state` (``cleared``) always does: a read that a
    ``clear_state()`` of another thread overtook cannot bring back the
    generation it replaced.
    """
    with _lock:
        memo = _memo.get(alias)
        if not cleared and memo is not None and memo[0] is config and memo[2] >= read_at:
            return memo[1]
        _memo[alias] = (config, value, read_at)
        return value


def _forget_generations(*, setting: str, **kwargs: Any) -> None:
    """Drop the memo when ``CACHES`` changes (``override_settings``)."""
    if setting == "CACHES":
        with _lock:
            _memo.clear()


setting_changed.connect(_forget_generations, dispatch_uid="esi.http.store")


def _new_lock_after_fork() -> None:
    # A thread of the parent may have held the lock at fork(); it does not exist in the child.
    # The memo itself is kept: the child talks to the same cache servers.
    global _lock
    _lock = threading.Lock()


os.register_at_fork(after_in_child=_new_lock_after_fork)


def hashed_key(alias: str, kind: str, *fields: str) -> str:
    """Return the key of ``fields`` for ``kind`` of state in the current generation."""
    digest = hashlib.sha256("\n".join(fields).encode()).hexdigest()
    return f"django-esi:{kind}:{generation(alias)}:{digest}"
