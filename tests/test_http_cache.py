"""esi.http: the response cache, ETag revalidation, secrets and logging."""

from __future__ import annotations

import logging
import os
import pickle
import threading
from types import SimpleNamespace

import pytest
import responses
from django.core.cache import caches
from django.test import override_settings

from esi.errors import ErrorLimitExceeded
from esi.http import EsiHTTPAdapter, build_session, clear_state, store
from esi.http.cache import cache_key, freshness_lifetime
from esi.http.store import GENERATION_KEY, generation

from .http_helpers import Clock, RecordingTransport, Sleeps, bearer, caching_headers, make_jwt

pytest_plugins = ["tests.http_fixtures"]


def make_session(clock: Clock, **kwargs):
    """Return a session whose adapter reads ``clock``, and that adapter."""
    session = build_session(sleep=Sleeps(), **kwargs)
    adapter = session.get_adapter("https://")
    assert isinstance(adapter, EsiHTTPAdapter)
    adapter.clock = clock
    return session, adapter


# -- freshness --------------------------------------------------------------------


@responses.activate
def test_a_fresh_response_is_served_without_a_request(esi_url, clock):
    responses.get(
        esi_url + "universe/types/587/", json={"type_id": 587}, headers=caching_headers(clock.now, 300)
    )
    session, _ = make_session(clock)
    first = session.get(esi_url + "universe/types/587/")
    clock.advance(299)
    second = session.get(esi_url + "universe/types/587/")
    assert len(responses.calls) == 1
    assert second.status_code == 200
    assert second.json() == first.json() == {"type_id": 587}
    assert second.headers["Expires"] == first.headers["Expires"]
    assert getattr(second, "from_cache", False) is True
    assert getattr(first, "from_cache", False) is False


@responses.activate
def test_an_expired_response_without_etag_is_fetched_again(esi_url, clock):
    url = esi_url + "status/"
    responses.get(url, json={"players": 1}, headers=caching_headers(clock.now, 30))
    session, _ = make_session(clock)
    session.get(url)
    clock.advance(31)
    session.get(url)
    assert len(responses.calls) == 2


def test_freshness_prefers_max_age_and_subtracts_age():
    assert freshness_lifetime({"Cache-Control": "public, max-age=120", "Age": "20"}, 0) == 100
    expires = caching_headers(1_000, 300)
    assert freshness_lifetime(expires, 5_000) == 300  # measured against Date, not our clock
    assert freshness_lifetime({"Expires": caching_headers(1_000, 60)["Expires"]}, 1_000) == 60
    assert freshness_lifetime({"Cache-Control": "no-store", **expires}, 0) is None
    assert freshness_lifetime({"Cache-Control": "no-cache", **expires}, 0) == 0
    assert freshness_lifetime({"Expires": "garbage"}, 0) == 0


@responses.activate
def test_max_age_keeps_a_response_fresh(esi_url, clock):
    url = esi_url + "markets/prices/"
    responses.get(url, json=[], headers={"Cache-Control": "public, max-age=3600"})
    session, _ = make_session(clock)
    session.get(url)
    clock.advance(3000)
    session.get(url)
    assert len(responses.calls) == 1


# -- ETag revalidation --------------------------------------------------------------


@responses.activate
def test_after_expiry_a_304_returns_the_cached_body_as_200_with_new_headers(esi_url, clock):
    url = esi_url + "universe/types/587/"
    responses.get(url, json={"name": "Rifter"}, headers=caching_headers(clock.now, 60, etag='"v1"'))
    session, _ = make_session(clock)
    session.get(url)
    clock.advance(61)
    new_headers = caching_headers(clock.now, 600, etag='"v1"')
    responses.replace(responses.GET, url, status=304, body=b"", headers=new_headers)
    revalidated = session.get(url)
    assert responses.calls[1].request.headers["If-None-Match"] == '"v1"'
    assert revalidated.status_code == 200
    assert revalidated.json() == {"name": "Rifter"}
    assert revalidated.headers["Expires"] == new_headers["Expires"]
    assert revalidated.from_cache is True
    # The 304's caching headers make the entry fresh again.
    clock.advance(599)
    assert session.get(url).json() == {"name": "Rifter"}
    assert len(responses.calls) == 2


