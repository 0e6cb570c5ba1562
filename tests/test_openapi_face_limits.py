"""esi.rate_limiting and the 10.x rate-limit decorators, on the Django cache (any backend)."""

from __future__ import annotations

import time
from unittest import mock
from urllib.parse import urlsplit

import pytest

from esi import decorators
from esi.app_settings import app_settings
from esi.decorators import esi_rate_limiter_bucketed, rate_limit_retry_task, wait_for_esi_errorlimit_reset
from esi.errors import ErrorLimitExceeded
from esi.exceptions import ESIBucketLimitException, TaskBucketLimitException
from esi.http.limits import ErrorLimitGuard
from esi.http.store import clear_state
from esi.rate_limiting import (
    ESIRateLimitBucket,
    ESIRateLimits,
    TaskRateLimitBucket,
    TaskRateLimits,
    interval_to_seconds,
    limit_to_rate,
    task_bucket_slug_key,
)


def test_intervals_and_rates() -> None:
    assert [interval_to_seconds(s) for s in ("s", "10s", "15m", "h", "2h", "1d")] == [
        1,
        10,
        900,
        3600,
        7200,
        86400,
    ]
    assert limit_to_rate("100/15m") == 9.0
    with pytest.raises(ValueError, match="interval must be like"):
        interval_to_seconds("15x")
    with pytest.raises(ValueError, match="rate must be like '100/15m'"):
        TaskRateLimitBucket.from_rate("t", "fast")


def test_task_bucket_keys_name_the_task_and_the_chosen_arguments() -> None:
    assert task_bucket_slug_key("app.task", {"b": 2, "a": 1}) == "app.task"
    assert (
        task_bucket_slug_key("app.task", {"b": 2, "a": 1, "c": 3}, restrict_to=["b", "a"])
        == "app.task_a-1_b-2"
    )


def test_a_bucket_allows_its_limit_then_raises_with_the_wait() -> None:
    bucket = ESIRateLimitBucket("test_bucket", 2, 60)
    ESIRateLimits.check_decr_bucket(bucket)
    ESIRateLimits.check_decr_bucket(bucket)
    with pytest.raises(ESIBucketLimitException) as caught:
        ESIRateLimits.check_decr_bucket(bucket)
    assert caught.value.bucket is bucket and 0 < caught.value.reset <= 61
    with pytest.raises(ESIBucketLimitException):
        ESIRateLimits.check_bucket(bucket)
    assert ESIRateLimitBucket.choices() == [
        ("market_data_history", "Market Data History"),
        ("character_corporation_history", "Character Corporation History"),
    ]


def test_a_spent_bucket_waits_for_its_window_when_told_not_to_raise() -> None:
    bucket = ESIRateLimitBucket("waiting_bucket", 1, 60)
    waits: list[float] = []

    def window_passes(seconds: float) -> None:
        waits.append(seconds)
        clear_state()  # the window closed while we slept

    calls = []

    @esi_rate_limiter_bucketed(bucket, raise_on_limit=False)
    def fetch() -> str:
        calls.append(1)
        return "data"

    with mock.patch.object(ESIRateLimits, "sleep", window_passes):
        assert [fetch(), fetch()] == ["data", "data"]
    assert len(calls) == 2 and len(waits) == 1 and 0 < waits[0] <= 61


def test_a_task_bucket_spaces_runs_out() -> None:
    bucket = TaskRateLimitBucket.from_rate("spaced_task", "2/m")
    assert bucket.ttl == 30
    TaskRateLimits.check_bucket(bucket)
    with pytest.raises(TaskBucketLimitException) as caught:
        TaskRateLimits.check_bucket(bucket)
    assert 1 <= caught.value.reset <= 30
    TaskRateLimits.check_bucket(TaskRateLimitBucket.from_rate("another_task", "2/m"))


def test_wait_for_esi_errorlimit_reset_waits_while_the_http_layer_is_error_limited() -> None:
    host = urlsplit(app_settings.ESI_API_URL).netloc
    ErrorLimitGuard().observe(
        host, 420, {"X-ESI-Error-Limit-Remain": "0", "X-ESI-Error-Limit-Reset": "30"}, time.time()
    )
    with pytest.raises(ErrorLimitExceeded):
        ErrorLimitGuard().check(host, time.time())
    sleeps: list[float] = []

    def reset_comes(seconds: float) -> None:
        sleeps.append(seconds)
        clear_state()

    @wait_for_esi_errorlimit_reset(poll_interval=5)
    def work() -> str:
        return "done"

    with mock.patch.object(decorators.time, "sleep", reset_comes):
        assert work() == "done"
    assert sleeps == [5.0]
    assert work() == "done"  # nothing to wait for now
    assert sleeps == [5.0]


def test_rate_limit_retry_task_needs_a_bound_task() -> None:
    @rate_limit_retry_task
    def not_a_task(character_id: int) -> None:
        raise ESIBucketLimitException(bucket=None, reset=1)

    with pytest.raises(ESIBucketLimitException):
        not_a_task(1)
