"""Two real Celery worker processes run cleanup_token at once: one SSO call per token.

Each worker is its own process (``celery -A tests.worker_app worker``), sharing
only the database and the fake SSO, served over loopback http from this
process: the database decides, as on a production site with several workers.
Runs on SQLite by default and on PostgreSQL under ``make test-services`` (CI);
needs RabbitMQ.
"""

from __future__ import annotations

import datetime
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from celery import Celery
from django.db import connection, connections
from django.utils import timezone
from kombu.exceptions import OperationalError

from esi import sso as esi_sso
from esi.models import Token
from esi_testing.fake.server import FakeESIServer
from esi_testing.fake.sso import Client, FakeSSO
from esi_testing.fake.sso_app import SSOApp
from tests.conftest import BROKER, release_broker, require_service
from tests.test_sso_fixtures import CLIENT_ID, CLIENT_SECRET, SKILLS

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parent.parent
WORKERS = 2
TOKENS = 300


@pytest.fixture
def served_sso(settings) -> Iterator[tuple[FakeSSO, str]]:
    """Serve a fake SSO on loopback http; return it and its URL."""
    fake = FakeSSO(clients=[Client(CLIENT_ID, CLIENT_SECRET)])
    with FakeESIServer(SSOApp(fake)) as server:
        settings.ESI_SSO_BASE_URL = server.url
        esi_sso.clear_caches()
        yield fake, server.url
    esi_sso.clear_caches()


@pytest.fixture
def workers(served_sso: tuple[FakeSSO, str], tmp_path: Path) -> Iterator[Celery]:
    """Start WORKERS worker processes on a queue of their own; return a client app for that queue."""
    require_service("RabbitMQ", "127.0.0.1", 5672)
    queue = f"esi-tests-workers-{os.getpid()}"
    app = Celery("esi-tests-client", broker=BROKER, backend="rpc://", set_as_current=False)
    app.conf.task_default_queue = queue
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "ESI_TEST_WORKER_DB": str(connection.settings_dict["NAME"]),
        "ESI_TEST_WORKER_SSO": served_sso[1],
        "ESI_TEST_WORKER_QUEUE": queue,
        "ESI_TEST_BROKER_URL": BROKER,
    }
    names = [f"esi-test-{os.getpid()}-{i}@localhost" for i in range(WORKERS)]
    command = [sys.executable, "-m", "celery", "-A", "tests.worker_app", "worker", "--pool=solo"]
    command += ["--without-gossip", "--without-mingle", "--without-heartbeat", "--loglevel=WARNING"]
    log = tmp_path / "workers.log"  # their warnings (running as root...) stay out of the test output
    with log.open("w") as out:
        processes = [
            subprocess.Popen([*command, f"--hostname={name}"], cwd=ROOT, env=env, stdout=out, stderr=out)
            for name in names
        ]
    try:
        deadline = time.monotonic() + 60
        ready: set[str] = set()
        while ready != set(names):
            assert time.monotonic() < deadline, f"workers not ready: {sorted(set(names) - ready)}"
            assert all(p.poll() is None for p in processes), f"a worker exited: {log.read_text()[-2000:]}"
            try:
                replies = app.control.ping(destination=names, timeout=1)
            except (OSError, OperationalError):
                continue  # the broker may drop a connection while the workers declare their queues
            ready |= {name for reply in replies for name in reply}
        yield app
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
        with app.connection_for_write() as conn:
            conn.default_channel.queue_delete(queue)
        release_broker(app)


def test_two_workers_refreshing_at_once_call_sso_once_per_token(
    served_sso: tuple[FakeSSO, str], workers: Celery
) -> None:
    fake = served_sso[0]
    past = timezone.now() - datetime.timedelta(hours=1)
    tokens = []
    for i in range(TOKENS):
        character = fake.character(90000001 + i)
        issued = fake.issue_tokens(character.character_id, [SKILLS], client_id=CLIENT_ID)
        tokens.append(
            Token(
                character_id=character.character_id,
                character_name=character.name,
                character_owner_hash=character.owner_hash,
                access_token=f"expired-{i}",
                refresh_token=issued["refresh_token"],
                expiry=past + datetime.timedelta(seconds=i),
            )
        )
    Token.objects.bulk_create(tokens)
    connections.close_all()

    runs = [workers.send_task("esi.tasks.cleanup_token") for _ in range(WORKERS)]
    outcomes = [run.get(timeout=300) for run in runs]

    calls = fake.calls("token", grant_type="refresh_token")
    assert all(outcome for outcome in outcomes), f"the runs did not overlap: {outcomes}"
    assert [c.error for c in calls].count(None) == len(calls), {c.error for c in calls}
    assert len(calls) == TOKENS, f"{len(calls)} SSO calls for {TOKENS} tokens (outcomes {outcomes})"
    stored = list(Token.objects.all())
    assert len(stored) == TOKENS and not any(t.expired for t in stored)
    assert all(fake.is_live(t.refresh_token) for t in stored)
    assert connection.vendor in ("sqlite", "postgresql")
