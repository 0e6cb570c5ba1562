"""The OpenAPI-era face's results() (sync and async) returns one generation of a listing.

The same cases as ``test_consistent_pages.py``, through
:class:`esi.openapi_clients.ESIClientProvider`: the check is :mod:`esi.pages`' in both faces.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from email.utils import formatdate, parsedate_to_datetime
from typing import Any

import pytest
import responses

from esi.errors import IncompleteResponseError
from esi.openapi_clients import ESIClientProvider

from .http_helpers import unique_esi_url
from .test_consistent_pages import PERIOD, Listing

DATE = "2025-12-16"


@pytest.fixture
def upstream(settings: Any) -> Iterator[responses.RequestsMock]:
    """Return a ``responses`` mock for an ESI host of its own."""
    settings.ESI_API_URL = unique_esi_url().removesuffix("latest/")
    with responses.RequestsMock() as mock:
        yield mock


def serve(upstream: responses.RequestsMock, listing: Any) -> None:
    url = re.compile(r"https://esi-[0-9a-f]+\.test/.*markets/10000002/orders/?(\?.*)?$")
    upstream.add_callback(responses.GET, url, callback=listing, content_type="application/json")


def provider() -> ESIClientProvider:
    return ESIClientProvider(DATE, ua_appname="ConsistentPages", ua_version="1.0")


def results(mode: str, **options: Any) -> list[Any]:
    """Return the orders' results() through the sync client or ``client_async``."""
    esi = provider()
    if mode == "sync":
        return esi.client.Market.GetMarketsRegionIdOrders(region_id=10000002, order_type="all").results(
            **options
        )

    async def main() -> list[Any]:
        client = await esi.client_async
        operation = client.Market.GetMarketsRegionIdOrders(region_id=10000002, order_type="all")
        return await operation.results(**options)

    return asyncio.run(main())


def generations_and_pages(data: list[Any]) -> list[tuple[int, int]]:
    return sorted({(o.order_id // 1_000_000, o.order_id // 1000 % 1000) for o in data})


modes = pytest.mark.parametrize("mode", ["sync", "async"])


@modes
def test_a_rebuild_after_page_1_refetches_page_1(upstream: responses.RequestsMock, mode: str) -> None:
    listing = Listing(lambda n: 0 if n == 0 else 1)
    serve(upstream, listing)
    data = results(mode)
    assert generations_and_pages(data) == [(1, 1), (1, 2), (1, 3)]
    assert len(data) == 6
    refetch = listing.requests[3]
    assert refetch[0] == 1 and "no-cache" in refetch[2]["Cache-Control"]
    assert len(listing.requests) == 4


@modes
def test_a_refetch_keeps_the_calls_own_cache_directives(upstream: responses.RequestsMock, mode: str) -> None:
    listing = Listing(lambda n: 0 if n == 0 else 1)
    serve(upstream, listing)
    assert generations_and_pages(results(mode, store_cache=False)) == [(1, 1), (1, 2), (1, 3)]
    first, refetch = listing.requests[0][2]["Cache-Control"], listing.requests[3][2]["Cache-Control"]
    assert first == "no-store"
    assert sorted(d.strip() for d in refetch.split(",")) == ["no-cache", "no-store"]


@modes
def test_a_listing_that_grows_with_its_generation_is_fetched_whole(
    upstream: responses.RequestsMock, mode: str
) -> None:
    listing = Listing(lambda n: 0 if n == 0 else 1, pages_of=lambda g: 2 + g)
    serve(upstream, listing)
    assert generations_and_pages(results(mode)) == [(1, 1), (1, 2), (1, 3)]
    assert sorted(page for page, _, _ in listing.requests[2:]) == [1, 3]


@modes
def test_a_listing_that_never_settles_raises_naming_the_pages(
    upstream: responses.RequestsMock, settings: Any, mode: str
) -> None:
    settings.ESI_PAGES_CONSISTENCY_RETRIES = 2
    listing = Listing(lambda n: n)  # every answer comes from a newer generation
    serve(upstream, listing)
    with pytest.raises(IncompleteResponseError) as caught:
        results(mode)
    message = str(caught.value)
    assert "GetMarketsRegionIdOrders" in message  # the name the face is called by
    assert "after 2 refetches" in message
    assert re.search(r"pages [123], [123] disagree with the newest generation", message)
    assert "Last-Modified" in message
    # Three pages, then the two that are behind the newest, twice.
    assert len(listing.requests) == 3 + 2 + 2


@modes
def test_no_refetch_when_disabled_but_still_no_mixed_answer(
    upstream: responses.RequestsMock, settings: Any, mode: str
) -> None:
    settings.ESI_PAGES_CONSISTENCY_RETRIES = 0
    listing = Listing(lambda n: 0 if n == 0 else 1)
    serve(upstream, listing)
    with pytest.raises(IncompleteResponseError, match="page 1: Last-Modified"):
        results(mode)
    assert len(listing.requests) == 3


@modes
def test_an_expires_that_moves_with_the_date_is_one_generation(
    upstream: responses.RequestsMock, mode: str
) -> None:
    # A server that writes Expires = Date + max-age on every answer (as the fake ESI does).
    listing = Listing(lambda n: 0, seconds_per_request=7)
    original = listing.__call__

    def per_answer_expires(request: Any) -> tuple[int, dict[str, str], str]:
        status, headers, body = original(request)
        answered = parsedate_to_datetime(headers["Date"]).timestamp()
        headers["Expires"] = formatdate(answered + PERIOD, usegmt=True)
        return status, headers, body

    serve(upstream, per_answer_expires)
    assert generations_and_pages(results(mode)) == [(0, 1), (0, 2), (0, 3)]
    assert len(listing.requests) == 3
