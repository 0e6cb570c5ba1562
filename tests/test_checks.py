"""Every system check id of django-esi, raised and not raised."""

from __future__ import annotations

import pytest
from django.core import checks
from django.test import override_settings

from esi.checks import check_callback_url, check_contact_email, check_sso_settings


def _ids(messages: list[checks.CheckMessage]) -> list[str]:
    return [m.id for m in messages]  # type: ignore[misc]


def test_configured_project_passes_every_check() -> None:
    assert [m for m in checks.run_checks() if (m.id or "").startswith("esi.")] == []
    assert check_sso_settings() == check_callback_url() == check_contact_email() == []


@pytest.mark.parametrize("missing", ["ESI_SSO_CLIENT_ID", "ESI_SSO_CALLBACK_URL"])
def test_e001_missing_sso_settings(missing: str) -> None:
    with override_settings(**{missing: None}, DEBUG=False):
        messages = check_sso_settings()
    assert _ids(messages) == ["esi.E001"] and missing in messages[0].msg
    assert isinstance(messages[0], checks.Error)


def test_w001_missing_sso_settings_in_debug() -> None:
    with override_settings(ESI_SSO_CLIENT_ID=None, DEBUG=True):
        messages = check_sso_settings()
    assert _ids(messages) == ["esi.W001"] and isinstance(messages[0], checks.Warning)


@override_settings(ESI_SSO_CLIENT_SECRET=None)
def test_no_secret_is_fine_for_a_pkce_client() -> None:
    assert check_sso_settings() == []


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("http://testserver/admin/", "resolves to 'admin:index'"),
        ("http://testserver/nowhere/", "resolves to no view"),
        ("/sso/callback/", "not an absolute"),
        ("ftp://testserver/sso/callback/", "not an absolute"),
    ],
)
def test_e002_callback_url_not_pointing_at_the_callback_view(url: str, says: str) -> None:
    with override_settings(ESI_SSO_CALLBACK_URL=url):
        messages = check_callback_url()
    assert _ids(messages) == ["esi.E002"] and says in messages[0].msg


@override_settings(ESI_SSO_CALLBACK_URL=None)
def test_e002_is_silent_when_e001_already_speaks() -> None:
    assert check_callback_url() == []


@pytest.mark.parametrize("value", [None, ""])
def test_w002_missing_contact_email(value: object) -> None:
    with override_settings(ESI_USER_CONTACT_EMAIL=value):
        assert _ids(check_contact_email()) == ["esi.W002"]


def test_checks_are_registered() -> None:
    with override_settings(ESI_USER_CONTACT_EMAIL=None, ESI_SSO_CLIENT_ID=None, DEBUG=False):
        ids = {m.id for m in checks.run_checks()}
    assert {"esi.E001", "esi.W002"} <= ids
    with override_settings(ESI_SSO_CALLBACK_URL="http://testserver/admin/"):
        assert "esi.E002" in {m.id for m in checks.run_checks(tags=[checks.Tags.urls])}
