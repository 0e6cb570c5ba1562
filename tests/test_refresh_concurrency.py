# ruff: noqa: F811  (pytest fixtures imported from tests.test_sso_fixtures)
"""Eight workers refresh one token at once: one SSO call, no invalid_grant, token kept.

The fake SSO kills a refresh token once it is used, as EVE SSO does, so a second
call with the same refresh token would answer ``invalid_grant``. Runs on SQLite
by default and on PostgreSQL with ``ESI_TEST_DATABASE=postgres`` (CI).
"""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from esi.models import Token
from esi.signals import token_invalidated, token_refreshed
from esi_testing.fake.sso import FakeSSO
from tests.test_sso_fixtures import fake_sso, make_token  # noqa: F401

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
