"""Fixtures and helpers for the SSO/token tests: the fake EVE SSO, served in-process.

Other test modules import what they need from here. The tests talk to the fake
SSO over HTTP (``requests`` answered by its WSGI app through ``responses``);
nothing inside django-esi is patched.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
import requests
from django.test import Client as DjangoClient
from django.utils import timezone

from esi import sso as esi_sso
from esi.models import Token
from esi_testing.fake.inprocess import InProcessTransport
from esi_testing.fake.sso import Client, FakeSSO
from esi_testing.fake.sso_app import SSOApp

CLIENT_ID = "test-client-id"  # as in tests/settings.py
CLIENT_SECRET = "test-client-secret"
PUBLIC_CLIENT_ID = "test-public-client"
CHARACTER_ID = 90000001
SKILLS = "esi-skills.read_skills.v1"
WALLET = "esi-wallet.read_character_wallet.v1"


@pytest.fixture
def fake_sso() -> Iterator[FakeSSO]:
    """Return a fake EVE SSO answering at https://login.eveonline.com, consenting at once."""
    sso = FakeSSO(clients=[Client(CLIENT_ID, CLIENT_SECRET), Client(PUBLIC_CLIENT_ID)])
    sso.set_consent(auto=True)
    esi_sso.clear_caches()
    with InProcessTransport({"https://login.eveonline.com": SSOApp(sso)}):
        yield sso
    esi_sso.clear_caches()


def test_fake_sso_serves_metadata(fake_sso: FakeSSO) -> None:
    assert esi_sso.endpoints().token == "https://login.eveonline.com/v2/oauth/token"


def make_token(
    fake_sso: FakeSSO,
    character_id: int = CHARACTER_ID,
    scopes: tuple[str, ...] = (SKILLS,),
    user: object = None,
    expired: bool = False,
) -> Token:
    """Store a token whose refresh token the fake SSO knows (as a login would)."""
    issued = fake_sso.issue_tokens(character_id, scopes, client_id=CLIENT_ID)
    token = Token.objects.create_from_sso_token(esi_sso_token(issued), user=user)
    if expired:
        Token.objects.filter(pk=token.pk).update(expiry=timezone.now() - timedelta(minutes=5))
        token.refresh_from_db()
    return token


def esi_sso_token(issued: dict) -> esi_sso.SSOToken:
    """Validate a token response of the fake SSO as django-esi does."""
    return esi_sso.parse_token_response(issued)


def sso_login(client: DjangoClient, path: str, *, method: str = "get", data: dict | None = None):
    """Open ``path`` and follow it through the fake SSO back to the site; return the last response."""
    response = getattr(client, method)(path, data or {})
    assert response.status_code == 302, response
    response = follow_sso(client, response["Location"])
    assert response.status_code == 302, response.content
    return client.get(response["Location"])


def follow_sso(client: DjangoClient, authorize_url: str):
    """Consent at the fake SSO and deliver its callback to the site; return the callback response."""
    assert authorize_url.startswith("https://login.eveonline.com/v2/oauth/authorize"), authorize_url
    at_sso = requests.get(authorize_url, allow_redirects=False, timeout=5)
    assert at_sso.status_code == 302, at_sso.text
    callback = urlsplit(at_sso.headers["Location"])
    return client.get(f"{callback.path}?{callback.query}")
