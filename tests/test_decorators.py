# ruff: noqa: F811  (pytest fixtures imported from tests.test_sso_fixtures)
"""The view decorators, through Django's test client and the fake EVE SSO."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse
from django.test import Client
from django.urls import include, path

from esi.decorators import single_use_token, token_required, tokens_required
from esi.models import CallbackRedirect, Token
from esi_testing.fake.sso import FakeSSO
from tests.test_sso_fixtures import (  # noqa: F401
    CHARACTER_ID,
    SKILLS,
    WALLET,
    fake_sso,
    follow_sso,
    make_token,
    sso_login,
)


@token_required(scopes=SKILLS)
def skills(request: HttpRequest, token: Token) -> HttpResponse:
    """Show a token's character."""
    return HttpResponse(f"token {token.pk} of {token.character_id} for {token.user_id}")


@token_required(scopes=[SKILLS], new=True)
def skills_new(request: HttpRequest, token: Token) -> HttpResponse:
    return HttpResponse(f"token {token.pk} of {token.character_id} for {token.user_id}")


@tokens_required(scopes=f"{SKILLS} {WALLET}")
def wallets(request: HttpRequest, tokens: object) -> HttpResponse:
    return HttpResponse("tokens " + ",".join(str(t.pk) for t in tokens))  # type: ignore[attr-defined]


@single_use_token(scopes=SKILLS)
def once(request: HttpRequest, token: Token) -> HttpResponse:
    return HttpResponse(f"token {token.pk} of {token.character_id} for {token.user_id}")


urlpatterns = [
    path("admin/", admin.site.urls),
    path("sso/", include("esi.urls", namespace="esi")),
    path("skills/", skills),
    path("skills/new/", skills_new),
    path("wallets/", wallets),
    path("once/", once),
]

pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]


@pytest.fixture
def user() -> User:
    return User.objects.create_user("pilot")


@pytest.fixture
def client_in(client: Client, user: User) -> Client:
    """Return a test client logged in as ``user``."""
    client.force_login(user)
    return client


def test_decorators_keep_the_view_name_and_doc() -> None:
    assert skills.__name__ == "skills" and skills.__doc__ == "Show a token's character."


# --- token_required ---------------------------------------------------------


def test_token_required_without_tokens_goes_to_sso_and_back(
    client_in: Client, user: User, fake_sso: FakeSSO
) -> None:
    response = sso_login(client_in, "/skills/")
    token = Token.objects.get()
    assert response.content.decode() == f"token {token.pk} of {CHARACTER_ID} for {user.pk}"
    assert list(token.scopes.values_list("name", flat=True)) == [SKILLS]
    assert CallbackRedirect.objects.count() == 0  # consumed


def test_token_required_with_tokens_shows_the_selection(
    client_in: Client, user: User, fake_sso: FakeSSO
) -> None:
    mine = make_token(fake_sso, user=user, scopes=(SKILLS, WALLET))
    other = make_token(fake_sso, character_id=90000002, user=User.objects.create_user("other"))
    make_token(fake_sso, character_id=90000003, user=user, scopes=(WALLET,))  # lacks the scope

    response = client_in.get("/skills/")

    assert response.status_code == 200
    assert "esi/select_token.html" in [t.name for t in response.templates]
    assert list(response.context["tokens"]) == [mine]
    html = response.content.decode()
    assert f"https://images.evetech.net/characters/{mine.character_id}/portrait" in html
    # The portrait is decorative (the name stands beside it): an empty alt, so that an
    # image that cannot load does not spill its text over the page.
    assert 'alt=""' in html and f'id="esi-token-{mine.pk}">{mine.character_name}<' in html
    assert "read skills" in html and "read character wallet" in html
    assert 'name="_add"' in html and "Add another character" in html
    assert 'name="csrfmiddlewaretoken"' in html
    assert other.character_name not in html


def test_token_required_post_selects_a_token(client_in: Client, user: User, fake_sso: FakeSSO) -> None:
    mine = make_token(fake_sso, user=user)
    response = client_in.post("/skills/", {"_token": mine.pk})
    assert response.content.decode() == f"token {mine.pk} of {CHARACTER_ID} for {user.pk}"


