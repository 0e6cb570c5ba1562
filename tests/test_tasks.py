# ruff: noqa: F811  (pytest fixtures imported from tests.test_sso_fixtures)
"""The Celery tasks, run eagerly with ``apply()`` against the fake EVE SSO."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from esi import tasks
from esi.models import CallbackRedirect, Token
from esi_testing.fake.sso import FakeSSO
from tests.test_sso_fixtures import CLIENT_ID, fake_sso, make_token  # noqa: F401

pytestmark = pytest.mark.django_db


def test_tasks_are_registered_under_their_2x_names() -> None:
    assert tasks.cleanup_callbackredirect.name == "esi.tasks.cleanup_callbackredirect"
    assert tasks.cleanup_token.name == "esi.tasks.cleanup_token"
    assert tasks.refresh_token.name == "esi.tasks.refresh_token"


def test_cleanup_callbackredirect(settings) -> None:
    CallbackRedirect.objects.create(session_key="old", state="a")
    CallbackRedirect.objects.create(session_key="new", state="b")
    CallbackRedirect.objects.filter(session_key="old").update(created=timezone.now() - timedelta(seconds=400))
    assert tasks.cleanup_callbackredirect.apply().get() == 1
    assert tasks.cleanup_callbackredirect.apply(kwargs={"max_age": 0}).get() == 1
    assert CallbackRedirect.objects.count() == 0


def test_cleanup_token_refreshes_and_invalidates(fake_sso: FakeSSO) -> None:
    fresh = make_token(fake_sso)
    expired = [make_token(fake_sso, character_id=90000002 + i, expired=True) for i in range(3)]
    fake_sso.revoke(expired[0].refresh_token, client_id=CLIENT_ID, client_secret="test-client-secret")

    assert tasks.cleanup_token.apply().get() == {"refreshed": 2, "invalid": 1}

    assert set(Token.objects.all()) == {fresh, *expired[1:]}
    assert not any(t.expired for t in Token.objects.all())


def test_cleanup_token_during_an_sso_outage_loses_no_token(fake_sso: FakeSSO) -> None:
    expired = [make_token(fake_sso, character_id=90000002 + i, expired=True) for i in range(5)]
    fake_sso.inject_fault(503, times=None)

    result = tasks.cleanup_token.apply().get()

    assert result == {"unavailable": 3, "skipped": 2}
    assert {(t.pk, t.refresh_token) for t in Token.objects.all()} == {
        (t.pk, t.refresh_token) for t in expired
    }
    fake_sso.clear_faults()
    assert tasks.cleanup_token.apply().get() == {"refreshed": 5}


def test_refresh_token_task(fake_sso: FakeSSO) -> None:
    token = make_token(fake_sso, expired=True)
    assert tasks.refresh_token.apply(args=[token.pk]).get() == "refreshed"
    assert tasks.refresh_token.apply(args=[token.pk + 1]).get() == "gone"


def test_refresh_token_task_retries_while_sso_is_down(fake_sso: FakeSSO) -> None:
    token = make_token(fake_sso, expired=True)
    fake_sso.inject_fault(502, times=2)
    result = tasks.refresh_token.apply(args=[token.pk])
    assert result.get() == "refreshed"
    assert [c.status for c in fake_sso.calls("token")] == [502, 502, 200]
