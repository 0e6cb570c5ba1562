"""The Celery app of worker processes that tests start: ``celery -A tests.worker_app worker``.

Django is set up from ``tests.settings``; the environment names what the test
process made: the database (``ESI_TEST_WORKER_DB``, the test database's
name), the fake SSO (``ESI_TEST_WORKER_SSO``, its loopback URL), the broker
(``ESI_TEST_BROKER_URL``) and the queue (``ESI_TEST_WORKER_QUEUE``).
"""

from __future__ import annotations

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
django.setup()

from celery import Celery  # noqa: E402
from django.conf import settings  # noqa: E402
from django.db import connections  # noqa: E402

connections["default"].settings_dict["NAME"] = os.environ["ESI_TEST_WORKER_DB"]
settings.ESI_SSO_BASE_URL = os.environ["ESI_TEST_WORKER_SSO"]

app = Celery(
    "esi-test-workers",
    broker=os.environ.get("ESI_TEST_BROKER_URL", "amqp://guest:guest@127.0.0.1:5672//"),
    backend="rpc://",
)
app.conf.task_default_queue = os.environ["ESI_TEST_WORKER_QUEUE"]
app.conf.worker_prefetch_multiplier = 1  # a busy worker leaves the next task to the other
app.conf.task_acks_late = True

import esi.tasks  # noqa: E402,F401  (registers the tasks on this app)
