"""Which cache generation a page of a listing belongs to, and whether the pages agree.

ESI rebuilds a listing (a region's market orders, say) every few minutes, and
each page is answered from whatever generation is current when it is asked for.
Pages fetched across a rebuild mix two generations: orders go missing or come
twice. ``results()`` of both faces (:mod:`esi.operations`,
:mod:`esi.openapi_clients`) therefore :func:`settle` the pages: every page must
carry the same :class:`Generation` as the newest one, the others are refetched.

Two pages belong to the same generation when their ``X-Pages`` and
``Last-Modified`` are the same and their ``Expires`` differ by no more than the
time between the two answers (their ``Date``): within one generation ESI's
``Expires`` is fixed, while a server that computes it per answer as
``Date + max-age`` moves it exactly as fast as time passes.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from queue import SimpleQueue
from typing import Any, NamedTuple, TypeVar

from esi.app_settings import app_settings
from esi.errors import IncompleteResponseError
from esi.http.cache import parse_http_date

__all__ = ["Concurrently", "Generation", "describe", "map_concurrently", "settle", "stragglers"]

logger = logging.getLogger(__name__)

#: A fetched page, whatever the face keeps of it (data, response, generation...).
Page = TypeVar("Page")

#: HTTP dates have a resolution of one second.
_DATE_RESOLUTION = 1.0


# Not a dataclass: one compiles its methods with exec in every process that imports it (issue 13).
class Generation(NamedTuple):
    """The generation headers of one page (an immutable named tuple)."""

    last_modified: str | None
    expires: str | None
    x_pages: str | None
    #: When the page was answered: its ``Date``, else when it arrived.
    answered: float

    @classmethod
    def of(cls, headers: Mapping[str, Any], received: float | None = None) -> Generation:
        """Return the generation of a response's headers."""

        def header(name: str) -> str | None:
            value = headers.get(name)
            return str(value).strip() if value is not None else None

        answered = parse_http_date(header("Date"))
        if answered is None:
            answered = time.time() if received is None else received
        return cls(header("Last-Modified"), header("Expires"), header("X-Pages"), answered)

    def newness(self) -> tuple[float, float]:
        """Return a sort key: later ``Last-Modified``, then later ``Expires``, is newer."""
        modified = parse_http_date(self.last_modified)
        expires = parse_http_date(self.expires)
        return (
            float("-inf") if modified is None else modified,
            float("-inf") if expires is None else expires,
        )

    def agrees(self, other: Generation) -> bool:
        """Return True when both pages come from the same generation of the listing."""
        if self.x_pages != other.x_pages or self.last_modified != other.last_modified:
            return False
        if self.expires == other.expires:
            return True
        mine, theirs = parse_http_date(self.expires), parse_http_date(other.expires)
        if mine is None or theirs is None:
            return False
        return abs(mine - theirs) <= abs(self.answered - other.answered) + _DATE_RESOLUTION

    def label(self) -> str:
        """Return the headers for a message."""
        return f"Last-Modified {self.last_modified}, Expires {self.expires}, X-Pages {self.x_pages}"


def stragglers(generations: Mapping[int, Generation]) -> tuple[Generation, list[int]]:
    """Return the newest generation and the pages (in order) that do not agree with it."""
    newest = max(generations.values(), key=Generation.newness)
    return newest, sorted(page for page, g in generations.items() if not g.agrees(newest))


def describe(generations: Mapping[int, Generation]) -> str:
    """Return which pages carry which generation, newest first: ``"pages 2, 3: ...; page 1: ..."``."""
    groups: list[tuple[Generation, list[int]]] = []
    for page in sorted(generations):
        generation = generations[page]
        for first, pages in groups:
            if generation.agrees(first):
                pages.append(page)
                break
        else:
            groups.append((generation, [page]))
    groups.sort(key=lambda group: group[0].newness(), reverse=True)
    return "; ".join(
        f"{'page' if len(pages) == 1 else 'pages'} {', '.join(map(str, pages))}: {first.label()}"
        for first, pages in groups
    )


def settle(
    fetched: Mapping[int, Page],
    *,
    generation_of: Callable[[Page], Generation],
    page_count: Callable[[str | None], int],
    refetch: Callable[[list[int]], list[Page]],
    operation: str,
) -> dict[int, Page]:
    """Return the pages once all come from the newest generation, refetching the others.

    ``refetch(numbers)`` fetches those pages again past the response cache, in
    order; ``page_count`` reads ``X-Pages`` (the newest generation decides how
    many pages the listing has: missing pages are fetched, extra ones dropped).
    After ``ESI_PAGES_CONSISTENCY_RETRIES`` refetches without one consistent
    snapshot, raise :class:`~esi.errors.IncompleteResponseError` naming the pages.
    """
    pages = dict(fetched)
    retries = max(0, int(app_settings.ESI_PAGES_CONSISTENCY_RETRIES))
    for attempt in range(retries + 1):
        generations = {n: generation_of(page) for n, page in pages.items()}
        newest, behind = stragglers(generations)
        count = page_count(newest.x_pages)
        pages = {n: page for n, page in pages.items() if n <= count}
        wanted = sorted({n for n in behind if n <= count} | set(range(1, count + 1)).difference(pages))
        if not wanted:
            return pages
        if attempt == retries:
            raise IncompleteResponseError(
                f"{operation}: no consistent snapshot of the listing after {retries} "
                f"refetches (ESI_PAGES_CONSISTENCY_RETRIES): {'page' if len(wanted) == 1 else 'pages'} "
                f"{', '.join(map(str, wanted))} disagree with the newest generation (or are missing "
                f"from it); {describe(generations)}"
            )
        pages.update(zip(wanted, refetch(wanted), strict=True))
    raise AssertionError("unreachable")  # pragma: no cover