def test_token_required_refuses_a_token_of_someone_else(
    client_in: Client, user: User, fake_sso: FakeSSO
) -> None:
    make_token(fake_sso, user=user)
    theirs = make_token(fake_sso, character_id=90000002, user=User.objects.create_user("other"))
    userless = make_token(fake_sso, character_id=90000003)
    for pk in (theirs.pk, userless.pk, "1 OR 1=1", ""):
        response = client_in.post("/skills/", {"_token": pk})
        assert response.status_code == 200
        assert "esi/select_token.html" in [t.name for t in response.templates]


def test_token_required_add_goes_to_sso(client_in: Client, user: User, fake_sso: FakeSSO) -> None:
    make_token(fake_sso, user=user)
    response = client_in.post("/skills/", {"_add": "1"})
    assert response.status_code == 302
    assert response["Location"].startswith("https://login.eveonline.com/v2/oauth/authorize")
    back = follow_sso(client_in, response["Location"])
    assert back["Location"] == "/skills/"
    new = Token.objects.latest("pk")
    assert client_in.get("/skills/").content.decode() == f"token {new.pk} of {CHARACTER_ID} for {user.pk}"


def test_token_required_refreshes_an_expired_token_for_the_selection(
    client_in: Client, user: User, fake_sso: FakeSSO
) -> None:
    token = make_token(fake_sso, user=user, expired=True)
    response = client_in.get("/skills/")
    assert list(response.context["tokens"]) == [token]
    assert not Token.objects.get(pk=token.pk).expired


def test_token_required_new_always_goes_to_sso(client_in: Client, user: User, fake_sso: FakeSSO) -> None:
    make_token(fake_sso, user=user)
    fake_sso.set_consent(character_id=90000002, auto=True)
    response = sso_login(client_in, "/skills/new/")
    new = Token.objects.get(character_id=90000002)
    assert response.content.decode() == f"token {new.pk} of 90000002 for {user.pk}"


def test_token_required_sends_anonymous_users_to_login(client: Client, fake_sso: FakeSSO) -> None:
    response = client.get("/skills/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/?next=/skills/")


def test_token_required_new_works_for_anonymous_users(client: Client, fake_sso: FakeSSO) -> None:
    response = sso_login(client, "/skills/new/")
    token = Token.objects.get()
    assert token.user is None
    assert response.content.decode() == f"token {token.pk} of {CHARACTER_ID} for None"


# --- tokens_required --------------------------------------------------------


def test_tokens_required_gives_the_users_valid_tokens(
    client_in: Client, user: User, fake_sso: FakeSSO
) -> None:
    a = make_token(fake_sso, user=user, scopes=(SKILLS, WALLET))
    b = make_token(fake_sso, character_id=90000002, user=user, scopes=(SKILLS, WALLET), expired=True)
    make_token(fake_sso, character_id=90000003, user=user, scopes=(SKILLS,))
    make_token(fake_sso, character_id=90000004, user=User.objects.create_user("x"), scopes=(SKILLS, WALLET))
    response = client_in.get("/wallets/")
    assert sorted(response.content.decode().split(" ")[1].split(",")) == sorted([str(a.pk), str(b.pk)])


def test_tokens_required_without_tokens_goes_to_sso_and_back(
    client_in: Client, user: User, fake_sso: FakeSSO
) -> None:
    response = sso_login(client_in, "/wallets/")
    token = Token.objects.get()
    assert token.user == user
    assert response.content.decode() == f"tokens {token.pk}"


def test_tokens_required_sends_anonymous_users_to_login(client: Client, fake_sso: FakeSSO) -> None:
    response = client.get("/wallets/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


# --- single_use_token -------------------------------------------------------


def test_single_use_token_for_anonymous_users(client: Client, fake_sso: FakeSSO) -> None:
    response = sso_login(client, "/once/")
    token = Token.objects.get()
    assert token.user is None
    assert response.content.decode() == f"token {token.pk} of {CHARACTER_ID} for None"
    # the token was handed over once; the next visit logs in again
    assert client.get("/once/").status_code == 302


def test_single_use_token_always_logs_in(client_in: Client, user: User, fake_sso: FakeSSO) -> None:
    make_token(fake_sso, user=user)
    response = client_in.get("/once/")
    assert response["Location"].startswith("https://login.eveonline.com/")
