"""The public names of django-esi 2.x-8.x that downstream code uses, on this package."""

from __future__ import annotations

import datetime
import warnings
from typing import Any

import pytest
from django.test import override_settings
from django.utils import timezone

import esi
from esi import app_settings as app_settings_module
from esi.clients import EsiClientProvider, app_user_agent, esi_client_factory, pascal_case_string
from esi.errors import IncompleteResponseError, TokenExpiredError
from esi.models import Token

ADA = 90000001
SKILLS = "esi-skills.read_skills.v1"

# --- User-Agent --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "pascal"),
    [
        ("app name", "AppName"),
        ("app-name", "AppName"),
        ("appname", "appname"),
        ("appName", "appName"),
        ("app_name", "app_name"),
    ],
)
def test_pascal_case_string_as_8x(text: str, pascal: str) -> None:
    assert pascal_case_string(text) == pascal


@pytest.mark.parametrize(
    ("kwargs", "email", "agent"),
    [
        ({"ua_appname": "my app", "ua_version": "1.2.3"}, "me@example.com", "MyApp/1.2.3 (me@example.com)"),
        (
            {"ua_appname": "my-app", "ua_version": "1.2.3", "ua_url": "https://my.app"},
            "me@example.com",
            "MyApp/1.2.3 (me@example.com; +https://my.app)",
        ),
        (
            {"ua_appname": "MyApp", "ua_version": "2", "ua_url": "https://my.app"},
            None,
            "MyApp/2 (+https://my.app)",
        ),
        ({"ua_appname": "MyApp", "ua_version": "2"}, None, "MyApp/2"),
        # 2.x's app_info_text is used as it is, and wins over the 8.x keywords, as in 8.x
        (
            {"app_info_text": "legacy/0.1", "ua_appname": "MyApp", "ua_version": "2"},
            "me@example.com",
            "legacy/0.1",
        ),
        ({}, "me@example.com", None),
    ],
)
def test_app_user_agent_composes_as_8x(kwargs: dict[str, str], email: str | None, agent: str | None) -> None:
    with override_settings(ESI_USER_CONTACT_EMAIL=email):
        assert app_user_agent(**kwargs) == agent


def test_app_user_agent_with_half_the_keywords_warns_and_leaves_the_app_out() -> None:
    with pytest.warns(UserWarning, match="ua_version is missing"):
        assert app_user_agent(ua_appname="MyApp") is None
    with pytest.warns(UserWarning, match="ua_appname is missing"):
        assert app_user_agent(ua_version="1.0") is None


@pytest.mark.parametrize("name", ["ua_appname", "ua_version", "ua_url", "app_info_text"])
def test_app_user_agent_refuses_a_header_break(name: str) -> None:
    kwargs = {"ua_appname": "MyApp", "ua_version": "1.0", name: "x\r\nX-Evil: 1"}
    with pytest.raises(ValueError, match=name):
        app_user_agent(**kwargs)


