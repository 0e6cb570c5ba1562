"""Fixtures of the client tests: a loopback ESI and settings pointing at it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bench._server import LoopbackServer
from esi.spec import clear_memory_cache


@pytest.fixture
def loopback(settings) -> Iterator[LoopbackServer]:
    """Return a started loopback server that ``ESI_API_URL`` points at."""
    with LoopbackServer() as server:
        settings.ESI_API_URL = server.url
        settings.ESI_CACHE_RESPONSE = False
        yield server


#: The Forge's market orders on the Swagger routes: the paged listing of the client tests.
ORDERS_PATH = "/latest/markets/10000002/orders/"


@pytest.fixture
def client(loopback):
    """Return a bravado-era client of the bundled ``latest`` snapshot, talking to ``loopback``."""
    from esi.clients import esi_client_factory

    return esi_client_factory()


def orders_op(client):
    """Return the future of The Forge's market orders (every order type) on ``client``."""
    return client.Market.get_markets_region_id_orders(region_id=10000002, order_type="all")


@pytest.fixture
def real_family(settings, shared_specs: Path) -> Path:
    """Point the snapshot directories at the real 2025 route family (latest, v1..v6)."""
    settings.ESI_SPEC_SNAPSHOT_DIRS = [str(shared_specs)]
    clear_memory_cache()
    yield shared_specs
    clear_memory_cache()


ORDER = {
    "duration": 90,
    "is_buy_order": False,
    "issued": "2020-05-01T10:11:12Z",
    "location_id": 60003760,
    "min_volume": 1,
    "price": 5.5,
    "range": "region",
    "system_id": 30000142,
    "type_id": 34,
    "volume_remain": 10,
    "volume_total": 10,
}


def orders(page: int, count: int = 3) -> list[dict]:
    """Return ``count`` market orders whose ids say their page."""
    return [{**ORDER, "order_id": page * 1000 + i} for i in range(count)]
