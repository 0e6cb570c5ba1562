"""The Django cache as the shared state of the HTTP layer.

Every key of django-esi's HTTP state (cached responses, error-limit and
rate-limit state) is ``django-esi:<kind>:<generation>:<sha256 of its fields>``:
short, safe for every backend (memcached included), and free of secrets.
:func:`clear_state` starts a new generation, which forgets all of it at once
on any backend without touching the rest of the cache: use it between tests.
Each process re-reads the generation at most once a second.

A cache outage never stops an ESI call: reads count as misses and writes are
skipped, with a warning.
"""

from __future__ import annotations

import hashlib
import logging
import math
import time
import uuid
from typing import Any

from django.core.cache import caches

__all__ = ["GENERATION_KEY", "cache_get", "cache_set", "clear_state", "generation", "hashed_key"]

logger = logging.getLogger(__name__)

GENERATION_KEY = "django-esi:http:generation"
#: Seconds a process trusts the generation it read before reading it again.
GENERATION_RECHECK = 1.0
_MEMO = "_django_esi_http_generation"


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
    cache = caches[alias]
    memo = getattr(cache, _MEMO, None)
    now = time.monotonic()
    if memo is not None and now - memo[1] < GENERATION_RECHECK:
        return memo[0]
    value = cache_get(alias, GENERATION_KEY)
    if value is None:
        # A new (or evicted) generation key starts a new generation, so entries
        # written before a clear_state() can never come back.
        try:
            cache.add(GENERATION_KEY, uuid.uuid4().hex[:12], None)
        except Exception:
            logger.warning("Writing %s to the cache failed", GENERATION_KEY, exc_info=True)
        value = cache_get(alias, GENERATION_KEY) or "0"
    # The cache object is per thread and per settings, so the memo follows override_settings.
    setattr(cache, _MEMO, (str(value), now))
    return str(value)


def clear_state(alias: str = "default") -> None:
    """Forget every cached response and every error-limit and rate-limit state."""
    value = uuid.uuid4().hex[:12]
    cache_set(alias, GENERATION_KEY, value, None)
    setattr(caches[alias], _MEMO, (value, time.monotonic()))


def hashed_key(alias: str, kind: str, *fields: str) -> str:
    """Return the key of ``fields`` for ``kind`` of state in the current generation."""
    digest = hashlib.sha256("\n".join(fields).encode()).hexdigest()
    return f"django-esi:{kind}:{generation(alias)}:{digest}"
