"""A bravado-era Alliance Auth style app, tested as its authors test it, on the fake ESI.

The app part (``esi`` provider, views, tasks) is written as apps of the
django-esi 2.x-8.x era write it: a module-level ``EsiClientProvider`` with the
8.x User-Agent keywords, views with ``token_required``, Celery tasks that call
``esi.client....result()``, Alliance Auth's ownership check on
``Token.update_token_data``. The tests run each in both modes of the fake
(in-process and loopback server), and the ``mock.patch("esi.clients.SwaggerClient")``
tests as those apps write them.
"""

from __future__ import annotations

import logging
from typing import Any
from unittest import mock

import pytest
from bravado.exception import HTTPError, HTTPForbidden, HTTPNotFound
from celery import shared_task
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.test import Client, override_settings
from django.urls import include, path

import esi
from esi.clients import EsiClientProvider
from esi.decorators import token_required
from esi.errors import IncompleteResponseError, TokenExpiredError, TokenInvalidError
from esi.models import Token

logger = logging.getLogger(__name__)

SKILLS = "esi-skills.read_skills.v1"
ADA = 90000001

# --- the app ----------------------------------------------------------------------

esi_provider = EsiClientProvider(ua_appname="aa-example", ua_version="1.2.3", ua_url="https://example.com/aa")


@login_required
@token_required(scopes=[SKILLS])
def character_sheet(request: HttpRequest, token: Token) -> HttpResponse:
    character = esi_provider.client.Character.get_characters_character_id(
        character_id=token.character_id
    ).result()
    skills = esi_provider.client.Skills.get_characters_character_id_skills(
        character_id=token.character_id, token=token.valid_access_token()
    ).result()
    return JsonResponse({"name": character["name"], "total_sp": skills["total_sp"]})


@shared_task
def update_character(character_id: int) -> dict[str, Any] | None:
    """Fetch a character's public data and skills, as an app's periodic task does."""
    token = Token.objects.filter(character_id=character_id).require_scopes([SKILLS]).require_valid().first()
    if token is None:
        logger.warning("No valid token for %s", character_id)
        return None
    try:
        character = esi_provider.client.Character.get_characters_character_id(
            character_id=character_id
        ).result()
    except HTTPNotFound:
        return None
    skills = esi_provider.client.Skills.get_characters_character_id_skills(
        character_id=character_id, token=token.valid_access_token()
    ).result()
    return {"name": character["name"], "total_sp": skills["total_sp"]}


@shared_task
def check_character_ownership(owner_hash: str) -> str:
    """Alliance Auth's ownership check (every 4 hours), on the names it uses."""
    tokens = Token.objects.filter(character_owner_hash=owner_hash)
    for t in tokens:
        old_hash = t.character_owner_hash
        try:
            t.update_token_data(commit=False)
        except (TokenExpiredError, TokenInvalidError):
            t.delete()
            continue
        except (KeyError, IncompleteResponseError):
            return "unknown"  # could not check: nothing revoked
        if t.character_owner_hash != old_hash:
            tokens.delete()
            return "changed"
        return "same"
    return "revoked" if not Token.objects.filter(character_owner_hash=owner_hash).exists() else "same"


@shared_task(bind=True, max_retries=3)
def fetch_status(self: Any) -> dict[str, Any]:
    """Retry after ESI's error window when it says 420, as app-utils' retry helper does."""
    try:
        return esi_provider.client.Status.get_status().result()
    except HTTPError as exc:
        if exc.status_code == 420:
            countdown = int(exc.response.headers.get("X-ESI-Error-Limit-Reset", 60))
            raise self.retry(countdown=countdown, exc=exc) from exc
        raise


urlpatterns = [
    path("sso/", include("esi.urls", namespace="esi")),
    path("sheet/", character_sheet),
]

pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]


# --- in both modes of the fake ------------------------------------------------------


@pytest.fixture(params=["inprocess", "server"])
def esi_config(request: pytest.FixtureRequest) -> dict[str, Any]:
    return {"mode": request.param}


@pytest.fixture(autouse=True)
def fresh_provider() -> None:
    esi_provider._client = None  # as the apps' tests do between tests


@pytest.fixture
def user() -> User:
    return User.objects.create_user("pilot")


def test_view_with_token_required_calls_esi_with_the_token(
    client: Client, user: User, fake_esi: Any, esi_token_factory: Any
) -> None:
    token = esi_token_factory(character_id=ADA, character_name="Ada Quickfoot", scopes=[SKILLS], user=user)
    client.force_login(user)
    assert "esi/select_token.html" in [t.name for t in client.get("/sheet/").templates]
    response = client.post("/sheet/", {"_token": token.pk})  # the user picks the character
    assert response.status_code == 200
    assert response.json()["name"] == "Ada Quickfoot" and response.json()["total_sp"] > 0
    agent = fake_esi.journal[-1].headers["User-Agent"]
    assert agent.startswith(
        f"AaExample/1.2.3 (tests@example.com; +https://example.com/aa) django-esi/{esi.__version__}"
    )


def test_view_without_a_token_sends_the_user_to_sso(client: Client, user: User, fake_esi: Any) -> None:
    client.force_login(user)
    response = client.get("/sheet/")
    assert response.status_code == 302 and response["Location"].startswith(fake_esi.sso_url)
    assert f"scope={SKILLS}" in response["Location"]


def test_celery_task_refreshes_an_expired_token_and_calls_esi(fake_esi: Any, esi_token_factory: Any) -> None:
    token = esi_token_factory(character_id=ADA, character_name="Ada Quickfoot", scopes=[SKILLS], expired=True)
    result = update_character.apply(args=[ADA]).get()
    assert result is not None and result["name"] == "Ada Quickfoot"
    token.refresh_from_db()
    assert not token.expired
    assert [c.grant_type for c in fake_esi.sso.calls("token")] == ["refresh_token"]


