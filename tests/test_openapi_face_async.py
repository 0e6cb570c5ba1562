"""``client_async`` is really concurrent: calls overlap and the event loop keeps running meanwhile.

Every request is held at a barrier until all the requests expected at the same
time are in flight; serialized calls never get there and the barrier breaks
(the test fails, it never measures time). While held, each request has the
event loop run a coroutine: a blocked loop could not.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator
from typing import Any
from unittest import mock

import pytest

from esi.http import EsiHTTPAdapter
from esi.openapi_clients import ESIClientProvider

pytestmark = pytest.mark.esi_snapshot("2025-12-16")

_original_send = EsiHTTPAdapter._send_once


class Overlap:
    """Hold matching requests until ``parties`` of them are in flight together."""

    def __init__(self, parties: int, matches: Callable[[Any], bool]) -> None:
        self.barrier = threading.Barrier(parties, timeout=20)
        self.matches = matches
        self.loop: asyncio.AbstractEventLoop | None = None
        self.loop_answers: list[str] = []

    def send(self, adapter: Any, request: Any, *args: Any) -> Any:
        if self.matches(request):
            self.barrier.wait()
            assert self.loop is not None
            answer = asyncio.run_coroutine_threadsafe(self._ping(), self.loop).result(timeout=20)
            self.loop_answers.append(answer)
        return _original_send(adapter, request, *args)

    @staticmethod
    async def _ping() -> str:
        return "loop free"


@pytest.fixture
def provider(fake_esi: Any, settings: Any) -> ESIClientProvider:
    settings.ESI_CACHE_RESPONSE = False
    return ESIClientProvider("2025-12-16", ua_appname="AsyncTests", ua_version="1.0")


@pytest.fixture
def overlap() -> Iterator[Callable[..., Overlap]]:
    made: list[Any] = []

    def make(parties: int, matches: Callable[[Any], bool] = lambda request: True) -> Overlap:
        found = Overlap(parties, matches)
        patcher = mock.patch.object(EsiHTTPAdapter, "_send_once", lambda a, r, *rest: found.send(a, r, *rest))
        patcher.start()
        made.append(patcher)
        return found

    yield make
    for patcher in made:
        patcher.stop()


def _run(overlap: Overlap, main: Callable[[], Any]) -> Any:
    async def runner() -> Any:
        overlap.loop = asyncio.get_running_loop()
        return await main()

    return asyncio.run(runner())


def test_two_slow_calls_overlap_and_the_loop_runs_meanwhile(
    provider: ESIClientProvider, overlap: Any
) -> None:
    held = overlap(2)

    async def main() -> Any:
        client = await provider.client_async
        return await asyncio.gather(
            client.Status.GetStatus().result(use_etag=False),
            client.Universe.GetUniverseTypesTypeId(type_id=587).result(use_etag=False),
        )

    status, rifter = _run(held, main)
    assert status.players > 0 and rifter.name == "Rifter"
    assert held.loop_answers == ["loop free", "loop free"]


def test_results_gathers_the_pages_after_the_first(
    provider: ESIClientProvider, fake_esi: Any, overlap: Any
) -> None:
    pages = int(
        provider.client.Market.GetMarketsRegionIdOrders(region_id=10000002, order_type="all")
        .result(use_etag=False, return_response=True)[1]
        .headers["X-Pages"]
    )
    assert pages >= 3
    held = overlap(pages - 1, lambda request: "page=1" not in (request.url or ""))

    async def main() -> Any:
        client = await provider.client_async
        return await client.Market.GetMarketsRegionIdOrders(region_id=10000002, order_type="all").results(
            use_etag=False
        )

    orders = _run(held, main)
    assert len(orders) > 1000 * (pages - 1) and len(held.loop_answers) == pages - 1


def test_results_localized_gathers_the_languages(provider: ESIClientProvider, overlap: Any) -> None:
    languages = ["en", "de", "fr"]
    held = overlap(len(languages))

    async def main() -> Any:
        client = await provider.client_async
        return await client.Universe.GetUniverseTypesTypeId(type_id=587).results_localized(
            languages=languages, use_etag=False
        )

    found = _run(held, main)
    assert list(found) == languages and all(items[0].type_id == 587 for items in found.values())


def test_the_async_client_is_built_once(provider: ESIClientProvider) -> None:
    async def main() -> Any:
        return await provider.client_async, await provider.client_async

    first, second = asyncio.run(main())
    assert first is second
