"""The downstream-style OpenAPI-era app (``tests/openapi_app``) against the fake ESI, as its authors test it.

Views with the token decorators, an async view, tasks with ``use_etag``; the
rate-limit decorators on a real Celery worker through RabbitMQ (skipped with
the reason on a laptop without it, required in CI), with the limits shared
through the Django cache. Runs in-process, or with ``ESI_FAKE_MODE=server``.
"""

from __future__ import annotations

from typing import Any

import pytest
from asgiref.sync import async_to_sync
from celery import signals
from django.test import RequestFactory

from esi_testing.factories import TokenFactory, UserFactory
from tests.conftest import celery_worker
from tests.openapi_app import tasks, views

SKILLS = "esi-skills.read_skills.v1"
CHARACTER_ID = 90000001

pytestmark = [pytest.mark.esi_snapshot("2025-12-16"), pytest.mark.urls("tests.openapi_app.urls")]


@pytest.mark.django_db
def test_a_tokens_required_view_reads_each_characters_skills(client: Any, fake_esi: Any) -> None:
    user = UserFactory()
    first = TokenFactory(user=user, character_id=CHARACTER_ID, scopes=[SKILLS])
    second = TokenFactory(user=user, character_id=90000002, scopes=[SKILLS])
    TokenFactory(user=user, character_id=90000003, scopes=["esi-assets.read_assets.v1"])  # not this view's
    client.force_login(user)
    answer = client.get("/skill-points/").json()
    assert set(answer) == {str(first.character_id), str(second.character_id)}
    assert all(isinstance(sp, int) for sp in answer.values())


@pytest.mark.django_db
def test_a_token_required_view_uses_the_chosen_token(client: Any, fake_esi: Any) -> None:
    user = UserFactory()
    token = TokenFactory(user=user, character_id=CHARACTER_ID, scopes=[SKILLS])
    client.force_login(user)
    answer = client.post("/character/", {"_token": token.pk}).json()
    assert answer["name"] == "Ada Quickfoot" and isinstance(answer["total_sp"], int)


def test_the_async_view_gathers_its_calls(fake_esi: Any, settings: Any) -> None:
    settings.ESI_CACHE_RESPONSE = False
    response = async_to_sync(views.dashboard)(RequestFactory().get("/dashboard/"))
    assert response.status_code == 200
    assert b'"names": {"en": "Rifter", "de": "Rifter"}' in response.content
    sent = sorted((e.path, e.headers.get("Accept-Language")) for e in fake_esi.journal if e.path != "/status")
    assert sent == [("/universe/types/587", "de"), ("/universe/types/587", "en")]
    assert [e.path for e in fake_esi.journal].count("/status") == 1


def test_a_task_with_use_etag_reports_unchanged_the_second_time(fake_esi: Any) -> None:
    first = tasks.update_character.apply(args=[CHARACTER_ID]).get()
    again = tasks.update_character.apply(args=[CHARACTER_ID]).get()
    assert first == {"character_id": CHARACTER_ID, "changed": True, "name": "Ada Quickfoot"}
    assert again == {"character_id": CHARACTER_ID, "changed": False}


@pytest.fixture
def worker_app(fake_esi: Any) -> Any:
    with celery_worker("esi-openapi-app-tests", concurrency=2) as app:
        yield app


@pytest.mark.services
def test_rate_limit_retry_task_retries_after_the_reset_on_a_worker(worker_app: Any) -> None:
    result = tasks.flaky_market_task.apply_async(args=[10000002])
    answer = result.get(timeout=60)
    assert answer["retries"] == 1 and answer["orders"] > 1000


@pytest.mark.services
def test_rate_limited_task_runs_over_the_rate_later_without_spending_a_retry(worker_app: Any) -> None:
    retried: list[Any] = []

    def on_retry(sender: Any = None, **kwargs: Any) -> None:
        retried.append(sender)

    signals.task_retry.connect(on_retry)
    try:
        results = [tasks.rate_limited_update.apply_async(args=[CHARACTER_ID]) for _ in range(2)]
        answers = [r.get(timeout=60) for r in results]
        other = tasks.rate_limited_update.apply_async(args=[CHARACTER_ID + 1]).get(timeout=60)
    finally:
        signals.task_retry.disconnect(on_retry)
    assert [a["character_id"] for a in answers] == [CHARACTER_ID, CHARACTER_ID]
    assert all(a["retries"] == 0 and a["players"] > 0 for a in answers)
    assert len(retried) >= 1  # the second run waited for its turn
    assert other["character_id"] == CHARACTER_ID + 1