@responses.activate
def test_a_changed_resource_replaces_the_cached_one(esi_url, clock):
    url = esi_url + "universe/types/587/"
    responses.get(url, json={"name": "Rifter"}, headers=caching_headers(clock.now, 60, etag='"v1"'))
    session, _ = make_session(clock)
    session.get(url)
    clock.advance(61)
    responses.replace(
        responses.GET, url, json={"name": "Rifter II"}, headers=caching_headers(clock.now, 60, etag='"v2"')
    )
    assert session.get(url).json() == {"name": "Rifter II"}
    clock.advance(10)
    assert session.get(url).json() == {"name": "Rifter II"}
    assert len(responses.calls) == 2


@responses.activate
def test_a_callers_own_if_none_match_gets_the_304(esi_url, clock):
    url = esi_url + "status/"
    responses.get(url, status=304, headers={"ETag": '"x"'})
    session, _ = make_session(clock)
    response = session.get(url, headers={"If-None-Match": '"x"'})
    assert response.status_code == 304


# -- what is not cached -------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "status", "extra"),
    [
        ("POST", 200, {}),
        ("GET", 404, {}),
        ("GET", 200, {"Cache-Control": "no-store"}),
    ],
)
def test_only_storable_get_200_responses_are_cached(esi_url, clock, method, status, extra):
    headers = {**caching_headers(clock.now, 300), **extra}
    transport = RecordingTransport([(status, headers, {})] * 2)
    session, _ = make_session(clock, transport=transport)
    session.request(method, esi_url + "universe/names/")
    session.request(method, esi_url + "universe/names/")
    assert len(transport.calls) == 2


def test_the_setting_turns_the_cache_off(esi_url, clock):
    transport = RecordingTransport([(200, caching_headers(clock.now, 300), {})] * 2)
    session, _ = make_session(clock, transport=transport)
    with override_settings(ESI_CACHE_RESPONSE=False):
        session.get(esi_url + "status/")
        session.get(esi_url + "status/")
    assert len(transport.calls) == 2


# -- the key --------------------------------------------------------------------------


def test_the_key_sorts_the_query_and_separates_representations():
    base = "https://esi.test/latest/markets/10000002/orders/"
    key = cache_key("GET", base + "?page=2&order_type=all", {}, "public")
    assert key == cache_key("get", base + "?order_type=all&page=2", {}, "public")
    assert key != cache_key("GET", base + "?order_type=all&page=3", {}, "public")
    assert key != cache_key("GET", base + "?page=2&order_type=all", {"Accept-Language": "de"}, "public")
    assert key != cache_key(
        "GET", base + "?page=2&order_type=all", {"X-Compatibility-Date": "2025-12-16"}, "public"
    )
    assert key != cache_key("GET", base + "?page=2&order_type=all", {"X-Tenant": "singularity"}, "public")
    assert key != cache_key("GET", base + "?page=2&order_type=all", {}, "2112625428")


def test_each_token_has_its_own_entries_even_for_the_same_character(esi_url, clock):
    headers = caching_headers(clock.now, 300)
    transport = RecordingTransport([(200, headers, {"who": n}) for n in ("a", "b", "c")])
    session, _ = make_session(clock, transport=transport)
    url = esi_url + "characters/1/assets/"
    first = make_jwt(1, jti="one")
    answers = [
        session.get(url, headers=bearer(token)).json()
        for token in (first, make_jwt(2), make_jwt(1, jti="refreshed"), first)
    ]
    assert answers == [{"who": "a"}, {"who": "b"}, {"who": "c"}, {"who": "a"}]
    assert len(transport.calls) == 3


def test_a_token_that_is_no_jwt_is_cached_for_itself_only(esi_url, clock):
    transport = RecordingTransport([(200, caching_headers(clock.now, 300), {})] * 2)
    session, _ = make_session(clock, transport=transport)
    for token in ("opaque-token", "opaque-token", "another-opaque-token"):
        session.get(esi_url + "characters/1/assets/", headers={"Authorization": f"Bearer {token}"})
    assert len(transport.calls) == 2


# -- secrets and logging --------------------------------------------------------------


