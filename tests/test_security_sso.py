# ruff: noqa: F811  (pytest fixtures imported from tests.test_sso_fixtures)
"""The SSO and token promises of docs/security.rst, tried as a failing SSO or an attacker would.

The fake SSO answers over HTTP (in-process); where an answer must be broken in a
way the fake never breaks it, a WSGI wrapper re-signs its token responses with
other claims, so django-esi sees exactly what a broken SSO would send.
"""

from __future__ import annotations

import datetime
import json
import logging
import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

import jwt
import pytest
import requests
from django.db import OperationalError, connection
from django.test import override_settings
from werkzeug.wrappers import Request, Response

from esi import sso
from esi.errors import InvalidJWT, SSOError, TokenInvalidError
from esi.models import Token
from esi.signals import token_invalidated
from esi_testing.fake.inprocess import InProcessTransport
from esi_testing.fake.server import FakeESIServer
from esi_testing.fake.sso import Client, FakeSSO
from esi_testing.fake.sso_app import SSOApp
from esi_testing.fake.tokens import KID, signing_key
from tests.test_sso_fixtures import (  # noqa: F401
    CHARACTER_ID,
    CLIENT_ID,
    CLIENT_SECRET,
    SKILLS,
    fake_sso,
    follow_sso,
    make_token,
)

pytestmark = pytest.mark.django_db

SSO_URL = "https://login.eveonline.com"


class ResignTokens:
    """Serve a fake SSO whose token answers carry other claims (``None`` drops a claim)."""

    def __init__(self, app: SSOApp, claims: dict[str, Any] | Callable[[dict[str, Any]], dict[str, Any]]):
        self.app, self.claims = app, claims
        self.refresh_tokens: list[str] = []  # the tokens it handed out
        self.access_tokens: list[str] = []

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        response = Response.from_app(self.app, environ)
        if Request(environ).path.endswith("/oauth/token") and response.status_code == 200:
            body = json.loads(response.get_data())
            claims = jwt.decode(body["access_token"], options={"verify_signature": False})
            changes = self.claims(claims) if callable(self.claims) else self.claims
            claims.update(changes)
            body["access_token"] = jwt.encode(claims, signing_key(0), algorithm="RS256", headers={"kid": KID})
            self.refresh_tokens.append(body["refresh_token"])
            self.access_tokens.append(body["access_token"])
            response.set_data(json.dumps(body))
        return response(environ, start_response)


@contextmanager
def broken_sso(fake: FakeSSO, claims: Any) -> Iterator[ResignTokens]:
    """Answer token requests with access tokens re-signed with ``claims``."""
    app = ResignTokens(SSOApp(fake), claims)
    with InProcessTransport({SSO_URL: app}):
        sso.clear_caches()
        yield app
    sso.clear_caches()


# --- 6. a broken refresh answer keeps the rotated refresh token ---------------

BROKEN_CLAIMS = [
    pytest.param({"scp": None}, id="scp-null"),
    pytest.param({"scp": 5}, id="scp-int"),
    pytest.param({"scp": [SKILLS, 5]}, id="scp-list-with-int"),
    pytest.param({"exp": 10**20}, id="exp-absurd"),
    pytest.param({"exp": int(time.time()) + 10 * 365 * 86400}, id="exp-in-ten-years"),
    pytest.param({"name": 12}, id="name-int"),
    pytest.param({"name": "x" * 500}, id="name-too-long"),
    pytest.param({"owner": ["a"]}, id="owner-list"),
]


@pytest.mark.parametrize("claims", BROKEN_CLAIMS)
def test_malformed_claims_are_invalid_jwt(fake_sso: FakeSSO, claims: dict) -> None:
    refresh_token = fake_sso.issue_tokens(CHARACTER_ID, [SKILLS], client_id=CLIENT_ID)["refresh_token"]
    with broken_sso(fake_sso, claims), pytest.raises(InvalidJWT) as info:
        sso.refresh(refresh_token)
    rotated = info.value.rotated_refresh_token  # type: ignore[attr-defined]
    assert rotated != refresh_token and fake_sso.is_live(rotated)


