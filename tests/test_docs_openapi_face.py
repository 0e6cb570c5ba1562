"""The OpenAPI-era examples of docs/usage.rst and docs/upgrading.rst (included from here, so they run)."""

import asyncio

import pytest
from celery import shared_task

from esi.decorators import rate_limit_retry_task
from esi.exceptions import HTTPClientError, HTTPNotModified
from esi.openapi_clients import ESIClientProvider

pytestmark = pytest.mark.esi_snapshot("2025-12-16")

# docs: provider
esi = ESIClientProvider(
    compatibility_date="2025-12-16",
    ua_appname="MyApp",
    ua_version="1.0.0",
    ua_url="https://example.com/my-app",
    operations=["GetStatus", "GetCharactersCharacterId", "GetMarketsRegionIdOrders"],
)
# docs: end provider


def test_models(fake_esi):
    character = esi.client.Character.GetCharactersCharacterId(character_id=90000001).result()
    assert character.name == "Ada Quickfoot"  # attribute access
    assert character.model_dump()["name"] == "Ada Quickfoot"  # a dict when you need one


def test_not_modified(fake_esi):
    def update_status():
        try:
            status = esi.client.Status.GetStatus().result()  # use_etag=True by default
        except HTTPNotModified:
            return "unchanged since the last call"
        return f"{status.players} players"

    assert update_status().endswith("players")
    assert update_status() == "unchanged since the last call"


def test_every_page(fake_esi):
    orders = esi.client.Market.GetMarketsRegionIdOrders(region_id=10000002, order_type="all").results(
        use_etag=False
    )
    assert len(orders) == 2500 and orders[0].order_id
    status = esi.client.Status.GetStatus().results(use_etag=False)
    assert len(status) == 1  # a call without pages: a list of one


def test_errors(fake_esi):
    fake_esi.add_fault(operation="GetCharactersCharacterId", status=404, times=1)
    try:
        esi.client.Character.GetCharactersCharacterId(character_id=90000001).result()
    except HTTPClientError as exc:
        assert exc.status_code == 404


def test_async(fake_esi):
    async def dashboard():
        client = await esi.client_async
        status, orders = await asyncio.gather(
            client.Status.GetStatus().result(use_etag=False),
            client.Market.GetMarketsRegionIdOrders(region_id=10000002, order_type="all").results(
                use_etag=False
            ),
        )
        return status.players, len(orders)

    assert asyncio.run(dashboard()) == (23456, 2500)


# docs: task
@shared_task(bind=True, max_retries=5)
@rate_limit_retry_task  # a spent ESI limit retries the task once it resets
def update_character(self, character_id):
    character = esi.client.Character.GetCharactersCharacterId(character_id=character_id).result(
        use_etag=False
    )
    return character.name


# docs: end task


def test_task(fake_esi):
    assert update_character.apply(args=[90000001]).get() == "Ada Quickfoot"
