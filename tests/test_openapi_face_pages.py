"""The OpenAPI face's results() takes its pages from the engine: models built as pages arrive, bounds kept."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from esi.exceptions import HTTPNotModified
from esi.openapi_clients import ESIClientProvider
from esi.openapi_clients.operation import EsiOperation
from esi.operations import _past_the_cache
from tests.client_fixtures import ORDER, loopback  # noqa: F401 - fixtures

DATE = "2025-12-16"
ORDERS_PATH = "/markets/10000002/orders"

pytestmark = pytest.mark.esi_snapshot(DATE)


def _provider() -> ESIClientProvider:
    return ESIClientProvider(DATE, ua_appname="FacePages", ua_version="1.0")


def _orders(page: int) -> list[dict[str, Any]]:
    return [{**ORDER, "order_id": page * 1000 + i} for i in range(3)]


@pytest.fixture
def listing(loopback):  # noqa: F811
    """Five pages of three orders, every page with an ETag of its own."""
    loopback.route(ORDERS_PATH, pages=[_orders(p) for p in range(1, 6)], headers={"ETag": '"v1"'})
    return loopback


@pytest.fixture
def builds(monkeypatch) -> list[Any]:
    """Record the raw pages the face builds models of."""
    seen: list[Any] = []
    convert = EsiOperation._convert

    def recording(self, raw):
        seen.append(raw)
        return convert(self, raw)

    monkeypatch.setattr(EsiOperation, "_convert", recording)
    return seen


def _operation() -> Any:
    return _provider().client.Market.GetMarketsRegionIdOrders(region_id=10000002, order_type="all")


def test_results_builds_each_pages_models_once(listing, builds) -> None:
    orders = _operation().results(use_etag=False)
    assert [o.order_id for o in orders] == [p * 1000 + i for p in range(1, 6) for i in range(3)]
    assert len(builds) == 5


def test_results_builds_no_model_when_every_page_is_unchanged(listing, builds) -> None:
    assert len(_operation().results()) == 15
    builds.clear()
    with pytest.raises(HTTPNotModified):
        _operation().results()
    assert builds == []  # nothing built for an answer that is not handed out


def test_the_async_face_fetches_pages_within_the_bound(loopback, settings) -> None:  # noqa: F811
    settings.ESI_PAGES_MAX_WORKERS = 2
    loopback.latency = 0.02
    loopback.route(ORDERS_PATH, pages=[_orders(p) for p in range(1, 9)])
    esi = _provider()

    async def main() -> list[Any]:
        client = await esi.client_async
        operation = client.Market.GetMarketsRegionIdOrders(region_id=10000002, order_type="all")
        return await operation.results(use_etag=False)  # type: ignore[no-any-return]

    assert len(asyncio.run(main())) == 24
    assert 1 <= loopback.max_in_flight <= 2


@pytest.mark.parametrize(
    ("given", "sent"),
    [
        ({}, "no-cache"),
        ({"Cache-Control": "no-store"}, "no-store, no-cache"),
        ({"Cache-Control": "no-cache, no-store"}, "no-cache, no-store"),
    ],
)
def test_a_refetch_past_the_cache_keeps_what_the_caller_asked(given, sent) -> None:
    assert _past_the_cache({"X-Other": "1", **given}) == {"X-Other": "1", "Cache-Control": sent}