@pytest.mark.parametrize("claims", BROKEN_CLAIMS)
def test_a_broken_refresh_answer_keeps_the_token_alive(fake_sso: FakeSSO, claims: dict) -> None:
    token = make_token(fake_sso, expired=True)
    with broken_sso(fake_sso, claims), pytest.raises(InvalidJWT):
        token.refresh()
    stored = Token.objects.get(pk=token.pk)
    assert fake_sso.is_live(stored.refresh_token), "the rotated refresh token was lost"
    stored.refresh()  # the next refresh, with SSO healthy again, works
    assert not stored.expired and Token.objects.get(pk=token.pk).access_token == stored.access_token


@contextmanager
def failing_token_writes() -> Iterator[list[str]]:
    """Make every UPDATE that writes an access token fail, as a database error would."""
    failed: list[str] = []

    def wrapper(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        if sql.lstrip().upper().startswith("UPDATE") and "access_token" in sql:
            failed.append(sql)
            raise OperationalError("simulated database error")
        return execute(sql, params, many, context)

    with connection.execute_wrapper(wrapper):
        yield failed


def test_a_database_error_while_saving_keeps_the_rotated_refresh_token(fake_sso: FakeSSO) -> None:
    token = make_token(fake_sso, expired=True)
    with failing_token_writes() as failed, pytest.raises(OperationalError):
        token.refresh()
    assert failed
    stored = Token.objects.get(pk=token.pk)
    assert stored.refresh_token != token.refresh_token or fake_sso.is_live(stored.refresh_token)
    assert fake_sso.is_live(stored.refresh_token), "the rotated refresh token was lost"
    stored.refresh()
    assert not stored.expired


# --- 8. a refresh answer for another character is refused --------------------


def test_a_refresh_answer_for_another_character_is_refused(fake_sso: FakeSSO) -> None:
    token = make_token(fake_sso, expired=True)
    other = CHARACTER_ID + 1
    invalidated: list[dict] = []

    def on_invalidated(**kwargs: Any) -> None:
        invalidated.append(kwargs)

    token_invalidated.connect(on_invalidated)
    try:
        # same account (owner hash), another character
        with broken_sso(fake_sso, {"sub": f"CHARACTER:EVE:{other}", "name": "Someone Else"}) as app:
            with pytest.raises(TokenInvalidError, match="another character"):
                token.refresh()
    finally:
        token_invalidated.disconnect(on_invalidated)
    assert not Token.objects.filter(character_id=other).exists(), "stored a token of the wrong character"
    assert not Token.objects.filter(pk=token.pk).exists()
    assert [i["reason"] for i in invalidated] == ["character_changed"]
    # the rotated refresh token, a grant for the other character, was revoked at SSO
    assert [c.status for c in fake_sso.calls("revoke")] == [200]
    assert len(app.refresh_tokens) == 1 and not fake_sso.is_live(app.refresh_tokens[0])


# --- 9. clock skew -----------------------------------------------------------


def _mint(fake: FakeSSO, **kwargs: Any) -> str:
    issued = fake.issue_tokens(CHARACTER_ID, [SKILLS], client_id=CLIENT_ID)["access_token"]
    claims = jwt.decode(issued, options={"verify_signature": False})
    claims.update(kwargs)
    return jwt.encode(claims, signing_key(0), algorithm="RS256", headers={"kid": KID})


@pytest.mark.parametrize("claim", ["iat", "nbf"])
def test_a_server_clock_behind_sso_is_tolerated(fake_sso: FakeSSO, claim: str) -> None:
    ahead = int(time.time()) + 30  # SSO's clock is 30 s ahead of ours
    assert sso.validate_jwt(_mint(fake_sso, **{claim: ahead}))[claim] == ahead
    with override_settings(ESI_SSO_JWT_LEEWAY=5), pytest.raises(InvalidJWT, match="not yet valid"):
        sso.validate_jwt(_mint(fake_sso, **{claim: ahead}))


def test_refresh_works_with_sso_thirty_seconds_ahead(fake_sso: FakeSSO) -> None:
    def skewed(claims: dict) -> dict:
        return {"iat": claims["iat"] + 30, "nbf": claims["iat"] + 30, "exp": claims["exp"] + 30}

    token = make_token(fake_sso, expired=True)
    with broken_sso(fake_sso, skewed):
        token.refresh()
    assert not token.expired


def test_exp_stays_strict(fake_sso: FakeSSO) -> None:
    with pytest.raises(InvalidJWT, match="expired"):
        sso.validate_jwt(_mint(fake_sso, exp=int(time.time()) - 2))


# --- issue 14, 1. plain http to a loopback SSO, never to another host --------


@pytest.fixture
def no_insecure_transport(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Run without OAUTHLIB_INSECURE_TRANSPORT (server-mode fakes elsewhere may set it)."""
    monkeypatch.delenv("OAUTHLIB_INSECURE_TRANSPORT", raising=False)
    yield
    assert "OAUTHLIB_INSECURE_TRANSPORT" not in os.environ, "django-esi set it process-wide"


@pytest.fixture
def served_sso(settings: Any, no_insecure_transport: None) -> Iterator[tuple[FakeSSO, str]]:
    """Serve a fake SSO over plain http on loopback, as ``python -m esi_testing serve`` does."""
    fake = FakeSSO(clients=[Client(CLIENT_ID, CLIENT_SECRET)])
    fake.set_consent(auto=True)
    with FakeESIServer(SSOApp(fake)) as server:
        settings.ESI_SSO_BASE_URL = server.url
        sso.clear_caches()
        yield fake, server.url
    sso.clear_caches()


def test_login_and_refresh_against_a_loopback_http_sso(served_sso: tuple[FakeSSO, str], client: Any) -> None:
    fake, url = served_sso
    response = client.get("/sso/login/", {"scopes": SKILLS, "next": "/after/"})
    assert response.status_code == 302 and response["Location"].startswith(f"{url}/v2/oauth/authorize?")
    at_sso = requests.get(response["Location"], allow_redirects=False, timeout=5)
    callback = urlsplit(at_sso.headers["Location"])
    response = client.get(f"{callback.path}?{callback.query}")
    assert response.status_code == 302 and response["Location"] == "/after/"
    token = Token.objects.get()
    Token.objects.filter(pk=token.pk).update(expiry=token.expiry - datetime.timedelta(hours=1))
    token.refresh_from_db()
    token.refresh()
    assert not token.expired and fake.is_live(token.refresh_token)
    token.revoke()
    assert not fake.is_live(token.refresh_token)


@pytest.mark.parametrize(
    "base",
    [
        "http://sso.example",
        "http://127.0.0.1.sso.example",
        "http://localhost.sso.example",
        "http://127.0.0.1@sso.example",
        "http://10.0.0.1",
        "http://[::ffff:8.8.8.8]",
    ],
)
def test_plain_http_to_any_other_host_is_refused(
    settings: Any, no_insecure_transport: None, base: str
) -> None:
    settings.ESI_SSO_AUTHORIZE_URL = f"{base}/v2/oauth/authorize"
    settings.ESI_SSO_TOKEN_URL = f"{base}/v2/oauth/token"
    settings.ESI_SSO_REVOKE_URL = f"{base}/v2/oauth/revoke"
    settings.ESI_SSO_JWKS_URL = f"{base}/oauth/jwks"
    with InProcessTransport({SSO_URL: SSOApp(FakeSSO())}):  # anything else would be a ConnectionError
        with pytest.raises(SSOError, match="https"):
            sso.authorization_url([SKILLS])
        with pytest.raises(SSOError, match="https"):
            sso.exchange_code("a-code")
        with pytest.raises(SSOError, match="https"):
            sso.refresh("a-refresh-token")
        with pytest.raises(SSOError, match="https"):
            sso.revoke("a-refresh-token")


# --- 11. next= keeps local paths only ----------------------------------------


@pytest.mark.parametrize(
    ("next_", "expected"),
    [
        ("/characters/?tab=skills", "/characters/?tab=skills"),
        ("profile", "/"),
        ("profile/edit", "/"),
        ("//evil.example/x", "/"),
        ("/\\evil.example/x", "/"),
        ("https://evil.example/", "/"),
        ("http://testserver/absolute/", "/"),
        ("javascript:alert(1)", "/"),
        ("", "/"),
    ],
)
def test_next_keeps_only_local_paths(fake_sso: FakeSSO, client: Any, next_: str, expected: str) -> None:
    response = client.get("/sso/login/", {"scopes": SKILLS, "next": next_})
    assert response.status_code == 302
    response = follow_sso(client, response["Location"])
    assert response.status_code == 302, response.content
    assert response["Location"] == expected
    assert Token.objects.count() == 1


# --- 13. an outage stops a bulk refresh without loading the rest -------------


def test_an_outage_stops_loading_the_remaining_batches(fake_sso: FakeSSO) -> None:
    from django.db.models import Q
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from esi.managers import BATCH_SIZE, MAX_CONSECUTIVE_OUTAGES

    past = timezone.now() - datetime.timedelta(hours=1)
    total = 2 * BATCH_SIZE + 7
    Token.objects.bulk_create(
        Token(
            character_id=90000001 + i,
            character_name=f"Pilot {i}",
            character_owner_hash=f"hash-{i}",
            access_token=f"access-{i}",
            refresh_token=f"refresh-{i}",
            expiry=past,
        )
        for i in range(total)
    )
    sso.endpoints()
    fake_sso.inject_fault(503, times=None)
    with CaptureQueriesContext(connection) as queries:
        counts = Token.objects.refresh_expired()
    assert counts == {"unavailable": MAX_CONSECUTIVE_OUTAGES, "skipped": total - MAX_CONSECUTIVE_OUTAGES}
    assert len(fake_sso.calls("token")) == MAX_CONSECUTIVE_OUTAGES
    batch_loads = [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].startswith("SELECT") and " IN (" in q["sql"] and '"esi_token"."access_token"' in q["sql"]
    ]
    assert len(batch_loads) == 1, batch_loads  # the first batch only
    assert Token.objects.filter(~Q(refresh_token="")).count() == total  # nothing deleted


# --- 7. no secret in a log line or an error page ------------------------------


def _no_secret_in(text: str, secrets: dict[str, str]) -> list[str]:
    return [name for name, value in secrets.items() if value and value in text]


def _login(client: Any, fake: FakeSSO, app: ResignTokens) -> dict[str, str]:
    """Log in through the fake SSO; return every secret the login handled, by name."""
    response = client.get("/sso/login/", {"scopes": SKILLS})
    at_sso = requests.get(response["Location"], allow_redirects=False, timeout=5)
    callback = urlsplit(at_sso.headers["Location"])
    query = dict(pair.split("=", 1) for pair in callback.query.split("&"))
    response = client.get(f"{callback.path}?{callback.query}")
    secrets = {"code": query["code"], "client secret": CLIENT_SECRET, "session": client.session.session_key}
    secrets.update({f"access token {i}": t for i, t in enumerate(app.access_tokens)})
    secrets.update({f"refresh token {i}": t for i, t in enumerate(app.refresh_tokens)})
    return secrets


@pytest.fixture
def recording_sso(fake_sso: FakeSSO) -> Iterator[ResignTokens]:
    """The fake SSO, recording the tokens it hands out."""
    with broken_sso(fake_sso, {}) as app:
        yield app


def test_no_secret_in_any_log_at_debug(
    recording_sso: ResignTokens, fake_sso: FakeSSO, client: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    for name in ("oauthlib", "requests_oauthlib", "requests_oauthlib.oauth2_session", "urllib3", "esi"):
        caplog.set_level(logging.DEBUG, logger=name)  # as a site's LOGGING might
    secrets = _login(client, fake_sso, recording_sso)
    token = Token.objects.get()
    Token.objects.filter(pk=token.pk).update(expiry=token.expiry - datetime.timedelta(hours=1))
    token.refresh_from_db()
    token.refresh()
    token.revoke()
    secrets.update({f"refresh token {i}": t for i, t in enumerate(recording_sso.refresh_tokens)})
    secrets.update({f"access token {i}": t for i, t in enumerate(recording_sso.access_tokens)})
    assert len(recording_sso.refresh_tokens) == 2 and caplog.records
    logged = "\n".join(
        f"{r.name} {r.getMessage()} {logging.Formatter().formatException(r.exc_info) if r.exc_info else ''}"
        for r in caplog.records
    )
    assert _no_secret_in(logged, secrets) == []


def _report(exc_info: Any, request: Any = None) -> str:
    from django.views.debug import ExceptionReporter

    reporter = ExceptionReporter(request, *exc_info)
    return reporter.get_traceback_text() + reporter.get_traceback_html()


def _refresh_failing_on_save(fake: FakeSSO, app: ResignTokens) -> tuple[Any, dict[str, str]]:
    token = make_token(fake, expired=True)
    secrets = {"sent refresh token": token.refresh_token, "client secret": CLIENT_SECRET}
    exc_info = _failed_refresh(token)  # the report shows the frames from there down
    secrets.update(
        {"rotated refresh token": app.refresh_tokens[-1], "new access token": app.access_tokens[-1]}
    )
    return exc_info, secrets


def _failed_refresh(token: Token) -> Any:
    with failing_token_writes():
        try:
            token.refresh()
        except OperationalError:
            return sys.exc_info()
    raise AssertionError("the refresh did not fail")


def test_no_secret_in_a_production_error_report(recording_sso: ResignTokens, fake_sso: FakeSSO) -> None:
    exc_info, secrets = _refresh_failing_on_save(fake_sso, recording_sso)
    report = _report(exc_info)
    assert "_refresh_from_sso" in report  # the frames are there, their secrets are not
    assert _no_secret_in(report, secrets) == []


@pytest.fixture
def reporter_filter_setting(settings: Any) -> Iterator[None]:
    """Make the filter docs/security.rst recommends the default (Django caches the default filter)."""
    from django.views.debug import get_default_exception_reporter_filter

    settings.DEFAULT_EXCEPTION_REPORTER_FILTER = "esi.debug.SecretsExceptionReporterFilter"
    get_default_exception_reporter_filter.cache_clear()
    yield
    get_default_exception_reporter_filter.cache_clear()


@override_settings(DEBUG=True)
def test_no_secret_on_a_debug_page_with_the_filter(
    recording_sso: ResignTokens, fake_sso: FakeSSO, reporter_filter_setting: None
) -> None:
    exc_info, secrets = _refresh_failing_on_save(fake_sso, recording_sso)
    report = _report(exc_info)
    assert "_refresh_from_sso" in report
    assert _no_secret_in(report, secrets) == []


@override_settings(DEBUG=True)
def test_no_token_on_the_debug_page_of_a_failed_callback(
    recording_sso: ResignTokens, fake_sso: FakeSSO
) -> None:
    from django.test import Client as DjangoClient

    client = DjangoClient(raise_request_exception=False)

    def fail_insert(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        if sql.lstrip().upper().startswith("INSERT") and "esi_token" in sql and "access_token" in sql:
            raise OperationalError("simulated database error")
        return execute(sql, params, many, context)

    response = client.get("/sso/login/", {"scopes": SKILLS})
    at_sso = requests.get(response["Location"], allow_redirects=False, timeout=5)
    callback = urlsplit(at_sso.headers["Location"])
    with connection.execute_wrapper(fail_insert):
        response = client.get(f"{callback.path}?{callback.query}")
    assert response.status_code == 500 and b"simulated database error" in response.content
    secrets = {
        "access token": recording_sso.access_tokens[-1],
        "refresh token": recording_sso.refresh_tokens[-1],
    }
    secrets["client secret"] = CLIENT_SECRET
    assert _no_secret_in(response.content.decode(), secrets) == []


# --- 12. the admin revokes after the commit, in bounded tasks ------------------


@pytest.fixture
def eager_celery() -> Iterator[Any]:
    """Run Celery tasks at once, in this process (the suite has no Celery app of its own)."""
    from celery import Celery, current_app

    previous = current_app._get_current_object()
    app = Celery("esi-tests-eager", set_as_current=False)
    app.conf.task_always_eager = True  # retries run at once too
    app.set_current()
    yield app
    previous.set_current()


@pytest.fixture
def admin_client(client: Any) -> Any:
    from django.contrib.auth.models import User

    client.force_login(User.objects.create(username="admin", is_staff=True, is_superuser=True))
    return client


def _bulk_delete(admin_client: Any, tokens: list[Token]) -> Any:
    return admin_client.post(
        "/admin/esi/token/",
        {"action": "delete_selected", "_selected_action": [t.pk for t in tokens], "post": "yes"},
        follow=True,
    )


def _tasks_run(name: str) -> Iterator[list[Any]]:
    from celery.signals import task_prerun

    runs: list[Any] = []

    def on_prerun(sender: Any = None, args: Any = None, **kwargs: Any) -> None:
        if sender is not None and sender.name == name:
            runs.append(args)

    task_prerun.connect(on_prerun, weak=False)
    try:
        yield runs
    finally:
        task_prerun.disconnect(on_prerun)


task_runs = contextmanager(_tasks_run)


def test_admin_bulk_delete_revokes_after_the_commit_in_tasks(
    admin_client: Any, fake_sso: FakeSSO, eager_celery: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from esi.managers import REVOKE_BATCH_SIZE

    tokens = [make_token(fake_sso, character_id=90000001 + i) for i in range(2 * REVOKE_BATCH_SIZE + 3)]
    with task_runs("esi.tasks.revoke_refresh_tokens") as runs:
        with django_capture_on_commit_callbacks() as callbacks:
            response = _bulk_delete(admin_client, tokens)
            assert fake_sso.calls("revoke") == [], "the request waited for SSO"
        assert response.status_code == 200 and not Token.objects.exists()
        assert "revoked at EVE SSO" in response.content.decode()
        for callback in callbacks:
            callback()
    assert [len(args[0]) for args in runs] == [REVOKE_BATCH_SIZE, REVOKE_BATCH_SIZE, 3]
    assert not any(fake_sso.is_live(t.refresh_token) for t in tokens)
    assert len(fake_sso.calls("revoke")) == len(tokens)


def test_admin_revocations_under_an_outage_are_bounded(
    admin_client: Any, fake_sso: FakeSSO, eager_celery: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from esi import tasks
    from esi.managers import MAX_CONSECUTIVE_OUTAGES, REVOKE_BATCH_SIZE

    tokens = [make_token(fake_sso, character_id=90000001 + i) for i in range(REVOKE_BATCH_SIZE)]
    sso.endpoints()
    fake_sso.inject_fault(503, endpoint="revoke", times=None)
    with django_capture_on_commit_callbacks(execute=True):
        response = _bulk_delete(admin_client, tokens)
    assert response.status_code == 200 and not Token.objects.exists()
    attempts = tasks.revoke_refresh_tokens.max_retries + 1
    assert len(fake_sso.calls("revoke")) == attempts * MAX_CONSECUTIVE_OUTAGES
    assert all(fake_sso.is_live(t.refresh_token) for t in tokens)  # the character can revoke them at EVE


def test_admin_delete_of_one_token_revokes_it_after_the_commit(
    admin_client: Any, fake_sso: FakeSSO, eager_celery: Any, django_capture_on_commit_callbacks: Any
) -> None:
    token = make_token(fake_sso)
    with django_capture_on_commit_callbacks() as callbacks:
        response = admin_client.post(f"/admin/esi/token/{token.pk}/delete/", {"post": "yes"})
        assert fake_sso.calls("revoke") == []
    assert response.status_code == 302 and not Token.objects.exists()
    for callback in callbacks:
        callback()
    assert not fake_sso.is_live(token.refresh_token)


@pytest.mark.parametrize("claims", BROKEN_CLAIMS[:4])
def test_a_login_with_malformed_claims_is_refused_and_stores_nothing(
    fake_sso: FakeSSO, client: Any, claims: dict
) -> None:
    response = client.get("/sso/login/", {"scopes": SKILLS})
    with broken_sso(fake_sso, claims):
        response = follow_sso(client, response["Location"])
    assert response.status_code == 400
    assert not Token.objects.exists()


def test_a_login_works_with_sso_thirty_seconds_ahead(fake_sso: FakeSSO, client: Any) -> None:
    def skewed(claims: dict) -> dict:
        return {"iat": claims["iat"] + 30, "nbf": claims["iat"] + 30, "exp": claims["exp"] + 30}

    response = client.get("/sso/login/", {"scopes": SKILLS})
    with broken_sso(fake_sso, skewed):
        response = follow_sso(client, response["Location"])
    assert response.status_code == 302 and Token.objects.count() == 1