def test_tokens_never_reach_the_cache_or_the_logs(esi_url, clock, monkeypatch, caplog):
    token = make_jwt(2112625428)
    cache = caches["default"]
    written: list[tuple[str, bytes]] = []
    real_set = cache.set

    def spy_set(key, value, *args, **kwargs):
        written.append((key, pickle.dumps(value)))
        return real_set(key, value, *args, **kwargs)

    monkeypatch.setattr(cache, "set", spy_set)
    headers = {
        **caching_headers(clock.now, 60, etag='"e"'),
        "X-ESI-Error-Limit-Remain": "99",
        "X-ESI-Error-Limit-Reset": "30",
        "X-Ratelimit-Group": "char-asset",
        "X-Ratelimit-Limit": "1800/15m",
        "X-Ratelimit-Remaining": "1790",
        "X-Ratelimit-Used": "2",
    }
    transport = RecordingTransport([503, (200, headers, {"ok": 1}), (304, headers, b"")])
    session, _ = make_session(clock, transport=transport)
    url = esi_url + "characters/2112625428/assets/?page=1"
    caplog.set_level(logging.DEBUG)
    with override_settings(ESI_INFO_LOGGING_ENABLED=True):
        session.get(url, headers=bearer(token))
        session.get(url, headers=bearer(token))
        clock.advance(61)
        assert session.get(url, headers=bearer(token)).json() == {"ok": 1}
    assert transport.calls[0]["headers"]["Authorization"] == f"Bearer {token}"
    assert written, "the response and the limits were written to the cache"
    signature = token.rsplit(".", 1)[1]
    for key, blob in written:
        assert token not in key
        assert token.encode() not in blob and signature.encode() not in blob
        assert b"Bearer" not in blob and b"Authorization" not in blob
    assert caplog.records
    assert token not in caplog.text and signature not in caplog.text
    assert "Bearer" not in caplog.text


def test_info_logging_names_method_url_status_and_cache_state(esi_url, clock, caplog):
    transport = RecordingTransport([(200, caching_headers(clock.now, 60), {})])
    session, _ = make_session(clock, transport=transport)
    caplog.set_level(logging.INFO, logger="esi.http")
    with override_settings(ESI_INFO_LOGGING_ENABLED=True):
        session.get(esi_url + "status/?datasource=tranquility")
        session.get(esi_url + "status/?datasource=tranquility")
    lines = [r.getMessage() for r in caplog.records if r.name == "esi.http"]
    assert len(lines) == 2
    assert lines[0].startswith(f"ESI GET {esi_url}status/?datasource=tranquility -> 200 in ")
    assert lines[0].endswith("(cache miss)")
    assert lines[1].endswith("(cache hit)")


def test_no_info_line_unless_enabled(esi_url, clock, caplog):
    session, _ = make_session(clock, transport=RecordingTransport([200]))
    caplog.set_level(logging.INFO, logger="esi.http")
    with override_settings(ESI_INFO_LOGGING_ENABLED=False):
        session.get(esi_url + "status/")
    assert not [r for r in caplog.records if r.name == "esi.http"]


def test_a_token_in_the_query_string_is_redacted_and_not_cached(esi_url, clock, caplog):
    transport = RecordingTransport([(200, caching_headers(clock.now, 60), {})] * 2)
    session, _ = make_session(clock, transport=transport)
    caplog.set_level(logging.INFO, logger="esi.http")
    with override_settings(ESI_INFO_LOGGING_ENABLED=True):
        for _ in range(2):
            session.get(esi_url + "characters/1/?token=s3cr3t&page=1")
    assert len(transport.calls) == 2
    assert "s3cr3t" not in caplog.text
    assert "token=%2A%2A%2A" in caplog.text


# -- forgetting everything ------------------------------------------------------------------


def test_clear_state_forgets_responses_and_limits_but_not_the_rest_of_the_cache(esi_url, clock):
    headers = {
        **caching_headers(clock.now, 300),
        "X-ESI-Error-Limit-Remain": "1",
        "X-ESI-Error-Limit-Reset": "50",
    }
    transport = RecordingTransport(
        [(200, headers, {"n": 1}), (200, caching_headers(clock.now, 300), {"n": 2})]
    )
    session, _ = make_session(clock, transport=transport)
    caches["default"].set("someone-elses-key", "kept")
    assert session.get(esi_url + "status/").json() == {"n": 1}
    with pytest.raises(ErrorLimitExceeded):
        session.get(esi_url + "other/")
    clear_state()
    assert session.get(esi_url + "status/").json() == {"n": 2}
    assert len(transport.calls) == 2
    assert caches["default"].get("someone-elses-key") == "kept"


