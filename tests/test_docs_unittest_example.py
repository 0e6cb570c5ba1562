"""``manage.py test``: the example of docs/testing.rst, run by Django's test runner too.

tests/test_docs.py runs this module with ``python -m django test`` (what
``manage.py test`` runs); pytest collects it as well.
"""

from django.http import JsonResponse
from django.test import override_settings
from django.urls import path

from esi.clients import EsiClientProvider
from esi.decorators import token_required
from esi_testing.unittest import FakeESITestCase

esi = EsiClientProvider()


@token_required(scopes="esi-skills.read_skills.v1")
def skill_points(request, token):
    skills = esi.client.Skills.get_characters_character_id_skills(
        character_id=token.character_id, token=token.valid_access_token()
    ).result()
    return JsonResponse({"total_sp": skills["total_sp"]})


urlpatterns = [path("skills/", skill_points)]


@override_settings(ROOT_URLCONF=__name__)
class SkillPointsTests(FakeESITestCase):
    def test_the_view_reads_skills_with_the_picked_token(self):
        token = self.make_token(character_id=90000001, scopes=["esi-skills.read_skills.v1"])
        self.client.force_login(token.user)
        response = self.client.post("/skills/", {"_token": token.pk})
        self.assertGreaterEqual(response.json()["total_sp"], 0)
        self.assertEqual(self.fake_esi.journal[-1].character_id, 90000001)

    def test_a_user_without_tokens_goes_to_sso(self):
        user = self.make_token().user  # a token without the skills scope
        self.client.force_login(user)
        response = self.client.get("/skills/")
        self.assertEqual(response.status_code, 302)
        self.assertTrue(response["Location"].startswith(self.fake_esi.sso_url))
