# ruff: noqa: F811  (pytest fixtures imported from tests.test_sso_fixtures)
"""The SSO views: forged and broken callbacks, open redirects, PKCE, outages."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.test import Client, RequestFactory
from django.utils import timezone

from esi import sso
from esi.models import CallbackRedirect, Scope, Token
from esi.views import sso_redirect
from esi_testing.fake.inprocess import InProcessTransport
from esi_testing.fake.sso import FakeSSO
from esi_testing.fake.sso_app import SSOApp
from tests.test_sso_fixtures import CHARACTER_ID, PUBLIC_CLIENT_ID, SKILLS, fake_sso, follow_sso  # noqa: F401

pytestmark = pytest.mark.django_db


def _start(client: Client, next_url: str = "/done/") -> tuple[str, dict[str, str]]:
    """Start a login through esi:login; return the authorize URL and its query."""
    response = client.get("/sso/login/", {"scopes": SKILLS, "next": next_url})
    assert response.status_code == 302
    location = response["Location"]
    return location, {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def _consent(authorize_url: str) -> dict[str, str]:
    """Consent at the fake SSO; return the callback's query (code, state)."""
    answer = requests.get(authorize_url, allow_redirects=False, timeout=5)
    return {k: v[0] for k, v in parse_qs(urlsplit(answer.headers["Location"]).query).items()}


def _assert_refused(response, caplog: pytest.LogCaptureFixture, reason: str, status: int = 400) -> None:
    assert response.status_code == status
    assert "esi/sso_error.html" in [t.name for t in response.templates]
    assert Token.objects.count() == 0 and Scope.objects.count() == 0
    assert any(reason in r.getMessage() for r in caplog.records if r.name == "esi.views"), caplog.text


@pytest.fixture
def caplog_esi(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.WARNING, logger="esi.views")
    return caplog


def test_login_view_goes_to_sso_and_back_to_next(client: Client, fake_sso: FakeSSO) -> None:
    authorize_url, query = _start(client)
    assert query["redirect_uri"] == "http://testserver/sso/callback/"
    assert query["scope"] == SKILLS and query["response_type"] == "code"
    back = follow_sso(client, authorize_url)
    assert back.status_code == 302 and back["Location"] == "/done/"
    token = Token.objects.get()
    assert token.character_id == CHARACTER_ID
    assert CallbackRedirect.objects.get().token == token


def test_each_redirect_has_a_fresh_state_and_one_login_per_session(client: Client, fake_sso: FakeSSO) -> None:
    _, first = _start(client)
    _, second = _start(client)
    assert first["state"] != second["state"]
    assert list(CallbackRedirect.objects.values_list("state", flat=True)) == [second["state"]]


def test_missing_code_or_state(client: Client, fake_sso: FakeSSO, caplog_esi) -> None:
    _, query = _start(client)
    _assert_refused(
        client.get("/sso/callback/", {"state": query["state"]}), caplog_esi, "without code or state"
    )
    _assert_refused(client.get("/sso/callback/", {"code": "x"}), caplog_esi, "without code or state")


def test_unknown_state(client: Client, fake_sso: FakeSSO, caplog_esi) -> None:
    authorize_url, _ = _start(client)
    callback = _consent(authorize_url)
    response = client.get("/sso/callback/", {"code": callback["code"], "state": "forged"})
    _assert_refused(response, caplog_esi, "unknown state")
    assert fake_sso.calls("token") == []


def test_state_from_another_session(client: Client, fake_sso: FakeSSO, caplog_esi) -> None:
    attacker = Client()
    authorize_url, _ = _start(attacker)
    callback = _consent(authorize_url)  # the attacker's own code and state...
    _start(client)
    response = client.get("/sso/callback/", callback)  # ...delivered to the victim's browser
    _assert_refused(response, caplog_esi, "another session")


def test_callback_without_a_session(client: Client, fake_sso: FakeSSO, caplog_esi) -> None:
    authorize_url, _ = _start(Client())
    _assert_refused(client.get("/sso/callback/", _consent(authorize_url)), caplog_esi, "another session")


def test_a_replayed_callback(client: Client, fake_sso: FakeSSO, caplog_esi) -> None:
    authorize_url, _ = _start(client)
    callback = _consent(authorize_url)
    assert client.get("/sso/callback/", callback).status_code == 302
    token = Token.objects.get()
    response = client.get("/sso/callback/", callback)
    assert response.status_code == 400
    assert list(Token.objects.all()) == [token]
    assert "already used" in caplog_esi.text
    assert len(fake_sso.calls("token")) == 1  # the code was not sent again


def test_a_login_that_took_too_long(client: Client, fake_sso: FakeSSO, caplog_esi) -> None:
    authorize_url, _ = _start(client)
    CallbackRedirect.objects.update(created=timezone.now() - timedelta(seconds=301))
    _assert_refused(client.get("/sso/callback/", _consent(authorize_url)), caplog_esi, "took too long")
    assert CallbackRedirect.objects.count() == 0


