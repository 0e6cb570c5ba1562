"""The cleanup tasks on a real Celery worker, through RabbitMQ (CI has it; a laptop may not)."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from esi import tasks
from esi.models import CallbackRedirect
from esi_testing.factories import CallbackRedirectFactory
from tests.conftest import celery_worker


@pytest.fixture
def worker_app():
    with celery_worker("esi-tests") as app:
        yield app


@pytest.mark.django_db(transaction=True)
def test_cleanup_callbackredirect_runs_on_a_worker(worker_app):
    stale = CallbackRedirectFactory()
    CallbackRedirect.objects.filter(pk=stale.pk).update(created=timezone.now() - datetime.timedelta(hours=1))
    fresh = CallbackRedirectFactory()

    result = tasks.cleanup_callbackredirect.apply_async(kwargs={"max_age": 300})
    result.get(timeout=30)

    assert result.successful()
    assert list(CallbackRedirect.objects.values_list("pk", flat=True)) == [fresh.pk]
