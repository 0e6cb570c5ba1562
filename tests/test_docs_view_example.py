"""Testing a decorated view offline: the example of docs/testing.rst ("A decorated view").

The view, its URL and its tests in one module, run by pytest-django like any test.
"""

import pytest
from django.http import JsonResponse
from django.urls import path

from esi.clients import EsiClientProvider
from esi.decorators import token_required

esi = EsiClientProvider()  # the fixtures point django-esi at the fake


@token_required(scopes="esi-skills.read_skills.v1")
def skill_points(request, token):
    skills = esi.client.Skills.get_characters_character_id_skills(
        character_id=token.character_id, token=token.valid_access_token()
    ).result()
    return JsonResponse({"character": token.character_name, "total_sp": skills["total_sp"]})


urlpatterns = [path("skills/", skill_points)]
pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]


def test_the_user_picks_a_token_and_the_view_uses_it(client, esi_token_factory, fake_esi):
    token = esi_token_factory(scopes=["esi-skills.read_skills.v1"])
    client.force_login(token.user)

    choose = client.get("/skills/")  # the selection page lists the user's tokens
    assert choose.status_code == 200 and token.character_name in choose.content.decode()

    response = client.post("/skills/", {"_token": token.pk})
    assert response.json()["character"] == token.character_name
    calls = [e for e in fake_esi.journal if e.operation == "get_characters_character_id_skills"]
    assert calls[-1].character_id == token.character_id  # the fake saw the token


def test_without_a_token_the_user_goes_to_sso(client, django_user_model, fake_esi):
    client.force_login(django_user_model.objects.create(username="no-tokens"))
    response = client.get("/skills/")
    assert response.status_code == 302
    assert response["Location"].startswith(fake_esi.settings()["ESI_SSO_AUTHORIZE_URL"])


def test_anonymous_visitors_log_in_first(client, settings):
    settings.LOGIN_URL = "/login/"
    response = client.get("/skills/")
    assert response.status_code == 302 and response["Location"].startswith("/login/?next=/skills/")
