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
    "url", ["/sso/callback/", "ftp://testserver/sso/callback/", "testserver/sso/callback/"]
)
def test_e002_callback_url_that_sso_cannot_redirect_to(url: str) -> None:
    with override_settings(ESI_SSO_CALLBACK_URL=url):
        messages = check_callback_url()
    assert _ids(messages) == ["esi.E002"] and isinstance(messages[0], checks.Error)
    assert "not an absolute http(s) URL" in messages[0].msg


@pytest.mark.parametrize(
    "url",
    [
        "http://testserver/sso/callback/",
        # Alliance Auth's project template: f"{SITE_URL}/sso/callback", redirected by APPEND_SLASH
        "https://auth.example.com/sso/callback",
        "https://auth.example.com/sso/callback?from=eve",
    ],
)
def test_a_callback_url_that_reaches_the_view_passes(url: str) -> None:
    with override_settings(ESI_SSO_CALLBACK_URL=url):
        assert check_callback_url() == []
        assert [m.id for m in checks.run_checks() if (m.id or "").startswith("esi.")] == []


def test_a_callback_url_under_force_script_name_passes() -> None:
    with override_settings(
        ESI_SSO_CALLBACK_URL="https://example.com/auth/sso/callback", FORCE_SCRIPT_NAME="/auth/"
    ):
        assert check_callback_url() == []


@pytest.mark.parametrize(
    ("overrides", "cause"),
    [
        ({"APPEND_SLASH": False}, "APPEND_SLASH is False"),
        (
            {"MIDDLEWARE": ["django.contrib.sessions.middleware.SessionMiddleware"]},
            "CommonMiddleware is not in MIDDLEWARE",
        ),
    ],
)
def test_w003_no_trailing_slash_and_nothing_appends_it(overrides: dict[str, object], cause: str) -> None:
    with override_settings(ESI_SSO_CALLBACK_URL="https://auth.example.com/sso/callback", **overrides):
        messages = check_callback_url()
    assert _ids(messages) == ["esi.W003"] and isinstance(messages[0], checks.Warning)
    assert "only with a trailing slash" in messages[0].msg and cause in messages[0].hint


@pytest.mark.parametrize(
    ("url", "says", "hint"),
    [
        # allianceauth-app-utils' test settings: the site root
        ("http://localhost:8000", "resolves to no view", 'include("esi.urls")'),
        ("http://testserver/admin/", "resolves to 'admin:index'", "SILENCED_SYSTEM_CHECKS"),
        ("http://testserver/nowhere/", "resolves to no view", "FORCE_SCRIPT_NAME"),
    ],
)
def test_w003_callback_url_reaching_another_view_or_none(url: str, says: str, hint: str) -> None:
    with override_settings(ESI_SSO_CALLBACK_URL=url):
        messages = check_callback_url()
    assert _ids(messages) == ["esi.W003"] and isinstance(messages[0], checks.Warning)
    assert says in messages[0].msg and hint in messages[0].hint


def test_w003_a_slash_too_many() -> None:
    from types import ModuleType

    from django.urls import include, path

    from esi import views

    callback_without_slash = [path("callback", views.receive_callback, name="callback")]
    urlconf = ModuleType("urls_without_slash")
    urlconf.urlpatterns = [path("sso/", include((callback_without_slash, "esi")))]  # type: ignore[attr-defined]
    with override_settings(ROOT_URLCONF=urlconf, ESI_SSO_CALLBACK_URL="https://example.com/sso/callback/"):
        messages = check_callback_url()
    assert (
        _ids(messages) == ["esi.W003"] and "trailing slash that esi:callback's URL lacks" in messages[0].msg
    )
    with override_settings(ROOT_URLCONF=urlconf, ESI_SSO_CALLBACK_URL="https://example.com/sso/callback"):
        assert check_callback_url() == []


def test_w003_a_broken_urlconf_is_a_warning_naming_the_error() -> None:
    def broken(path: str) -> None:
        raise ImportError("No module named 'myproject.urls'")

    with override_settings(ESI_SSO_CALLBACK_URL="https://example.com/sso/callback/"):
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr("esi.checks.resolve", broken)
            messages = check_callback_url()
    assert (
        _ids(messages) == ["esi.W003"] and "ImportError: No module named 'myproject.urls'" in messages[0].msg
    )


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
        assert "esi.W003" in {m.id for m in checks.run_checks(tags=[checks.Tags.urls])}
    with override_settings(ESI_SSO_CALLBACK_URL="/sso/callback/"):
        assert "esi.E002" in {m.id for m in checks.run_checks(tags=[checks.Tags.urls])}