def test_a_lost_generation_key_starts_a_new_generation(monkeypatch):
    first = generation()
    caches["default"].delete(GENERATION_KEY)
    monkeypatch.setattr(store, "GENERATION_RECHECK", 0.0)
    second = generation()
    assert second not in (first, "0")
    assert generation() == second


def test_a_long_lived_thread_sees_a_clear_state_of_another_thread_at_once():
    read, cleared = threading.Event(), threading.Event()
    seen: list[str] = []

    def worker() -> None:  # a web server's or Celery's thread: its cache objects live on
        seen.append(generation())
        read.set()
        assert cleared.wait(5)
        seen.append(generation())

    thread = threading.Thread(target=worker)
    thread.start()
    assert read.wait(5)
    old = generation()
    clear_state()
    cleared.set()
    thread.join(5)
    assert seen[0] == old
    assert seen[1] == generation() != old


def test_other_cache_settings_have_a_generation_of_their_own():
    outer = generation()
    other = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "other"}}
    with override_settings(CACHES=other):
        inner = generation()
        assert inner != outer
        clear_state()
        assert generation() not in (inner, outer)
    assert generation() == outer


def test_another_process_clear_state_is_seen_within_the_recheck(monkeypatch, clock):
    monkeypatch.setattr(store, "_memo", {})  # its times are the clock's: none outlives the test
    monkeypatch.setattr(store, "time", SimpleNamespace(monotonic=clock))
    first = generation()
    caches["default"].set(GENERATION_KEY, "elsewhere", None)  # what clear_state() in another process writes
    clock.advance(store.GENERATION_RECHECK * 0.9)
    assert generation() == first  # memoized: no cache read for every key
    clock.advance(store.GENERATION_RECHECK * 0.2)
    assert generation() == "elsewhere"


def test_a_cache_outage_is_a_miss_not_an_error(monkeypatch, clock, esi_url, caplog):
    def down(*args, **kwargs):
        raise ConnectionError("cache server gone")

    cache = caches["default"]
    for method in ("get", "set", "add"):
        monkeypatch.setattr(cache, method, down)
    monkeypatch.setattr(store, "GENERATION_RECHECK", 0.0)
    transport = RecordingTransport([(200, caching_headers(clock.now, 300), {"n": n}) for n in (1, 2)])
    session, _ = make_session(clock, transport=transport)
    with caplog.at_level("WARNING", logger="esi.http.store"):
        assert session.get(esi_url + "status/").json() == {"n": 1}
        assert session.get(esi_url + "status/").json() == {"n": 2}  # not cached: asked again
    assert len(transport.calls) == 2
    assert "from the cache failed" in caplog.text


@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork() only")
@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning")
def test_a_forked_child_keeps_the_generation_and_gets_a_lock_of_its_own():
    parent = generation()
    with store._lock:  # as a thread of the parent could hold it at fork()
        pid = os.fork()
        if pid == 0:  # the child
            code = 1
            try:
                import signal

                signal.alarm(10)  # a child stuck on the parent's lock fails instead of hanging
                kept = generation() == parent
                clear_state()
                code = 0 if kept and generation() != parent else 1
            finally:
                os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert generation() == parent


def test_a_read_that_a_clear_state_overtook_does_not_bring_the_old_generation_back(monkeypatch, clock):
    monkeypatch.setattr(store, "_memo", {})  # its times are the clock's: none outlives the test
    monkeypatch.setattr(store, "time", SimpleNamespace(monotonic=clock))
    old = generation()
    clock.advance(store.GENERATION_RECHECK)  # the next key reads the generation again
    read = store.cache_get

    def slow_read(alias: str, key: str):
        value = read(alias, key)  # the old generation...
        if key == GENERATION_KEY:
            monkeypatch.setattr(store, "cache_get", read)
            clear_state()  # ...and another thread's clear_state() lands before it is memoized
        return value

    monkeypatch.setattr(store, "cache_get", slow_read)
    new = generation()
    assert new != old
    assert generation() == new == caches["default"].get(GENERATION_KEY)
