"""results() returns the pages of one generation of a listing, or says which pages disagreed."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Iterator
from email.utils import formatdate, parsedate_to_datetime

import pytest
import responses

from esi.clients import EsiClientProvider
from esi.errors import IncompleteResponseError
from esi.pages import Generation, describe, stragglers

from .client_fixtures import ORDER
from .http_helpers import unique_esi_url

START = 1_900_000_000
PERIOD = 300  # ESI rebuilds the listing every five minutes


class Listing:
    """A paged market listing whose generation is chosen per request by ``generation_of(n)``.

    Generation ``g`` has ``pages_of(g)`` pages, was built at ``START + g * PERIOD``
    and expires one period later; its orders' ids say generation and page. Each
    answer is dated ``seconds_per_request`` after the one before.
    """

    def __init__(
        self,
        generation_of: Callable[[int], int],
        pages_of: Callable[[int], int] = lambda g: 3,
        seconds_per_request: float = 0.0,
    ) -> None:
        self.generation_of = generation_of
        self.pages_of = pages_of
        self.seconds_per_request = seconds_per_request
        self.requests: list[tuple[int, int, dict[str, str]]] = []  # (page, generation, headers)
        self._lock = threading.Lock()

    def __call__(self, request) -> tuple[int, dict[str, str], str]:
        page = int(request.params.get("page", 1))
        with self._lock:
            n = len(self.requests)
            generation = self.generation_of(n)
            self.requests.append((page, generation, dict(request.headers)))
        built = START + generation * PERIOD
        headers = {
            "Date": formatdate(built + 10 + n * self.seconds_per_request, usegmt=True),
            "Last-Modified": formatdate(built, usegmt=True),
            "Expires": formatdate(built + PERIOD, usegmt=True),
            "X-Pages": str(self.pages_of(generation)),
        }
        if page > self.pages_of(generation):
            return 404, headers, json.dumps({"error": "Requested page does not exist!"})
        body = [{**ORDER, "order_id": generation * 1_000_000 + page * 1000 + i} for i in range(2)]
        return 200, headers, json.dumps(body)


@pytest.fixture
def upstream(settings) -> Iterator[tuple[responses.RequestsMock, str]]:
    """Return a ``responses`` mock and the URL of the listing on an ESI host of its own."""
    base = unique_esi_url()
    settings.ESI_API_URL = base.removesuffix("latest/")
    with responses.RequestsMock() as mock:
        yield mock, base + "markets/10000002/orders/"


def serve(upstream, listing: Listing) -> None:
    mock, url = upstream
    mock.add_callback(responses.GET, url, callback=listing, content_type="application/json")


def orders():
    client = EsiClientProvider().client
    return client.Market.get_markets_region_id_orders(region_id=10000002, order_type="all")


def generations_and_pages(data) -> list[tuple[int, int]]:
    return sorted({(o["order_id"] // 1_000_000, o["order_id"] // 1000 % 1000) for o in data})


def test_a_rebuild_after_page_1_refetches_page_1(upstream):
    listing = Listing(lambda n: 0 if n == 0 else 1)
    serve(upstream, listing)
    data = orders().results()
    assert generations_and_pages(data) == [(1, 1), (1, 2), (1, 3)]
    assert len(data) == 6
    refetch = listing.requests[3]
    assert refetch[0] == 1 and refetch[2]["Cache-Control"] == "no-cache"
    assert len(listing.requests) == 4


def test_a_listing_that_grows_with_its_generation_is_fetched_whole(upstream):
    listing = Listing(lambda n: 0 if n == 0 else 1, pages_of=lambda g: 2 + g)
    serve(upstream, listing)
    assert generations_and_pages(orders().results()) == [(1, 1), (1, 2), (1, 3)]
    assert sorted(page for page, _, _ in listing.requests[2:]) == [1, 3]


def test_a_listing_that_never_settles_raises_naming_the_pages(upstream, settings):
    settings.ESI_PAGES_CONSISTENCY_RETRIES = 2
    listing = Listing(lambda n: n)  # every answer comes from a newer generation
    serve(upstream, listing)
    with pytest.raises(IncompleteResponseError) as caught:
        orders().results()
    message = str(caught.value)
    assert "get_markets_region_id_orders" in message
    assert "after 2 refetches" in message
    assert re.search(r"pages [123], [123] disagree with the newest generation", message)
    assert "Last-Modified" in message
    # Three pages, then the two that are behind the newest, twice.
    assert len(listing.requests) == 3 + 2 + 2


def test_no_refetch_when_disabled_but_still_no_mixed_answer(upstream, settings):
    settings.ESI_PAGES_CONSISTENCY_RETRIES = 0
    serve(upstream, Listing(lambda n: 0 if n == 0 else 1))
    with pytest.raises(IncompleteResponseError, match="page 1: Last-Modified"):
        orders().results()


def test_an_expires_that_moves_with_the_date_is_one_generation(upstream):
    # A server that writes Expires = Date + max-age on every answer (as the fake ESI does).
    listing = Listing(lambda n: 0, seconds_per_request=7)
    original = listing.__call__

    def per_answer_expires(request):
        status, headers, body = original(request)
        answered = parsedate_to_datetime(headers["Date"]).timestamp()
        headers["Expires"] = formatdate(answered + PERIOD, usegmt=True)
        return status, headers, body

    serve(upstream, per_answer_expires)  # type: ignore[arg-type]
    assert generations_and_pages(orders().results()) == [(0, 1), (0, 2), (0, 3)]
    assert len(listing.requests) == 3


def test_generations_agree_and_are_described():
    def generation(modified: int, expires: int, answered: int, pages: str = "3") -> Generation:
        return Generation(
            formatdate(modified, usegmt=True), formatdate(expires, usegmt=True), pages, float(answered)
        )

    old, new = generation(START, START + 300, START + 10), generation(START + 300, START + 600, START + 20)
    drifted = generation(START, START + 305, START + 15)
    assert old.agrees(drifted) and not old.agrees(new)
    assert not old.agrees(generation(START, START + 300, START + 10, pages="4"))
    assert not old.agrees(generation(START, START + 400, START + 11))
    newest, behind = stragglers({1: old, 2: new, 3: new})
    assert newest == new and behind == [1]
    assert describe({1: old, 2: new, 3: new}).startswith("pages 2, 3: Last-Modified ")