def test_provider_takes_the_8x_keywords_not_as_resource_versions(fake_esi: Any) -> None:
    # The regression: these were taken as resource versions and raised SpecError.
    provider = EsiClientProvider(
        ua_appname="aa-example", ua_version="1.0.0", ua_url="https://example.com", Universe="v1"
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        status = provider.client.Status.get_status().result()
    assert not [w for w in caught if "is missing" in str(w.message)]
    assert status["players"] >= 0
    # Universe="v1" is still a resource version: its v1 has no get_universe_types_type_id
    assert "get_universe_races" in dir(provider.client.Universe)
    assert "get_universe_types_type_id" not in dir(provider.client.Universe)
    agent = fake_esi.journal[-1].headers["User-Agent"]
    assert agent == (
        f"AaExample/1.0.0 (tests@example.com; +https://example.com) "
        f"django-esi/{esi.__version__} (tests@example.com; +{esi.__url__})"
    )


def test_factory_takes_the_8x_keywords_in_the_8x_order(fake_esi: Any) -> None:
    # esi_client_factory(token, datasource, spec_file, version, app_info_text, ua_appname, ua_version, ua_url)
    client = esi_client_factory(None, "tranquility", None, "latest", None, "pos app", "3", "https://pos.app")
    client.Status.get_status().result()
    assert (
        fake_esi.journal[-1]
        .headers["User-Agent"]
        .startswith("PosApp/3 (tests@example.com; +https://pos.app) ")
    )


# --- module-level names --------------------------------------------------------------


def test_module_constants_of_2x_to_10x_are_there_and_read_lazily() -> None:
    from esi.app_settings import ESI_API_DATASOURCE, ESI_TOKEN_URL

    assert ESI_API_DATASOURCE == "tranquility"
    assert ESI_TOKEN_URL == "https://login.eveonline.com/v2/oauth/token"
    with override_settings(ESI_API_DATASOURCE="singularity", ESI_TOKEN_VALID_DURATION=600):
        assert app_settings_module.ESI_API_DATASOURCE == "singularity"
        assert app_settings_module.ESI_TOKEN_VALID_DURATION == 600
    assert app_settings_module.ESI_API_DATASOURCE == "tranquility"
    with override_settings(ESI_SSO_TOKEN_URL="http://127.0.0.1:9/token"):
        assert app_settings_module.ESI_TOKEN_URL == "http://127.0.0.1:9/token"


@pytest.mark.parametrize("release", ["2.0.4", "8.4.0", "10.0.0"])
def test_every_module_constant_of_a_release_resolves(release: str) -> None:
    for name in RELEASE_CONSTANTS[release]:
        getattr(app_settings_module, name)
    assert {*RELEASE_CONSTANTS[release]} <= set(dir(app_settings_module))


def test_esi_languages_reads_as_the_list_it_always_was() -> None:
    assert app_settings_module.ESI_LANGUAGES == ["en", "de", "fr", "ja", "ru", "zh", "ko", "es"]
    with override_settings(ESI_LANGUAGES=["en", "de"]):
        assert app_settings_module.ESI_LANGUAGES == ["en", "de"]


def test_an_unknown_module_constant_raises_attribute_error_naming_it() -> None:
    with pytest.raises(AttributeError, match="ESI_NOPE"):
        app_settings_module.ESI_NOPE  # noqa: B018


#: The module-level ESI_* names of esi.app_settings in each release.
RELEASE_CONSTANTS = {
    "2.0.4": """ESI_SSO_CLIENT_ID ESI_SSO_CLIENT_SECRET ESI_SSO_CALLBACK_URL ESI_API_DATASOURCE ESI_OAUTH_URL
        ESI_API_VERSION ESI_ALWAYS_CREATE_TOKEN ESI_CACHE_RESPONSE ESI_INFO_LOGGING_ENABLED ESI_LOG_LEVEL_LIBRARIES
        ESI_USER_CONTACT_EMAIL ESI_CONNECTION_POOL_MAXSIZE ESI_CONNECTION_ERROR_MAX_RETRIES ESI_SERVER_ERROR_MAX_RETRIES
        ESI_SERVER_ERROR_BACKOFF_FACTOR ESI_REQUESTS_CONNECT_TIMEOUT ESI_REQUESTS_READ_TIMEOUT ESI_API_URL
        ESI_OAUTH_LOGIN_URL ESI_TOKEN_URL ESI_TOKEN_VERIFY_URL ESI_TOKEN_VALID_DURATION ESI_SPEC_CACHE_DURATION
        ESI_LANGUAGES""".split(),
    "8.4.0": """ESI_SSO_CLIENT_ID ESI_SSO_CLIENT_SECRET ESI_SSO_CALLBACK_URL ESI_API_DATASOURCE ESI_API_VERSION
        ESI_ALWAYS_CREATE_TOKEN ESI_CACHE_RESPONSE ESI_INFO_LOGGING_ENABLED ESI_LOG_LEVEL_LIBRARIES
        ESI_DEBUG_RESPONSE_CONTENT_LOGGING ESI_USER_CONTACT_EMAIL ESI_CONNECTION_POOL_MAXSIZE
        ESI_CONNECTION_ERROR_MAX_RETRIES ESI_SERVER_ERROR_MAX_RETRIES ESI_SERVER_ERROR_BACKOFF_FACTOR
        ESI_REQUESTS_CONNECT_TIMEOUT ESI_REQUESTS_READ_TIMEOUT ESI_REQUESTS_WRITE_TIMEOUT ESI_REQUESTS_POOL_TIMEOUT
        ESI_API_URL ESI_OAUTH_URL ESI_OAUTH_LOGIN_URL ESI_TOKEN_URL ESI_TOKEN_VERIFY_URL ESI_TOKEN_JWK_SET_URL
        ESI_TOKEN_VALID_DURATION ESI_SPEC_CACHE_DURATION ESI_TOKEN_JWT_AUDIENCE ESI_LANGUAGES""".split(),
    "10.0.0": """ESI_SSO_CLIENT_ID ESI_SSO_CLIENT_SECRET ESI_SSO_CALLBACK_URL ESI_ALWAYS_CREATE_TOKEN ESI_CACHE_RESPONSE
        ESI_USER_CONTACT_EMAIL ESI_CONNECTION_POOL_MAX_CONNECTIONS ESI_CONNECTION_POOL_MAX_KEEPALIVE
        ESI_CONNECTION_POOL_KEEPALIVE_EXPIRY ESI_SERVER_ERROR_MAX_RETRIES ESI_SERVER_ERROR_WAIT_EXPONENT
        ESI_SSO_USER_AGENT ESI_SSO_MAX_RETRIES ESI_SSO_WAIT_EXPONENT ESI_SSO_MAX_RETRY_AFTER
        ESI_REQUESTS_CONNECT_TIMEOUT ESI_REQUESTS_READ_TIMEOUT ESI_REQUESTS_WRITE_TIMEOUT ESI_REQUESTS_POOL_TIMEOUT
        ESI_API_URL ESI_OAUTH_URL ESI_OAUTH_LOGIN_URL ESI_TOKEN_URL ESI_TOKEN_JWK_SET_URL ESI_TOKEN_VALID_DURATION
        ESI_TOKEN_JWT_AUDIENCE ESI_LANGUAGES""".split(),
}


@pytest.mark.parametrize(
    "name",
    [
        # esi.errors of 2.x-8.x, and bravado's errors that 8.x lets through to callers
        "DjangoEsiException",
        "TokenError",
        "TokenInvalidError",
        "TokenExpiredError",
        "NotRefreshableTokenError",
        "IncompleteResponseError",
        "HTTPError",
        "HTTPNotFound",
        "HTTPForbidden",
        "HTTPBadGateway",
        "HTTPGatewayTimeout",
        "HTTPServiceUnavailable",
        "HTTPBadRequest",
        "HTTPUnauthorized",
        "HTTPClientError",
        "HTTPServerError",
        "BravadoConnectionError",
        "BravadoTimeoutError",
    ],
)
def test_the_exception_names_8x_callers_import(name: str) -> None:
    import bravado.exception

    import esi.errors

    error = getattr(esi.errors, name)
    assert issubclass(error, Exception)
    if hasattr(bravado.exception, name):
        assert error is getattr(bravado.exception, name)


def test_the_version_is_10x_as_the_ecosystem_pins() -> None:
    from packaging.version import Version

    assert (
        Version("10") <= Version(esi.__version__) < Version("11")
    )  # Alliance Auth 5: >=10; eveuniverse 2: >=8,<11


# --- Token ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_refresh_token_may_be_none_again() -> None:
    token = Token.objects.create(character_id=ADA, character_name="Ada", access_token="x", refresh_token=None)
    token.refresh_from_db()
    assert token.refresh_token is None and not token.can_refresh
    with pytest.raises(TokenExpiredError):
        Token.objects.filter(pk=token.pk).update(expiry=timezone.now() - datetime.timedelta(minutes=1))
        Token.objects.get(pk=token.pk).valid_access_token()


@pytest.mark.django_db
@pytest.mark.parametrize("refresh_token", [None, ""])
def test_cleanup_token_deletes_expired_tokens_that_cannot_refresh(
    refresh_token: str | None, fake_esi: Any
) -> None:
    from esi import tasks

    dead = Token.objects.create(
        character_id=ADA, character_name="Ada", access_token="x", refresh_token=refresh_token
    )
    alive = Token.objects.create(
        character_id=ADA, character_name="Ada", access_token="y", refresh_token=refresh_token
    )
    Token.objects.filter(pk=dead.pk).update(expiry=timezone.now() - datetime.timedelta(minutes=1))
    assert tasks.cleanup_token.apply().get() == {"not_refreshable": 1}
    assert list(Token.objects.values_list("pk", flat=True)) == [alive.pk]


@pytest.mark.django_db
def test_get_token_data_has_the_keys_of_8x_and_2x(fake_esi: Any, esi_token_factory: Any) -> None:
    token = esi_token_factory(character_id=ADA, character_name="Ada Quickfoot", scopes=[SKILLS])
    data = Token.get_token_data(token.access_token)
    assert data is not None
    assert data["character_id"] == data["CharacterID"] == ADA and data["token_type"] == "character"
    assert data["name"] == data["CharacterName"] == "Ada Quickfoot"
    assert data["owner"] == data["CharacterOwnerHash"] == token.character_owner_hash
    assert (
        data["TokenType"] == "Character"
        and data["Scopes"] == SKILLS
        and data["sub"] == f"CHARACTER:EVE:{ADA}"
    )


@pytest.mark.django_db
def test_get_token_data_of_a_forged_token_is_none(fake_esi: Any) -> None:
    import jwt

    forged = jwt.encode(
        {"sub": f"CHARACTER:EVE:{ADA}", "exp": 2**40},
        "a forger's key, long enough for HS256 (32 bytes)",
        algorithm="HS256",
    )
    assert Token.get_token_data(forged) is None


@pytest.mark.django_db
@pytest.mark.parametrize("commit", [True, False])
def test_update_token_data_sets_the_character_and_saves_on_commit(
    commit: bool, fake_esi: Any, esi_token_factory: Any
) -> None:
    token = esi_token_factory(character_id=ADA, character_name="Ada Quickfoot", scopes=[SKILLS])
    Token.objects.filter(pk=token.pk).update(character_name="Old Name", token_type="Corporation")
    token.refresh_from_db()
    token.update_token_data(commit=commit)
    assert token.character_name == "Ada Quickfoot" and token.token_type == "Character"
    assert Token.objects.get(pk=token.pk).character_name == ("Ada Quickfoot" if commit else "Old Name")
    assert fake_esi.sso.calls("token") == []  # not expired: nothing refreshed


@pytest.mark.django_db
def test_update_token_data_refreshes_an_expired_token_first(fake_esi: Any, esi_token_factory: Any) -> None:
    token = esi_token_factory(character_id=ADA, scopes=[SKILLS], expired=True)
    token.update_token_data(commit=False)
    assert not token.expired and [c.grant_type for c in fake_esi.sso.calls("token")] == ["refresh_token"]


@pytest.mark.django_db
def test_update_token_data_of_an_expired_token_without_refresh_token(fake_esi: Any) -> None:
    token = Token.objects.create(character_id=ADA, character_name="Ada", access_token="x", refresh_token=None)
    token.expiry = timezone.now() - datetime.timedelta(minutes=1)
    with pytest.raises(TokenExpiredError):
        token.update_token_data()


@pytest.mark.django_db
@pytest.mark.parametrize("fault", [503, "timeout"])
def test_update_token_data_during_an_sso_outage_keeps_the_token(
    fault: Any, fake_esi: Any, esi_token_factory: Any
) -> None:
    token = esi_token_factory(character_id=ADA, scopes=[SKILLS], expired=True)
    fake_esi.sso.inject_fault(fault, times=None, seconds=0.2)
    with override_settings(ESI_SSO_TIMEOUT=0.1):
        with pytest.raises(IncompleteResponseError, match="could not check"):
            token.update_token_data()
    kept = Token.objects.get(pk=token.pk)
    assert (
        kept.refresh_token == token.refresh_token and kept.character_owner_hash == token.character_owner_hash
    )


def test_a_rate_limit_held_back_is_bravados_429_too() -> None:
    import pickle

    from bravado.exception import HTTPTooManyRequests, make_http_exception, status_map

    from esi.bravado_errors import as_http_error
    from esi.errors import RateLimitExceeded

    error = as_http_error(RateLimitExceeded("character-detail spent", 30.2, "char-detail"))
    assert isinstance(error, HTTPTooManyRequests) and isinstance(error, RateLimitExceeded)
    assert (
        error.status_code == 429 and error.group == "char-detail" and str(error) == "character-detail spent"
    )
    assert error.response.headers == {"Retry-After": "31", "X-Ratelimit-Group": "char-detail"}
    assert str(pickle.loads(pickle.dumps(error))) == str(error)
    # bravado's own map of status to class is untouched: a real 429 is bravado's
    assert status_map[429] is HTTPTooManyRequests and 420 not in status_map
    assert type(make_http_exception(error.response)) is HTTPTooManyRequests