def test_a_code_sso_refuses(client: Client, fake_sso: FakeSSO, caplog_esi) -> None:
    _, query = _start(client)
    response = client.get("/sso/callback/", {"code": "made-up", "state": query["state"]})
    _assert_refused(response, caplog_esi, "refused the code")


def test_the_user_declined_at_sso(client: Client, fake_sso: FakeSSO, caplog_esi) -> None:
    _, query = _start(client)
    response = client.get("/sso/callback/", {"error": "access_denied", "state": query["state"]})
    _assert_refused(response, caplog_esi, "access_denied")


def test_sso_down_during_the_exchange_is_a_503_page(client: Client, fake_sso: FakeSSO, caplog_esi) -> None:
    authorize_url, _ = _start(client)
    callback = _consent(authorize_url)
    fake_sso.inject_fault(503)
    response = client.get("/sso/callback/", callback)
    _assert_refused(response, caplog_esi, "unavailable", status=503)
    assert b"not answering" in response.content


@pytest.fixture
def untrusted_keys(settings) -> Iterator[FakeSSO]:
    """Return a fake SSO whose JWTs are checked against a JWKS lacking its key (a bad signature)."""
    real, impostor = FakeSSO(), FakeSSO()
    real.add_client("test-client-id", "test-client-secret")
    real.set_consent(auto=True)
    impostor.rotate_key(keep_old=False)
    settings.ESI_SSO_JWKS_URL = "https://keys.example/oauth/jwks"
    sso.clear_caches()
    mounts = {"https://login.eveonline.com": SSOApp(real), "https://keys.example": SSOApp(impostor)}
    with InProcessTransport(mounts):
        yield real
    sso.clear_caches()


def test_a_jwt_with_an_untrusted_signature(client: Client, untrusted_keys: FakeSSO, caplog_esi) -> None:
    authorize_url, _ = _start(client)
    response = client.get("/sso/callback/", _consent(authorize_url))
    _assert_refused(response, caplog_esi, "invalid access token")


def test_pkce_login_for_a_public_client(client: Client, fake_sso: FakeSSO, settings) -> None:
    settings.ESI_SSO_CLIENT_ID, settings.ESI_SSO_CLIENT_SECRET = PUBLIC_CLIENT_ID, None
    authorize_url, query = _start(client)
    assert query["code_challenge_method"] == "S256" and query["code_challenge"]
    assert CallbackRedirect.objects.get().code_verifier
    assert follow_sso(client, authorize_url).status_code == 302
    token = Token.objects.get()
    exchange = fake_sso.calls("token")[-1]
    assert exchange.client_id == PUBLIC_CLIENT_ID and exchange.error is None
    # public clients refresh with their client id and no secret
    Token.objects.filter(pk=token.pk).update(expiry=timezone.now())
    token.refresh_from_db()
    assert token.valid_access_token() and not token.expired


def test_pkce_verifier_of_another_login_is_refused(
    client: Client, fake_sso: FakeSSO, settings, caplog_esi
) -> None:
    settings.ESI_SSO_CLIENT_ID, settings.ESI_SSO_CLIENT_SECRET = PUBLIC_CLIENT_ID, None
    authorize_url, _ = _start(client)
    CallbackRedirect.objects.update(code_verifier="x" * 43)
    _assert_refused(client.get("/sso/callback/", _consent(authorize_url)), caplog_esi, "refused the code")


# --- open redirects ---------------------------------------------------------


@pytest.mark.parametrize(
    "next_url", ["https://evil.example/", "//evil.example/", "https:///evil.example", "javascript:alert(1)"]
)
def test_login_refuses_foreign_next_urls(client: Client, fake_sso: FakeSSO, next_url: str) -> None:
    authorize_url, _ = _start(client, next_url=next_url)
    assert CallbackRedirect.objects.get().url == "/"
    assert follow_sso(client, authorize_url)["Location"] == "/"


def test_callback_never_redirects_off_site(client: Client, fake_sso: FakeSSO) -> None:
    authorize_url, _ = _start(client)
    CallbackRedirect.objects.update(url="https://evil.example/")
    assert follow_sso(client, authorize_url)["Location"] == "/"


def test_sso_redirect_return_to_by_url_name(rf: RequestFactory, fake_sso: FakeSSO) -> None:
    from django.contrib.sessions.backends.db import SessionStore

    request = rf.get("/somewhere/")
    request.session = SessionStore()
    request.user = None  # type: ignore[assignment]
    response = sso_redirect(request, scopes=[SKILLS], return_to="esi:login")
    assert response.status_code == 302
    assert CallbackRedirect.objects.get(session_key=request.session.session_key).url == "/sso/login/"
    sso_redirect(request, scopes=SKILLS)
    assert CallbackRedirect.objects.get().url == "/somewhere/"
