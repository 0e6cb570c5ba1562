"""esi.http: ESI's error limit and rate limits, shared through the Django cache."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import uuid
from pathlib import Path

import pytest
import responses
from bravado.client import SwaggerClient
from django.conf import settings
from django.test import override_settings
from requests.adapters import HTTPAdapter

from esi.errors import ErrorLimitExceeded, RateLimitExceeded
from esi.http import EsiHTTPAdapter, EsiRequestsClient, build_session
from esi.http.limits import RateLimitState, parse_retry_after, parse_window, route_of

from .conftest import require_service
from .http_helpers import AdvancingSleeps, Clock, RecordingTransport, bearer, make_jwt

pytest_plugins = ["tests.http_fixtures"]


def make_session(clock: Clock, transport: HTTPAdapter | None = None):
    """Return a session (a process of its own, as far as the adapter knows) and its sleeps."""
    sleeps = AdvancingSleeps(clock)
    session = build_session(transport=transport, sleep=sleeps)
    adapter = session.get_adapter("https://")
    assert isinstance(adapter, EsiHTTPAdapter)
    adapter.clock = clock
    return session, sleeps


def error_limit(remain: int, reset: int = 30) -> dict[str, str]:
    return {"X-ESI-Error-Limit-Remain": str(remain), "X-ESI-Error-Limit-Reset": str(reset)}


def rate_limit(group: str, remaining: int, limit: str = "150/15m", used: int = 2) -> dict[str, str]:
    return {
        "X-Ratelimit-Group": group,
        "X-Ratelimit-Limit": limit,
        "X-Ratelimit-Remaining": str(remaining),
        "X-Ratelimit-Used": str(used),
    }


class ErrorBudgetServer(HTTPAdapter):
    """A fake ESI that answers 404 and spends its error budget, with a 420 when it is gone."""

    def __init__(self, budget: int, reset: int = 40) -> None:
        super().__init__()
        self.budget = budget
        self.reset = reset
        self.statuses: list[int] = []
        self.lock = threading.Lock()

    def send(self, request, **kwargs):
        with self.lock:
            status = 420 if self.budget <= 0 else 404
            self.budget = max(0, self.budget - 1)
            self.statuses.append(status)
            answer = (status, error_limit(self.budget, self.reset), {"error": "not found"})
        return RecordingTransport([answer]).send(request, **kwargs)


# -- parsing ----------------------------------------------------------------------------


def test_header_parsing():
    assert parse_window("150/15m") == (150, 900.0)
    assert parse_window("1800/1h") == (1800, 3600.0)
    assert parse_window("20/s") == (20, 1.0)
    assert parse_window("nonsense") == (None, None)
    assert parse_retry_after("17", 0) == 17
    assert parse_retry_after("Thu, 01 Jan 1970 00:01:40 GMT", 40) == 60
    assert parse_retry_after("soon", 0) is None
    assert route_of("get", "https://ESI.test/latest/characters/123/assets/?page=2") == (
        "GET esi.test/latest/characters/{}/assets/"
    )


# -- error limit ----------------------------------------------------------------------------


def test_a_low_error_budget_stops_requests_until_the_reset(esi_url, clock):
    transport = RecordingTransport([(404, error_limit(10, reset=30), {}), (200, error_limit(100, 60), {})])
    session, _ = make_session(clock, transport)
    with override_settings(ESI_ERROR_LIMIT_THRESHOLD=10):
        assert session.get(esi_url + "universe/types/1/").status_code == 404
        clock.advance(5)
        with pytest.raises(ErrorLimitExceeded) as caught:
            session.get(esi_url + "universe/types/2/")
        assert caught.value.retry_after == pytest.approx(25)
        assert "10 errors left" in str(caught.value)
        assert len(transport.calls) == 1
        clock.advance(26)
        assert session.get(esi_url + "universe/types/2/").status_code == 200
    assert len(transport.calls) == 2


def test_a_burst_of_failing_calls_never_earns_a_420(esi_url, clock):
    server = ErrorBudgetServer(budget=25)
    session, _ = make_session(clock, server)
    refused = 0
    with override_settings(ESI_ERROR_LIMIT_THRESHOLD=10):
        for type_id in range(60):
            try:
                session.get(esi_url + f"universe/types/{type_id}/")
            except ErrorLimitExceeded:
                refused += 1
    assert 420 not in server.statuses
    assert len(server.statuses) == 15  # budget 25 -> 10 left, then nothing is sent
    assert refused == 45


def test_threads_share_the_error_limit(esi_url, clock):
    server = ErrorBudgetServer(budget=14)
    session, _ = make_session(clock, server)
    outcomes: list[str] = []

    def worker(n: int) -> None:
        for i in range(10):
            try:
                outcomes.append(str(session.get(esi_url + f"universe/types/{n}{i}/").status_code))
            except ErrorLimitExceeded:
                outcomes.append("refused")

    with override_settings(ESI_ERROR_LIMIT_THRESHOLD=10):
        threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert 420 not in server.statuses
    assert outcomes.count("refused") >= 40 - 8  # a few may be in flight when the budget drops
    assert len(server.statuses) < 14


def test_another_session_sees_the_same_error_limit(esi_url, clock):
    first, _ = make_session(clock, RecordingTransport([(500, error_limit(3), {})]))
    second_transport = RecordingTransport([200])
    second, _ = make_session(clock, second_transport)
    first.get(esi_url + "status/")
    with pytest.raises(ErrorLimitExceeded):
        second.get(esi_url + "status/")
    assert second_transport.calls == []


def test_a_420_without_headers_blocks_one_error_window(esi_url, clock):
    transport = RecordingTransport([420, 200])
    session, _ = make_session(clock, transport)
    assert session.get(esi_url + "status/").status_code == 420
    clock.advance(59)
    with pytest.raises(ErrorLimitExceeded) as caught:
        session.get(esi_url + "status/")
    assert caught.value.retry_after == pytest.approx(1)
    clock.advance(2)
    assert session.get(esi_url + "status/").status_code == 200


def test_a_420_sets_the_state_from_its_headers(esi_url, clock):
    transport = RecordingTransport([(420, error_limit(0, reset=12), {"error": "error limited"})])
    session, _ = make_session(clock, transport)
    session.get(esi_url + "status/")
    with pytest.raises(ErrorLimitExceeded) as caught:
        session.get(esi_url + "status/")
    assert caught.value.retry_after == pytest.approx(12)


def test_retries_stop_when_the_error_budget_runs_low(esi_url, clock):
    transport = RecordingTransport([(502, error_limit(12), {}), (502, error_limit(10), {}), 200])
    session, sleeps = make_session(clock, transport)
    with override_settings(ESI_ERROR_LIMIT_THRESHOLD=10), pytest.raises(ErrorLimitExceeded):
        session.get(esi_url + "status/")
    assert len(transport.calls) == 2


def test_a_late_answer_does_not_raise_the_budget_of_the_same_window(esi_url, clock):
    transport = RecordingTransport(
        [(404, error_limit(9, reset=30), {}), (404, error_limit(50, reset=30), {})]
    )
    session, _ = make_session(clock, transport)
    adapter = session.get_adapter("https://")
    host = esi_url.split("/")[2]
    with override_settings(ESI_ERROR_LIMIT_THRESHOLD=10):
        session.get(esi_url + "a/")
        with pytest.raises(ErrorLimitExceeded):
            session.get(esi_url + "b/")
        adapter.error_limit.observe(host, 404, error_limit(50, reset=30), clock.now)
    assert adapter.error_limit.state(host)["remain"] == 9


def test_processes_share_the_error_limit_through_redis(esi_url, clock):
    require_service("Redis", "127.0.0.1", 6379)
    # A prefix of its own: other test processes on the same Redis (and their
    # clear_state()) cannot touch what these two processes share.
    redis_caches = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ.get("ESI_TEST_REDIS_URL", "redis://127.0.0.1:6379/1"),
            "KEY_PREFIX": f"esi-http-test-{uuid.uuid4().hex}",
        }
    }
    host = esi_url.split("/")[2]
    # A bare process: just Django's cache and the guard, as a sibling worker would have.
    script = (
        "import sys, time, django\n"
        "from django.conf import settings\n"
        f"settings.configure(CACHES={redis_caches!r})\n"
        "django.setup()\n"
        "from esi.http.limits import ErrorLimitGuard\n"
        f"ErrorLimitGuard().observe({host!r}, 404, {{'X-ESI-Error-Limit-Remain': '2', "
        "'X-ESI-Error-Limit-Reset': '30'}, time.time())\n"
    )
    root = Path(settings.BASE_DIR)
    env = {**os.environ, "PYTHONPATH": str(root)}
    subprocess.run([sys.executable, "-c", script], check=True, cwd=root, env=env, timeout=60)
    with override_settings(CACHES=redis_caches):
        transport = RecordingTransport([200])
        session = build_session(transport=transport)
        with pytest.raises(ErrorLimitExceeded):
            session.get(esi_url + "status/")
        assert transport.calls == []


# -- rate limits ------------------------------------------------------------------------------


def test_a_429_within_the_allowed_wait_is_waited_out_and_retried(esi_url, clock):
    answers = [
        (429, {**rate_limit("char-asset", 0), "Retry-After": "5"}, {}),
        (200, rate_limit("char-asset", 148), []),
    ]
    transport = RecordingTransport(answers)
    session, sleeps = make_session(clock, transport)
    response = session.get(esi_url + "characters/1/assets/", headers=bearer(make_jwt(1)))
    assert response.status_code == 200
    assert sleeps == [5]
    assert len(transport.calls) == 2


def test_a_429_asking_for_too_long_a_wait_raises_naming_group_and_wait(esi_url, clock):
    transport = RecordingTransport([(429, {**rate_limit("char-asset", 0), "Retry-After": "120"}, {})])
    session, sleeps = make_session(clock, transport)
    with override_settings(ESI_RATE_LIMIT_MAX_WAIT=60), pytest.raises(RateLimitExceeded) as caught:
        session.get(esi_url + "characters/1/assets/", headers=bearer(make_jwt(1)))
    assert caught.value.group == "char-asset"
    assert caught.value.retry_after == 120
    assert "'char-asset'" in str(caught.value) and "120 s" in str(caught.value)
    assert sleeps == []


def test_the_total_wait_of_one_call_is_bounded(esi_url, clock):
    answer = (429, {**rate_limit("fitting", 0), "Retry-After": "40"}, {})
    transport = RecordingTransport([answer, answer, 200])
    session, sleeps = make_session(clock, transport)
    with override_settings(ESI_RATE_LIMIT_MAX_WAIT=60), pytest.raises(RateLimitExceeded):
        session.get(esi_url + "characters/1/fittings/", headers=bearer(make_jwt(1)))
    assert sleeps == [40]
    assert len(transport.calls) == 2


def test_a_spent_budget_blocks_before_sending_per_group_and_character(esi_url, clock):
    transport = RecordingTransport(
        [
            (429, {**rate_limit("char-asset", 0), "Retry-After": "300"}, {}),
            (200, rate_limit("char-asset", 140), []),
            (200, rate_limit("char-asset", 140), []),
        ]
    )
    session, _ = make_session(clock, transport)
    with override_settings(ESI_RATE_LIMIT_MAX_WAIT=60):
        with pytest.raises(RateLimitExceeded):
            session.get(esi_url + "characters/1/assets/", headers=bearer(make_jwt(1)))
        clock.advance(100)
        # Same character, same group, another id on the route: refused without a request.
        with pytest.raises(RateLimitExceeded) as caught:
            session.get(esi_url + "characters/1/assets/", params={"page": 2}, headers=bearer(make_jwt(1)))
        assert caught.value.retry_after == pytest.approx(200)
        assert len(transport.calls) == 1
        # Another character has a budget of its own; so do anonymous calls.
        assert session.get(esi_url + "characters/2/assets/", headers=bearer(make_jwt(2))).status_code == 200
        clock.advance(201)
        assert session.get(esi_url + "characters/1/assets/", headers=bearer(make_jwt(1))).status_code == 200
    assert len(transport.calls) == 3


def test_another_process_learns_the_group_of_a_route_through_the_cache(esi_url, clock):
    first, _ = make_session(
        clock, RecordingTransport([(429, {**rate_limit("char-wallet", 0), "Retry-After": "300"}, {})])
    )
    with pytest.raises(RateLimitExceeded):
        first.get(esi_url + "characters/5/wallet/", headers=bearer(make_jwt(5)))
    transport = RecordingTransport([200])
    second, _ = make_session(clock, transport)
    with pytest.raises(RateLimitExceeded) as caught:
        second.get(esi_url + "characters/5/wallet/", headers=bearer(make_jwt(5)))
    assert caught.value.group == "char-wallet"
    assert transport.calls == []


def test_remaining_zero_waits_for_the_window(esi_url, clock):
    transport = RecordingTransport([(200, rate_limit("status", 0, limit="10/30s"), {}), 200])
    session, sleeps = make_session(clock, transport)
    session.get(esi_url + "status/")
    with override_settings(ESI_RATE_LIMIT_MAX_WAIT=60):
        assert session.get(esi_url + "status/").status_code == 200
    assert sleeps == [30]


def test_each_response_updates_the_budget_of_its_group_and_character(esi_url, clock):
    transport = RecordingTransport([(200, rate_limit("char-location", 1795, limit="1800/15m", used=2), {})])
    session, _ = make_session(clock, transport)
    session.get(esi_url + "characters/9/location/", headers=bearer(make_jwt(9)))
    adapter = session.get_adapter("https://")
    state = adapter.rate_limit.state(esi_url.split("/")[2], "char-location", "9")
    assert state == RateLimitState("char-location", "9", 1795, 2, 1800, 900.0, None)
    assert adapter.rate_limit.state(esi_url.split("/")[2], "char-location", "public") is None


def test_a_429_without_retry_after_is_returned(esi_url, clock):
    session, sleeps = make_session(clock, RecordingTransport([429]))
    assert session.get(esi_url + "status/").status_code == 429
    assert sleeps == []


MINI_SPEC = {
    "swagger": "2.0",
    "info": {"title": "mini", "version": "1"},
    "host": "HOST",
    "basePath": "/",
    "schemes": ["https"],
    "paths": {
        "/characters/{character_id}/assets/names/": {
            "post": {
                "operationId": "post_characters_character_id_assets_names",
                "tags": ["Assets"],
                "x-rate-limit": {"group": "char-asset", "max-tokens": 1800, "window-size": "15m"},
                "parameters": [
                    {"name": "character_id", "in": "path", "required": True, "type": "integer"},
                    {
                        "name": "item_ids",
                        "in": "body",
                        "required": True,
                        "schema": {"type": "array", "items": {"type": "integer"}},
                    },
                ],
                "responses": {
                    "200": {"description": "ok", "schema": {"type": "array", "items": {"type": "object"}}}
                },
            }
        }
    },
}


@responses.activate
def test_the_specs_rate_limit_group_guards_a_route_never_seen(esi_url, clock):
    host = esi_url.split("/")[2]
    # Another process spent character 7's char-asset budget on a different route.
    other, _ = make_session(
        clock, RecordingTransport([(429, {**rate_limit("char-asset", 0), "Retry-After": "600"}, {})])
    )
    with pytest.raises(RateLimitExceeded):
        other.get(f"https://{host}/characters/7/assets/", headers=bearer(make_jwt(7)))
    http_client = EsiRequestsClient()
    http_client.adapter.clock = clock
    client = SwaggerClient.from_spec(
        dict(MINI_SPEC, host=host),
        http_client=http_client,
        config={"validate_swagger_spec": False, "use_models": False},
    )
    operation = client.Assets.post_characters_character_id_assets_names(
        character_id=7, item_ids=[1], _request_options={"headers": bearer(make_jwt(7))}
    )
    with pytest.raises(RateLimitExceeded) as caught:
        operation.result()
    assert caught.value.group == "char-asset"
    assert len(responses.calls) == 0
    json.dumps(caught.value.retry_after)  # a plain number, fit for a Celery countdown
