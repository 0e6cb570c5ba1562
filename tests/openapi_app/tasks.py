"""Celery tasks as 10.x apps write them: bound, retried on ESI limits, rate limited."""

from celery import shared_task
from django.core.cache import cache

from esi.decorators import rate_limit_retry_task, rate_limited_task
from esi.exceptions import ESIBucketLimitException, HTTPNotModified

from .providers import esi


@shared_task(bind=True)
@rate_limit_retry_task
def update_character(self, character_id: int) -> dict:
    """Fetch a character; report "unchanged" when ESI says nothing changed since the last run."""
    try:
        character = esi.client.Character.GetCharactersCharacterId(character_id=character_id).result(
            use_etag=True
        )
    except HTTPNotModified:
        return {"character_id": character_id, "changed": False}
    cache.set(f"openapi-app:character:{character_id}", character.name, 300)
    return {"character_id": character_id, "changed": True, "name": character.name}


@shared_task(bind=True, max_retries=3)
@rate_limit_retry_task
def flaky_market_task(self, region_id: int) -> dict:
    """Fail with a spent bucket on the first run, as a busy ESI would; count the orders on the retry."""
    if cache.add(f"openapi-app:flaky:{region_id}", 1, 300):
        raise ESIBucketLimitException(bucket=None, reset=1)
    orders = esi.client.Market.GetMarketsRegionIdOrders(region_id=region_id, order_type="all").results(
        use_etag=False
    )
    return {"orders": len(orders), "retries": self.request.retries}


@shared_task(bind=True)
@rate_limited_task("1/2s", keys=["character_id"])
def rate_limited_update(self, character_id: int) -> dict:
    """Run at most once every two seconds per character."""
    status = esi.client.Status.GetStatus().result(use_etag=False)
    return {"character_id": character_id, "players": status.players, "retries": self.request.retries}
