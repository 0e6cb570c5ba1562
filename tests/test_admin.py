# ruff: noqa: F811  (pytest fixtures imported from tests.test_sso_fixtures)
"""The admin: lists, search and filters without secrets (deleting: tests/test_security_sso.py)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client

from esi.models import CallbackRedirect, Token
from esi_testing.fake.sso import FakeSSO
from tests.test_sso_fixtures import SKILLS, WALLET, fake_sso, make_token  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client_(client: Client) -> Client:
    # no password: hashing one costs a second per test
    client.force_login(User.objects.create(username="admin", is_staff=True, is_superuser=True))
    return client


def _secrets(token: Token) -> list[str]:
    return [token.access_token, token.refresh_token]


def test_token_list_shows_no_secrets(admin_client_: Client, fake_sso: FakeSSO) -> None:
    tokens = [make_token(fake_sso, character_id=90000001 + i, scopes=(SKILLS, WALLET)) for i in range(3)]
    html = admin_client_.get("/admin/esi/token/").content.decode()
    for token in tokens:
        assert token.character_name in html
        assert not any(secret in html for secret in _secrets(token))
    assert f"{SKILLS}, {WALLET}" in html


def test_token_list_queries_do_not_grow_with_tokens(
    admin_client_: Client, fake_sso: FakeSSO, django_assert_max_num_queries
) -> None:
    for i in range(30):
        make_token(fake_sso, character_id=90000001 + i, scopes=(SKILLS, WALLET))
    with django_assert_max_num_queries(12):
        assert admin_client_.get("/admin/esi/token/").status_code == 200


def test_token_page_shows_no_secrets_and_cannot_be_added(admin_client_: Client, fake_sso: FakeSSO) -> None:
    token = make_token(fake_sso)
    html = admin_client_.get(f"/admin/esi/token/{token.pk}/change/").content.decode()
    assert token.character_owner_hash in html
    assert not any(secret in html for secret in _secrets(token))
    assert admin_client_.get("/admin/esi/token/add/").status_code == 403


def test_token_search_and_filters(admin_client_: Client, fake_sso: FakeSSO) -> None:
    make_token(fake_sso, character_id=90000001)
    fake_sso.add_character(90000002, "Searchable Pilot")
    make_token(fake_sso, character_id=90000002, scopes=(WALLET,))
    found = admin_client_.get("/admin/esi/token/", {"q": "Searchable"}).context["cl"].result_list
    assert [t.character_id for t in found] == [90000002]
    found = admin_client_.get("/admin/esi/token/", {"q": WALLET}).context["cl"].result_list
    assert [t.character_id for t in found] == [90000002]
    found = admin_client_.get("/admin/esi/token/", {"q": "90000001"}).context["cl"].result_list
    assert [t.character_id for t in found] == [90000001]
    assert admin_client_.get("/admin/esi/token/", {"token_type": "Character"}).status_code == 200


# Deleting tokens (revoked at SSO after the commit, in tasks): tests/test_security_sso.py.


def test_callback_redirects_hide_session_and_state(admin_client_: Client) -> None:
    redirect = CallbackRedirect.objects.create(session_key="secret-session", state="secret-state", url="/x/")
    for url in ("/admin/esi/callbackredirect/", f"/admin/esi/callbackredirect/{redirect.pk}/change/"):
        html = admin_client_.get(url).content.decode()
        assert "secret-session" not in html and "secret-state" not in html
    assert "/x/" in html
