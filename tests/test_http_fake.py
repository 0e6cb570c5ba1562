"""esi.http against the fake ESI (in-process or server, per ``ESI_FAKE_MODE``): its limits and ETags."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.test import override_settings

from esi.errors import ErrorLimitExceeded, RateLimitExceeded
from esi.http import EsiHTTPAdapter, build_session, clear_state
from esi_testing import FakeESI

from .http_helpers import AdvancingSleeps, Clock

pytest_plugins = ["tests.http_fixtures"]


@pytest.fixture(autouse=True)
def _forget_http_state() -> Iterator[None]:
    # The fake answers on the real ESI host in-process: start and end without state for it.
    clear_state()
    yield
    clear_state()


def session_for(clock: Clock, **options):
    sleeps = AdvancingSleeps(clock)
    session = build_session(sleep=sleeps, **options)
    for prefix in ("https://", "http://"):
        adapter = session.get_adapter(prefix)
        assert isinstance(adapter, EsiHTTPAdapter)
        adapter.clock = clock
    return session, sleeps


def test_a_burst_of_bad_requests_stops_before_the_fakes_420(clock):
    with FakeESI(snapshot="latest", error_limit=30, clock=clock) as fake:
        session, _ = session_for(clock)
        refused = 0
        with override_settings(ESI_ERROR_LIMIT_THRESHOLD=10):
            for n in range(40):
                try:
                    assert (
                        session.get(f"{fake.url}/latest/universe/types/not-a-number-{n}/").status_code == 400
                    )
                except ErrorLimitExceeded:
                    refused += 1
        statuses = [entry.status for entry in fake.backend.journal]
    assert 420 not in statuses
    assert statuses == [400] * 20
    assert refused == 20


def test_a_spent_rate_limit_is_waited_for_and_never_earns_a_429(clock):
    with FakeESI(snapshot="2025-12-16", rate_limits={"factional-warfare": (10, 30)}, clock=clock) as fake:
        session, sleeps = session_for(clock, compatibility_date="2025-12-16", cache_responses=False)
        with override_settings(ESI_RATE_LIMIT_MAX_WAIT=60):
            for _ in range(7):
                assert session.get(f"{fake.url}/fw/stats").status_code == 200
        with override_settings(ESI_RATE_LIMIT_MAX_WAIT=5):
            for _ in range(3):
                assert session.get(f"{fake.url}/fw/stats").status_code == 200
            with pytest.raises(RateLimitExceeded) as caught:
                session.get(f"{fake.url}/fw/stats")
        statuses = [entry.status for entry in fake.backend.journal]
    assert caught.value.group == "factional-warfare"
    assert 429 not in statuses
    assert statuses == [200] * 10
    assert sleeps == [30]


def test_fresh_responses_and_etag_revalidation_against_the_fake(clock):
    with FakeESI(snapshot="latest", clock=clock) as fake:
        session, _ = session_for(clock)
        fresh_url = f"{fake.url}/latest/markets/prices/"  # max-age=3600
        first = session.get(fresh_url)
        clock.advance(3599)
        assert session.get(fresh_url).json() == first.json()
        clock.advance(2)
        revalidated = session.get(fresh_url)
        # No Expires on this one: every call is a revalidation.
        types_url = f"{fake.url}/latest/universe/types/587/"
        type_body = session.get(types_url).json()
        assert session.get(types_url).json() == type_body
        statuses = [(entry.path, entry.status) for entry in fake.backend.journal]
    assert revalidated.status_code == 200
    assert revalidated.json() == first.json()
    assert statuses == [
        ("/latest/markets/prices/", 200),
        ("/latest/markets/prices/", 304),
        ("/latest/universe/types/587/", 200),
        ("/latest/universe/types/587/", 304),
    ]