def test_celery_task_without_a_token_does_nothing(fake_esi: Any) -> None:
    assert update_character.apply(args=[ADA]).get() is None
    assert fake_esi.journal == []


def test_the_http_errors_apps_catch_are_bravados(fake_esi: Any, esi_token_factory: Any) -> None:
    wallet_less = esi_token_factory(character_id=ADA, scopes=[SKILLS])
    with pytest.raises(HTTPForbidden) as forbidden:
        esi_provider.client.Wallet.get_characters_character_id_wallet(
            character_id=ADA, token=wallet_less.valid_access_token()
        ).result()
    assert forbidden.value.status_code == 403 and isinstance(forbidden.value, HTTPError)
    with pytest.raises(HTTPNotFound):
        esi_provider.client.Universe.get_universe_types(page=100_000).result()


def test_a_call_held_back_by_the_error_limit_is_the_420_apps_catch(fake_esi: Any) -> None:
    import pickle

    from celery.exceptions import Retry

    from esi.errors import ErrorLimitExceeded

    with override_settings(ESI_ERROR_LIMIT_THRESHOLD=1000):  # the first error spends the budget
        with pytest.raises(HTTPNotFound):
            esi_provider.client.Universe.get_universe_types(page=100_000).result()
        sent = len(fake_esi.journal)
        with mock.patch.object(fetch_status, "retry", side_effect=Retry) as retry:
            fetch_status.apply()
        with pytest.raises(ErrorLimitExceeded) as held_back:  # this package's name for it, too
            esi_provider.client.Status.get_status().result()
    assert len(fake_esi.journal) == sent  # nothing was sent
    assert 0 < retry.call_args.kwargs["countdown"] <= 60
    error = held_back.value
    assert isinstance(error, HTTPError) and error.status_code == 420 and error.retry_after is not None
    assert 0 < int(error.response.headers["X-ESI-Error-Limit-Reset"]) <= 60
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is type(error) and str(copy) == str(error) and copy.status_code == 420


def test_ownership_check_keeps_an_unchanged_owner(fake_esi: Any, esi_token_factory: Any) -> None:
    token = esi_token_factory(character_id=ADA, scopes=[SKILLS], expired=True)
    assert check_character_ownership.apply(args=[token.character_owner_hash]).get() == "same"
    assert Token.objects.filter(pk=token.pk).exists()


def test_ownership_check_revokes_a_sold_character(fake_esi: Any, esi_token_factory: Any) -> None:
    token = esi_token_factory(character_id=ADA, scopes=[SKILLS], expired=True)
    fake_esi.sso.transfer_character(ADA)
    assert check_character_ownership.apply(args=[token.character_owner_hash]).get() == "revoked"
    assert not Token.objects.filter(character_id=ADA).exists()


def test_ownership_check_during_an_sso_outage_revokes_nothing(fake_esi: Any, esi_token_factory: Any) -> None:
    token = esi_token_factory(character_id=ADA, scopes=[SKILLS], expired=True)
    fake_esi.sso.inject_fault(503, times=None)
    assert check_character_ownership.apply(args=[token.character_owner_hash]).get() == "unknown"
    assert Token.objects.filter(pk=token.pk).exists()


def test_ownership_check_deletes_a_dead_token(fake_esi: Any) -> None:
    dead = Token.objects.create(
        character_id=ADA, character_name="Ada", character_owner_hash="h", access_token="x", refresh_token=None
    )
    Token.objects.filter(pk=dead.pk).update(expiry=dead.created)
    assert check_character_ownership.apply(args=["h"]).get() == "revoked"
    assert not Token.objects.filter(pk=dead.pk).exists()


# --- mock.patch("esi.clients.SwaggerClient"), as the apps' unit tests do -------------------


@mock.patch("esi.clients.SwaggerClient")
def test_patched_swagger_client_answers_the_app(
    swagger_client: mock.MagicMock, esi_token_factory: Any
) -> None:
    esi_token_factory(character_id=ADA, scopes=[SKILLS])
    client = swagger_client.return_value
    client.Character.get_characters_character_id.return_value.result.return_value = {"name": "Mocked"}
    client.Skills.get_characters_character_id_skills.return_value.result.return_value = {"total_sp": 5}
    assert update_character(ADA) == {"name": "Mocked", "total_sp": 5}
    assert swagger_client.call_count == 1
    client.Character.get_characters_character_id.assert_called_once_with(character_id=ADA)


@mock.patch("esi.clients.SwaggerClient")
def test_patched_swagger_client_from_spec_for_a_spec_file(
    swagger_client: mock.MagicMock, shared_specs: Any
) -> None:
    from esi.clients import esi_client_factory

    spec = sorted(shared_specs.glob("swagger2-*.json"))[-1]
    swagger_client.from_spec.return_value.Status.get_status.return_value.result.return_value = {"players": 1}
    client = esi_client_factory(spec_file=str(spec))
    assert client.Status.get_status().result() == {"players": 1}
    (spec_dict,), kwargs = swagger_client.from_spec.call_args
    assert spec_dict["swagger"] == "2.0" and kwargs["config"] == {"use_models": False}
    assert not swagger_client.called


def test_unpatched_swagger_client_is_the_class_clients_are_built_with(fake_esi: Any) -> None:
    import esi.clients

    assert isinstance(esi_provider.client, esi.clients.SwaggerClient)
    from bravado.client import SwaggerClient

    assert issubclass(esi.clients.SwaggerClient, SwaggerClient)
