"""The fake ESI can rebuild a listing mid-fetch (a ``regenerate`` fault): results() sees it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from esi.clients import esi_client_factory
from esi.errors import IncompleteResponseError
from esi_testing import FakeESI
from esi_testing.fake.faults import Fault

OPERATION = "get_markets_region_id_orders"


@pytest.fixture(params=["inprocess", "server"])
def fake(request: pytest.FixtureRequest) -> Iterator[FakeESI]:
    # 2500 generated orders in pages of 500: X-Pages 5.
    with FakeESI(mode=request.param, page_size=500) as fake, fake.override_settings():
        yield fake


def _orders() -> object:
    return esi_client_factory().Market.get_markets_region_id_orders(region_id=10000002, order_type="all")


def _pages_asked(fake: FakeESI) -> list[int]:
    return [int(e.query.get("page", ["1"])[0]) for e in fake.backend.journal if "/markets/" in e.path]


def test_pages_after_the_rebuild_carry_a_later_last_modified_and_another_etag(fake: FakeESI) -> None:
    fake.add_fault(operation=OPERATION, regenerate=True, after=1, times=1)
    _, first = _orders_page(1)
    _, second = _orders_page(2)  # struck: the listing is rebuilt
    _, first_again = _orders_page(1)
    assert first.headers["Last-Modified"] != second.headers["Last-Modified"]
    assert second.headers["Last-Modified"] == first_again.headers["Last-Modified"]
    assert first.headers["ETag"] != first_again.headers["ETag"]
    assert first.headers["X-Pages"] == second.headers["X-Pages"] == "5"


def _orders_page(page: int) -> tuple[object, object]:
    """Return (data, response) of one page, asked past the response cache."""
    op = esi_client_factory().Market.get_markets_region_id_orders(
        region_id=10000002, order_type="all", _request_options={"headers": {"Cache-Control": "no-cache"}}
    )
    op.request_config.also_return_response = True
    return op.result(page=page)  # type: ignore[no-any-return]


def test_results_refetches_the_pages_of_the_old_generation_and_returns_one_generation(fake: FakeESI) -> None:
    fake.add_fault(operation=OPERATION, regenerate=True, after=1, times=1)  # strikes page 2
    data = _orders().results()
    assert len(data) == 2500 and len({order["order_id"] for order in data}) == 2500
    assert sorted(_pages_asked(fake)) == [1, 1, 2, 3, 4, 5]  # page 1 again: it was of the old generation


def test_a_listing_rebuilt_on_every_call_raises_naming_the_pages(fake: FakeESI) -> None:
    fake.add_fault(operation=OPERATION, regenerate=True, after=1)
    with pytest.raises(IncompleteResponseError, match="no consistent snapshot") as caught:
        _orders().results()
    assert "Last-Modified" in str(caught.value)


def test_regenerate_is_a_fault_of_its_own_and_after_is_checked() -> None:
    fault = Fault.from_dict({"path": "/latest/markets/*", "regenerate": True, "after": 2})
    assert fault.regenerate and fault.after == 2
    with pytest.raises(ValueError, match="after must be >= 0"):
        Fault(regenerate=True, after=-1)
    with pytest.raises(ValueError, match="regenerate=True"):
        Fault(path="/x")