def map_concurrently(fn: Callable[[Any], Any], items: Iterable[Any]) -> list[Any]:
    """Return ``[fn(i) for i in items]``, computed concurrently (:class:`Concurrently`).

    The first exception raised is re-raised; the calls not yet started are not started.
    """
    items = list(items)
    if len(items) <= 1:
        return [fn(i) for i in items]
    found: dict[int, Any] = {}
    with Concurrently(lambda pair: fn(pair[1]), list(enumerate(items))) as results:
        for (index, _), value in results:
            found[index] = value
    return [found[i] for i in range(len(items))]


class Concurrently:
    """``fn(item)`` for every item, by at most ``ESI_PAGES_MAX_WORKERS`` threads at a time, started at once.

    Iterating yields ``(item, result)`` as each call completes; the first
    exception is raised, and no item is started after it. :meth:`close` (or
    leaving the ``with`` block) starts no more items and waits for those under way.

    The threads are the process's (:func:`_threads`): each call of ``fn`` for
    one ``Concurrently`` runs in one of its own ``ESI_PAGES_MAX_WORKERS``
    runners, which take the next item as soon as they finish one, so concurrent
    callers neither share nor wait for each other's runners.
    """

    def __init__(self, fn: Callable[[Any], Any], items: Iterable[Any]) -> None:
        self._fn = fn
        self._items = deque(items)
        self._count = len(self._items)
        self._done: SimpleQueue[tuple[Any, Any, BaseException | None]] = SimpleQueue()
        self._stopped = False
        runners = max(1, min(int(app_settings.ESI_PAGES_MAX_WORKERS), self._count)) if self._count else 0
        self._waiting_to_start = runners
        self._started = threading.Event()
        self._lock = threading.Lock()
        if not runners:
            self._started.set()
        pool = _threads()
        self._runners = [pool.submit(self._run) for _ in range(runners)]

    def _run(self) -> None:
        first = True
        try:
            while not self._stopped:
                try:
                    item = self._items.popleft()
                except IndexError:
                    return
                finally:
                    if first:
                        first = False
                        self._runner_started()
                try:
                    self._done.put((item, self._fn(item), None))
                except BaseException as exc:  # handed to the caller, who raises it
                    self._stopped = True
                    self._done.put((item, None, exc))
        finally:
            try:
                _release_thread_state()
            except Exception:  # a connection that fails to close must not hide the call's own outcome
                logger.warning("Closing the thread's database connections failed", exc_info=True)

    def _runner_started(self) -> None:
        with self._lock:
            self._waiting_to_start -= 1
            if self._waiting_to_start <= 0:
                self._started.set()

    def wait_started(self, timeout: float | None = None) -> bool:
        """Wait until every runner has taken its first item (or found none); return False on timeout.

        The caller that waits here before work of its own lets the runners send
        their first requests first, instead of holding the GIL while they wait for it.
        """
        return self._started.wait(timeout)

    def __iter__(self) -> Iterator[tuple[Any, Any]]:
        for _ in range(self._count):
            item, value, error = self._done.get()
            if error is not None:
                self._stopped = True
                raise error
            yield item, value

    def close(self) -> None:
        """Start no more items; wait for those under way."""
        self._stopped = True
        for runner in self._runners:
            runner.result()

    def __enter__(self) -> Concurrently:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


_pool: tuple[int, ThreadPoolExecutor] | None = None
_pool_lock = threading.Lock()


def _threads() -> ThreadPoolExecutor:
    """Return the process's pool of threads for concurrent pages and languages.

    Created on first use, and again in a child process after ``fork()`` (the
    parent's threads do not exist there). It grows to the runners in use at
    once (``ESI_PAGES_MAX_WORKERS`` per :class:`Concurrently`) and keeps them
    for the next call: starting threads for every ``results()`` cost about
    1.3 ms of CPU, which delayed the first requests.
    """
    global _pool
    pool = _pool
    pid = os.getpid()
    if pool is not None and pool[0] == pid:
        return pool[1]
    with _pool_lock:
        if _pool is None or _pool[0] != pid:
            # Unbounded: every runner gets a thread, so runners waiting on other runners
            # (results_localized's languages on their pages) never wait for a free one.
            _pool = (pid, ThreadPoolExecutor(max_workers=sys.maxsize, thread_name_prefix="esi-pages"))
        return _pool[1]


def _reset_after_fork() -> None:
    global _pool, _pool_lock
    _pool = None
    _pool_lock = threading.Lock()


os.register_at_fork(after_in_child=_reset_after_fork)


def _release_thread_state() -> None:
    """Close the database connections the runner's thread opened (a token refreshed).

    A runner's thread outlives its call and serves no request, so nothing of
    Django's would close them: each pool thread would keep a connection of its
    own to the database until the process ends. Its cache objects are kept
    for the next call, as a web server's threads keep theirs: the HTTP layer's
    state generation is remembered per process, not per cache object
    (:mod:`esi.http.store`), so a ``clear_state()`` in any thread holds in the
    runners' next keys.
    """
    from django.db import connections

    for connection in connections.all(initialized_only=True):
        connection.close()
