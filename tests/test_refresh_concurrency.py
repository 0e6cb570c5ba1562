# ruff: noqa: F811  (pytest fixtures imported from tests.test_sso_fixtures)
"""Eight workers refresh one token at once: one SSO call, no invalid_grant, token kept.

The fake SSO kills a refresh token once it is used, as EVE SSO does, so a second
call with the same refresh token would answer ``invalid_grant``. Runs on SQLite
by default and on PostgreSQL with ``ESI_TEST_DATABASE=postgres`` (CI).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading

import pytest
from django.db import connection, connections

from esi import sso as esi_sso
from esi.models import Token
from esi.signals import token_invalidated, token_refreshed
from esi_testing.fake.server import FakeESIServer
from esi_testing.fake.sso import Client, FakeSSO
from esi_testing.fake.sso_app import SSOApp
from tests.test_sso_fixtures import CLIENT_ID, CLIENT_SECRET, fake_sso, make_token  # noqa: F401

WORKERS = 8


def _run_workers(target, instances: list[Token]) -> list[BaseException]:
    """Start one thread per instance, together, on ``target(instance)``; return their exceptions."""
    errors: list[BaseException] = []
    barrier = threading.Barrier(len(instances))

    def worker(instance: Token) -> None:
        try:
            barrier.wait()
            target(instance)
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            errors.append(exc)
        finally:
            connections.close_all()  # each thread has its own connection

    threads = [threading.Thread(target=worker, args=(i,)) for i in instances]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "a worker hung"
    return errors


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("entry", ["valid_access_token", "refresh"])
def test_one_sso_call_for_eight_workers(fake_sso: FakeSSO, entry: str) -> None:  # noqa: F811
    token = make_token(fake_sso, expired=True)
    first_refresh_token = token.refresh_token
    refreshed: list[dict] = []
    invalidated: list[dict] = []

    def on_refreshed(**kwargs: object) -> None:
        refreshed.append(kwargs)

    def on_invalidated(**kwargs: object) -> None:
        invalidated.append(kwargs)

    token_refreshed.connect(on_refreshed)
    token_invalidated.connect(on_invalidated)
    access_tokens: list[str] = []

    def work(mine: Token) -> None:
        if entry == "refresh":
            mine.refresh()
            access_tokens.append(mine.access_token)
        else:
            access_tokens.append(mine.valid_access_token())

    try:
        # each worker has its own copy of the row, loaded before any refresh, as
        # Celery workers or requests holding the same expired token would
        errors = _run_workers(work, [Token.objects.get(pk=token.pk) for _ in range(WORKERS)])
    finally:
        token_refreshed.disconnect(on_refreshed)
        token_invalidated.disconnect(on_invalidated)

    assert errors == []
    refresh_calls = fake_sso.calls("token", grant_type="refresh_token")
    assert len(refresh_calls) == 1, refresh_calls
    assert [c.error for c in refresh_calls] == [None]
    assert len(refreshed) == 1 and invalidated == []
    stored = Token.objects.get(pk=token.pk)
    assert stored.refresh_token != first_refresh_token
    assert fake_sso.is_live(stored.refresh_token)
    assert not stored.expired
    assert access_tokens == [stored.access_token] * WORKERS
    assert connection.vendor in ("sqlite", "postgresql")


PROCESSES = 4

#: One worker process: it refreshes token argv[3] (database argv[1], SSO argv[2]) once it reads a line.
CHILD = """
import json, os, sys
os.environ["DJANGO_SETTINGS_MODULE"] = "tests.settings"
import django
from django.conf import settings
from django.db import connections
django.setup()
connections["default"].settings_dict["NAME"] = sys.argv[1]
settings.ESI_SSO_BASE_URL = sys.argv[2]
from esi.models import Token
token = Token.objects.get(pk=int(sys.argv[3]))
print("ready", flush=True)
sys.stdin.readline()
try:
    token.refresh()
    print(json.dumps(["ok", token.refresh_token]), flush=True)
except BaseException as exc:
    print(json.dumps(["error", repr(exc)]), flush=True)
"""


def _refresh_in_processes(server_url: str, pk: int, root: str) -> list[tuple[str, ...]]:
    """Refresh token ``pk`` in PROCESSES fresh interpreters at once, each with its own connection; their outcomes.

    Fresh interpreters, not ``fork()``: this process runs the fake SSO's server thread, and a child
    forked while another thread holds a lock can wait for it forever (Python 3.12 on warns of it).
    """
    env = {**os.environ, "PYTHONPATH": root}
    args = [sys.executable, "-c", CHILD, connection.settings_dict["NAME"], server_url, str(pk)]
    children = [
        subprocess.Popen(args, cwd=root, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        for _ in range(PROCESSES)
    ]
    try:
        for child in children:
            assert child.stdout is not None and child.stdout.readline().strip() == "ready"
        for child in children:  # go, all at once
            assert child.stdin is not None
            child.stdin.write("\n")
            child.stdin.flush()
        return [tuple(json.loads(child.communicate(timeout=60)[0])) for child in children]
    finally:
        for child in children:
            if child.poll() is None:
                child.kill()
                child.wait()


@pytest.mark.django_db(transaction=True)
def test_processes_refreshing_one_token_lose_nothing(settings) -> None:
    """Worker processes share only the database: the row lock (or the lock file on SQLite) decides."""
    fake = FakeSSO(clients=[Client(CLIENT_ID, CLIENT_SECRET)])
    with FakeESIServer(SSOApp(fake)) as server:
        settings.ESI_SSO_BASE_URL = server.url
        esi_sso.clear_caches()
        token = make_token(fake, expired=True)
        esi_sso.clear_caches()
        outcomes = _refresh_in_processes(server.url, token.pk, str(settings.BASE_DIR))

    stored = Token.objects.get(pk=token.pk)
    assert outcomes == [("ok", stored.refresh_token)] * PROCESSES
    assert fake.is_live(stored.refresh_token) and not stored.expired
    # one process called SSO: the row lock (PostgreSQL) or the lock file (SQLite) held the others
    calls = fake.calls("token", grant_type="refresh_token")
    assert [c.error for c in calls] == [None], calls


@pytest.mark.django_db(transaction=True)
def test_without_a_lock_file_processes_still_lose_nothing(settings) -> None:
    """SQLite where no lock file can be made (or Windows): the swap and the invalid_grant grace keep the token."""
    if connection.vendor != "sqlite":
        pytest.skip("the lock file is SQLite's; PostgreSQL locks the row")
    blocker = f"{connection.settings_dict['NAME']}.esi-refresh-lock"
    fake = FakeSSO(clients=[Client(CLIENT_ID, CLIENT_SECRET)])
    with FakeESIServer(SSOApp(fake)) as server:
        settings.ESI_SSO_BASE_URL = server.url
        esi_sso.clear_caches()
        token = make_token(fake, expired=True)
        esi_sso.clear_caches()
        if os.path.isfile(blocker):
            os.unlink(blocker)  # this process keeps its descriptor; fresh processes find a directory
        os.mkdir(blocker)
        try:
            outcomes = _refresh_in_processes(server.url, token.pk, str(settings.BASE_DIR))
        finally:
            os.rmdir(blocker)

    stored = Token.objects.get(pk=token.pk)
    assert outcomes == [("ok", stored.refresh_token)] * PROCESSES
    assert fake.is_live(stored.refresh_token) and not stored.expired
    calls = fake.calls("token", grant_type="refresh_token")
    assert [c.error for c in calls].count(None) == 1, calls  # one winner...
    assert {c.error for c in calls} <= {None, "invalid_grant"}  # ...whose losers took its tokens
