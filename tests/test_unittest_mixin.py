"""esi_testing.unittest: the fake for manage.py test users."""

import os

from esi.clients import esi_client_factory
from esi.models import Token
from esi_testing.unittest import FakeESITestCase


class CharacterTests(FakeESITestCase):
    fake_esi_options = {"snapshot": "latest"}

    def test_a_call_with_a_token_made_for_the_test(self):
        token = self.make_token(character_id=90000001, scopes=["esi-skills.read_skills.v1"])
        client = esi_client_factory(token=token)
        skills = client.Skills.get_characters_character_id_skills(character_id=90000001).result()
        self.assertIn("total_sp", skills)
        self.assertEqual(self.fake_esi.journal[-1].character_id, 90000001)

    def test_each_test_starts_from_a_reset_fake(self):
        self.assertEqual(self.fake_esi.journal, [])
        self.assertEqual(Token.objects.count(), 0)
        self.fake_esi.add_data(
            {
                "operation": "get_status",
                "body": {"players": 7, "server_version": "1", "start_time": "2026-11-23T11:00:00Z"},
            }
        )
        self.assertEqual(esi_client_factory().Status.get_status().result()["players"], 7)

    def test_settings_point_at_the_fake(self):
        from esi.app_settings import app_settings

        self.assertEqual(app_settings.ESI_SSO_CLIENT_ID, self.fake_esi.client_id)
        self.assertEqual(app_settings.ESI_API_URL, self.fake_esi.url + "/")


def test_a_class_with_override_settings_leaves_no_fake_setting_behind():
    """Django undoes a class's @override_settings after tearDownClass; the fake's must outlast it."""
    import unittest

    from django.conf import settings
    from django.test import SimpleTestCase, override_settings

    from esi_testing.unittest import FakeESIMixin

    @override_settings(ROOT_URLCONF="tests.urls")
    class Decorated(FakeESIMixin, SimpleTestCase):
        def test_inside(self):
            self.assertEqual(settings.ESI_SSO_TOKEN_URL, self.fake_esi.settings()["ESI_SSO_TOKEN_URL"])

    before = getattr(settings, "ESI_SSO_TOKEN_URL", None)
    with open(os.devnull, "w") as devnull:
        result = unittest.TextTestRunner(stream=devnull, verbosity=0).run(
            unittest.defaultTestLoader.loadTestsFromTestCase(Decorated)
        )
    assert result.wasSuccessful(), result.errors + result.failures
    assert getattr(settings, "ESI_SSO_TOKEN_URL", None) == before
