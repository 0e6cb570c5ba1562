"""results() asks for pages 2..N as soon as page 1's X-Pages is read; the pages' threads are the process's."""

from __future__ import annotations

import os
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from esi import pages
from esi.errors import HTTPNotFound, ResponseContentError
from esi.operations import EsiFuture
from esi.pages import Concurrently, map_concurrently
from tests.client_fixtures import ORDERS_PATH, client, loopback, orders  # noqa: F401 - fixtures
from tests.client_fixtures import orders_op as _orders_op


def _pages_asked(loopback) -> list[int]:  # noqa: F811
    return [int(r.query["page"][0]) for r in loopback.requests]


def _wait_for(condition, seconds: float = 5.0) -> bool:
    """Return True once ``condition()`` holds; False after ``seconds`` (the test then fails)."""
    end = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > end:
            return False
        time.sleep(0.005)
    return True


def _waits_for_work(thread: threading.Thread) -> bool:
    """Return True when an executor's thread is blocked in its queue's get() (its innermost frame is _worker)."""
    frame = sys._current_frames().get(thread.ident or 0)
    return frame is not None and frame.f_code.co_name == "_worker"


def test_pages_2_to_n_are_asked_for_while_page_1_is_converted(client, loopback, monkeypatch):  # noqa: F811
    loopback.route(ORDERS_PATH, pages=[orders(p) for p in range(1, 5)])
    convert = EsiFuture._convert
    seen_during_page_1: list[bool] = []

    def converting(sent, incoming):
        if "page=1" in incoming._delegate.url:
            # Page 1 is converted only after another page was asked for (none would be, before).
            seen_during_page_1.append(_wait_for(lambda: len(loopback.requests) > 1))
        return convert(sent, incoming)

    monkeypatch.setattr(EsiFuture, "_convert", staticmethod(converting))
    data = _orders_op(client).results()
    assert [o["order_id"] // 1000 for o in data] == [p for p in range(1, 5) for _ in range(3)]
    assert seen_during_page_1 == [True]


def test_pages_are_converted_by_the_caller_as_they_arrive(client, loopback, monkeypatch):  # noqa: F811
    loopback.route(ORDERS_PATH, pages=[orders(p) for p in range(1, 6)])
    convert = EsiFuture._convert
    converted_in: set[int] = set()

    def converting(sent, incoming):
        converted_in.add(threading.get_ident())
        return convert(sent, incoming)

    monkeypatch.setattr(EsiFuture, "_convert", staticmethod(converting))
    assert len(_orders_op(client).results()) == 15
    assert converted_in == {threading.get_ident()}


def test_an_html_page_1_asks_for_no_other_page(client, loopback):  # noqa: F811
    loopback.route(
        ORDERS_PATH, pages=[b"<html>busy</html>"], headers={"X-Pages": "3", "Content-Type": "text/html"}
    )
    with pytest.raises(ResponseContentError):
        _orders_op(client).results()
    assert _pages_asked(loopback) == [1]


def test_an_error_on_page_1_asks_for_no_other_page(client, loopback):  # noqa: F811
    loopback.route(ORDERS_PATH, {"error": "gone"}, status=404, headers={"X-Pages": "3"})
    with pytest.raises(HTTPNotFound):
        _orders_op(client).results()
    assert _pages_asked(loopback) == [1]


def test_no_page_is_asked_for_after_a_page_fails(client, loopback, settings):  # noqa: F811
    settings.ESI_PAGES_MAX_WORKERS = 1
    # Page 2 is not found: pages 3 to 5 are never asked for.
    loopback.route(ORDERS_PATH, pages=[orders(1)], headers={"X-Pages": "5"})
    with pytest.raises(HTTPNotFound):
        _orders_op(client).results()
    assert _pages_asked(loopback) == [1, 2]


def test_the_threads_are_kept_for_the_next_call(client, loopback):  # noqa: F811
    loopback.route(ORDERS_PATH, pages=[orders(p) for p in range(1, 11)])
    assert len(_orders_op(client).results()) == 30
    pool = pages._threads()
    threads = set(pool._threads)  # type: ignore[attr-defined]
    # Every thread went back to wait for work, as the next call finds it.
    assert _wait_for(lambda: all(_waits_for_work(thread) for thread in threads))
    # The idle threads the executor counts, which the next runners take before it starts one. (From Python
    # 3.12 a thread counts itself idle whenever it finds the queue empty, and a runner submitted meanwhile
    # may take that count while a busy thread takes the runner: the count can be below the idle threads.)
    idle = pool._idle_semaphore._value  # type: ignore[attr-defined]
    assert len(_orders_op(client).results()) == 30
    assert pages._threads() is pool
    # The second call's 8 runners took the counted idle threads first; a thread is started only for a
    # runner that found none. (The first call may have needed fewer than 8: a runner that found no page
    # left ended before the last one started.)
    assert threads <= set(pool._threads)  # type: ignore[attr-defined]
    assert len(pool._threads) - len(threads) <= max(0, 8 - idle)  # type: ignore[attr-defined]


def test_concurrently_yields_as_completed_within_the_bound(settings):
    settings.ESI_PAGES_MAX_WORKERS = 2
    lock = threading.Lock()
    running = [0, 0]  # now, most

    def work(n: int) -> int:
        with lock:
            running[0] += 1
            running[1] = max(running[1], running[0])
        time.sleep(0.01)
        with lock:
            running[0] -= 1
        return n * n

    with Concurrently(work, range(6)) as results:
        assert sorted(results) == [(n, n * n) for n in range(6)]
    assert running[1] == 2
    assert map_concurrently(work, [3, 1, 2]) == [9, 1, 4]


def test_concurrently_raises_the_first_error_and_starts_nothing_after_it(settings):
    settings.ESI_PAGES_MAX_WORKERS = 1
    started: list[int] = []

    def work(n: int) -> int:
        started.append(n)
        if n == 2:
            raise ValueError(n)
        return n

    with pytest.raises(ValueError, match="2"):
        map_concurrently(work, range(6))
    assert started == [0, 1, 2]


def test_languages_waiting_on_their_pages_do_not_wait_for_a_thread(settings):
    settings.ESI_PAGES_MAX_WORKERS = 3
    # Each outer call holds a runner while its inner calls need runners of their own.
    assert map_concurrently(lambda n: sum(map_concurrently(lambda m: n * m, range(4))), range(5)) == [
        n * 6 for n in range(5)
    ]


@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork() only")
# Python 3.12+ warns of fork() in a process with threads: forking one is what this test is about.
@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning")
def test_a_forked_child_gets_threads_of_its_own():
    assert map_concurrently(lambda n: n + 1, [1, 2, 3]) == [2, 3, 4]
    parent_pool = pages._threads()
    pid = os.fork()
    if pid == 0:  # the child: the parent's threads do not exist here
        code = 1
        try:
            import signal

            signal.alarm(10)  # a child stuck on the parent's pool fails instead of hanging
            ok = map_concurrently(lambda n: n * 2, [1, 2, 3]) == [2, 4, 6]
            code = 0 if ok and pages._threads() is not parent_pool else 1
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert pages._threads() is parent_pool


@pytest.mark.django_db(transaction=True)
def test_a_runner_closes_the_database_connections_it_opened():
    from django.db import connections

    opened: list[object] = []

    def touch(_: int) -> bool:
        connection = connections["default"]  # this thread's
        connection.ensure_connection()
        opened.append(connection)
        return connection.connection is not None

    assert map_concurrently(touch, [1, 2]) == [True, True]
    assert len(opened) == 2
    assert all(c.connection is None for c in opened)  # type: ignore[attr-defined]


def test_a_clear_state_holds_in_the_threads_of_the_next_call(client, loopback, settings):  # noqa: F811
    from email.utils import formatdate

    from esi.http import clear_state

    settings.ESI_CACHE_RESPONSE = True
    cacheable = {
        "Expires": formatdate(time.time() + 300, usegmt=True),
        "Cache-Control": "public, max-age=300",
    }
    loopback.route(ORDERS_PATH, pages=[orders(p) for p in range(1, 4)], headers=cacheable)
    assert len(_orders_op(client).results()) == 9
    assert len(_orders_op(client).results()) == 9
    assert sorted(_pages_asked(loopback)) == [1, 2, 3]  # the second call: from the response cache
    clear_state()  # in this thread; the pages' threads forget the cached pages too
    assert len(_orders_op(client).results()) == 9
    assert sorted(_pages_asked(loopback)) == [1, 1, 2, 2, 3, 3]


def test_a_clear_state_here_holds_in_pool_threads_that_already_read_the_generation(settings, monkeypatch):
    from esi.http.store import clear_state, generation

    settings.ESI_PAGES_MAX_WORKERS = 2
    pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="esi-pages-test")
    monkeypatch.setattr(pages, "_pool", (os.getpid(), pool))  # its threads: only this test's

    both = threading.Barrier(2, timeout=5)

    def seen(_: int) -> tuple[int, str]:
        both.wait()  # one item per runner: two threads, each of which read the generation
        return threading.get_ident(), generation()

    try:
        old = generation()
        before = map_concurrently(seen, range(2))
        # Both threads idle again: the next call's runners are these two, not new threads.
        assert _wait_for(lambda: pool._idle_semaphore._value >= 2)  # type: ignore[attr-defined]
        clear_state()
        after = map_concurrently(seen, range(2))
    finally:
        pool.shutdown()
    assert {g for _, g in before} == {old}
    assert {g for _, g in after} == {generation()} != {old}
    assert {t for t, _ in after} == {t for t, _ in before}


def test_a_failure_to_release_a_thread_is_logged_not_raised(monkeypatch, caplog):
    def broken() -> None:
        raise RuntimeError("database gone")

    monkeypatch.setattr(pages, "_release_thread_state", broken)
    with caplog.at_level("WARNING", logger="esi.pages"):
        assert map_concurrently(lambda n: n * 3, [1, 2]) == [3, 6]
    assert "Closing the thread's database connections failed" in caplog.text


def test_wait_started_returns_once_every_runner_took_its_first_item(settings):
    settings.ESI_PAGES_MAX_WORKERS = 3
    gate = threading.Event()

    def work(n: int) -> int:
        gate.wait(5)
        return n

    with Concurrently(work, range(10)) as running:
        assert running.wait_started(5)
        assert len(running._items) == 7  # three taken, one by each runner, none done
        gate.set()
        assert sorted(n for n, _ in running) == list(range(10))
    assert Concurrently(work, []).wait_started(0)
