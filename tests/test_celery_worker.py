"""The cleanup tasks on a real Celery worker, through RabbitMQ (CI has it; a laptop may not)."""

from __future__ import annotations

import datetime
import os

import pytest
from celery import Celery
from celery.contrib.testing.worker import start_worker
from django.utils import timezone

from esi import tasks
from esi.models import CallbackRedirect
from esi_testing.factories import CallbackRedirectFactory
from tests.conftest import release_broker, require_service

BROKER = os.environ.get("ESI_TEST_BROKER_URL", "amqp://guest:guest@127.0.0.1:5672//")


@pytest.fixture
def worker_app():
    require_service("RabbitMQ", "127.0.0.1", 5672)
    app = Celery("esi-tests", broker=BROKER, backend="rpc://", set_as_current=False)
    # A queue of its own: parallel runs sharing the broker do not take each other's tasks.
    app.conf.task_default_queue = f"esi-tests-{os.getpid()}"
    app.conf.broker_connection_retry_on_startup = False
    with app.connection_for_write() as connection:
        connection.ensure_connection(max_retries=1)
    app.set_current()
    try:
        with start_worker(app, pool="threads", concurrency=1, perform_ping_check=False, shutdown_timeout=20):
            yield app
    finally:
        release_broker(app)


@pytest.mark.django_db(transaction=True)
def test_cleanup_callbackredirect_runs_on_a_worker(worker_app):
    stale = CallbackRedirectFactory()
    CallbackRedirect.objects.filter(pk=stale.pk).update(created=timezone.now() - datetime.timedelta(hours=1))
    fresh = CallbackRedirectFactory()

    result = tasks.cleanup_callbackredirect.apply_async(kwargs={"max_age": 300})
    result.get(timeout=30)

    assert result.successful()
    assert list(CallbackRedirect.objects.values_list("pk", flat=True)) == [fresh.pk]
