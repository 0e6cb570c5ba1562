# ruff: noqa: F811  (pytest fixtures imported from tests.test_sso_fixtures)
"""esi.sso against the fake EVE SSO: endpoints, JWT validation, JWKS caching, failures."""

from __future__ import annotations

import time

import pytest
import requests
from django.test import override_settings

from esi import sso
from esi.errors import InvalidGrant, InvalidJWT, SSOError, SSOUnavailable
from esi.sso import jwks
from esi_testing.fake.sso import BARE_ISSUER, FakeSSO, mint_access_token
from tests.test_sso_fixtures import CHARACTER_ID, CLIENT_ID, SKILLS, WALLET, fake_sso  # noqa: F401


def _mint(**kwargs: object) -> str:
    kwargs.setdefault("client_id", CLIENT_ID)
    return mint_access_token(CHARACTER_ID, kwargs.pop("scopes", [SKILLS]), **kwargs)  # type: ignore[arg-type]


# --- endpoints -------------------------------------------------------------


def test_endpoints_come_from_the_metadata_document_once(fake_sso: FakeSSO) -> None:
    urls = sso.endpoints()
    assert urls.authorize == "https://login.eveonline.com/v2/oauth/authorize"
    assert urls.jwks == "https://login.eveonline.com/oauth/jwks"
    assert urls.revoke == "https://login.eveonline.com/v2/oauth/revoke"
    sso.endpoints()
    assert len(fake_sso.calls("metadata")) == 1


@override_settings(
    ESI_SSO_AUTHORIZE_URL="https://sso.example/auth",
    ESI_SSO_TOKEN_URL="https://sso.example/token",
    ESI_SSO_REVOKE_URL="https://sso.example/revoke",
    ESI_SSO_JWKS_URL="https://sso.example/jwks",
)
def test_endpoints_from_settings_skip_the_metadata(fake_sso: FakeSSO) -> None:
    assert sso.endpoints().token == "https://sso.example/token"
    assert fake_sso.calls("metadata") == []


@pytest.mark.parametrize(
    "base", ["https://login.eveonline.com/v2/oauth", "https://login.eveonline.com/v2/oauth/"]
)
def test_the_oauth_url_that_8x_and_10x_wrote_as_the_base_url_still_works(
    fake_sso: FakeSSO, base: str
) -> None:
    with override_settings(ESI_SSO_BASE_URL=base):
        urls = sso.endpoints()
    assert urls.authorize == "https://login.eveonline.com/v2/oauth/authorize"
    assert len(fake_sso.calls("metadata")) == 1


@override_settings(
    ESI_SSO_LOGIN_URL="https://sso.example/auth/", ESI_CODE_EXCHANGE_URL="https://sso.example/token"
)
def test_the_2x_to_10x_endpoint_settings_are_honoured(fake_sso: FakeSSO) -> None:
    urls = sso.endpoints()
    assert (urls.authorize, urls.token) == ("https://sso.example/auth/", "https://sso.example/token")
    assert urls.revoke == "https://login.eveonline.com/v2/oauth/revoke"  # the rest from the metadata


@override_settings(
    ESI_SSO_LOGIN_URL="https://old.example/auth/", ESI_SSO_AUTHORIZE_URL="https://new.example/auth"
)
def test_the_current_endpoint_setting_wins_over_the_old_name(fake_sso: FakeSSO) -> None:
    assert sso.endpoints().authorize == "https://new.example/auth"


def test_metadata_outage_is_sso_unavailable(fake_sso: FakeSSO) -> None:
    fake_sso.inject_fault(503, endpoint="metadata")
    with pytest.raises(SSOUnavailable, match="503"):
        sso.endpoints()


def test_authorization_url_has_a_fresh_state_and_no_pkce_with_a_secret(fake_sso: FakeSSO) -> None:
    url1, state1, verifier1 = sso.authorization_url([SKILLS])
    url2, state2, _ = sso.authorization_url([SKILLS])
    assert state1 != state2 and len(state1) >= 20
    assert f"state={state1}" in url1 and f"client_id={CLIENT_ID}" in url1
    assert "code_challenge" not in url1 and verifier1 == ""


@override_settings(ESI_SSO_CLIENT_SECRET=None)
def test_authorization_url_uses_pkce_s256_without_a_secret(fake_sso: FakeSSO) -> None:
    url, _, verifier = sso.authorization_url([SKILLS])
    assert "code_challenge_method=S256" in url and len(verifier) >= 43


@override_settings(ESI_SSO_USE_PKCE=True)
def test_pkce_can_be_forced_with_a_secret(fake_sso: FakeSSO) -> None:
    assert sso.uses_pkce()
    assert "code_challenge=" in sso.authorization_url([])[0]


# --- JWT validation --------------------------------------------------------


def test_valid_jwt_gives_its_claims(fake_sso: FakeSSO) -> None:
    claims = sso.validate_jwt(_mint())
    assert claims["sub"] == f"CHARACTER:EVE:{CHARACTER_ID}"


def test_bare_issuer_is_accepted(fake_sso: FakeSSO) -> None:
    assert sso.validate_jwt(_mint(issuer=BARE_ISSUER))["iss"] == BARE_ISSUER


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"client_id": "someone-else"}, "Audience"),
        ({"extra_claims": {"aud": [CLIENT_ID]}}, "EVE Online"),
        ({"extra_claims": {"aud": CLIENT_ID}}, "EVE Online"),
        ({"extra_claims": {"aud": ["EVE Online"]}}, "Audience"),
        ({"extra_claims": {"iss": "https://evil.example"}}, "Issuer"),
        ({"expires_in": -60}, "Expired"),
        ({"extra_claims": {"exp": None}}, "exp"),
    ],
)
def test_bad_claims_are_refused(fake_sso: FakeSSO, kwargs: dict, message: str) -> None:
    with pytest.raises(InvalidJWT, match=message):
        sso.validate_jwt(_mint(**kwargs))


def test_expiry_gets_no_leeway(fake_sso: FakeSSO) -> None:
    with override_settings(ESI_SSO_JWT_LEEWAY=30), pytest.raises(InvalidJWT, match="Expired"):
        sso.validate_jwt(_mint(expires_in=-10))


def test_a_tampered_jwt_fails_its_signature(fake_sso: FakeSSO) -> None:
    header, payload, signature = _mint().split(".")
    other_payload = _mint(scopes=[SKILLS, WALLET]).split(".")[1]
    with pytest.raises(InvalidJWT, match="Signature"):
        sso.validate_jwt(f"{header}.{other_payload}.{signature}")


@pytest.mark.parametrize("garbage", ["", "not-a-jwt", "a.b.c"])
def test_garbage_is_not_a_jwt(fake_sso: FakeSSO, garbage: str) -> None:
    with pytest.raises(InvalidJWT):
        sso.validate_jwt(garbage)


def test_scp_as_a_single_string_is_one_scope(fake_sso: FakeSSO) -> None:
    issued = fake_sso.issue_tokens(CHARACTER_ID, [SKILLS], client_id=CLIENT_ID)
    assert sso.parse_token_response(issued).scopes == (SKILLS,)
    issued = fake_sso.issue_tokens(CHARACTER_ID, [SKILLS, WALLET], client_id=CLIENT_ID)
    assert sso.parse_token_response(issued).scopes == (SKILLS, WALLET)
    assert sso.parse_token_response(fake_sso.issue_tokens(CHARACTER_ID, [], client_id=CLIENT_ID)).scopes == ()


def test_token_data_comes_from_the_jwt(fake_sso: FakeSSO) -> None:
    issued = fake_sso.issue_tokens(CHARACTER_ID, [SKILLS], client_id=CLIENT_ID, expires_in=600)
    data = sso.parse_token_response(issued)
    assert data.character_id == CHARACTER_ID
    assert data.character_name == fake_sso.character(CHARACTER_ID).name
    assert data.character_owner_hash == fake_sso.character(CHARACTER_ID).owner_hash
    assert data.token_type == "Character"
    assert data.refresh_token == issued["refresh_token"]
    # the real expiry from exp, not an assumed 1170 s
    assert abs(data.expiry.timestamp() - (time.time() + 600)) < 5


# --- JWKS cache ------------------------------------------------------------


def test_jwks_is_fetched_once_while_fresh(fake_sso: FakeSSO) -> None:
    for _ in range(3):
        sso.validate_jwt(_mint())
    assert len(fake_sso.calls("jwks")) == 1


def test_jwks_without_max_age_is_fetched_each_time() -> None:
    sso_ = FakeSSO(jwks_max_age=0)
    from esi_testing.fake.inprocess import InProcessTransport
    from esi_testing.fake.sso_app import SSOApp

    sso.clear_caches()
    with InProcessTransport({"https://login.eveonline.com": SSOApp(sso_)}):
        sso.validate_jwt(_mint())
        sso.validate_jwt(_mint())
    sso.clear_caches()
    assert len(sso_.calls("jwks")) == 2


def test_key_rotation_fetches_the_jwks_again_once(fake_sso: FakeSSO) -> None:
    sso.validate_jwt(_mint())
    generation_kid = fake_sso.rotate_key()
    new_token = fake_sso.issue_tokens(CHARACTER_ID, [SKILLS], client_id=CLIENT_ID)["access_token"]
    assert sso.validate_jwt(new_token)
    assert len(fake_sso.calls("jwks")) == 2
    assert generation_kid.endswith("-1")


def test_unknown_kids_refetch_at_most_once_per_cooldown(fake_sso: FakeSSO) -> None:
    sso.validate_jwt(_mint())
    for generation in (7, 8, 9):
        with pytest.raises(InvalidJWT, match="unknown key id"):
            sso.validate_jwt(_mint(key_generation=generation))
    assert len(fake_sso.calls("jwks")) == 2  # the first fetch, and one forced refetch


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"Cache-Control": "public, max-age=120"}, 120),
        ({"Cache-Control": "no-store"}, 0),
        ({"Cache-Control": "max-age=999999999"}, jwks.JWKS_MAX_MAX_AGE),
        ({"Expires": "Thu, 01 Jan 1970 00:00:00 GMT"}, 0),
        ({"Expires": "garbage"}, 0),
        ({}, jwks.JWKS_DEFAULT_MAX_AGE),
    ],
)
def test_jwks_lifetime_follows_http_caching_headers(headers: dict, expected: float) -> None:
    response = requests.Response()
    response.headers.update(headers)
    assert jwks._max_age(response) == expected


# --- token endpoint failures -----------------------------------------------


@pytest.mark.parametrize("fault", [429, 500, 502, 503, 504, "drop", "timeout"])
def test_outages_are_sso_unavailable(fake_sso: FakeSSO, fault: object) -> None:
    refresh_token = fake_sso.issue_tokens(CHARACTER_ID, [SKILLS], client_id=CLIENT_ID)["refresh_token"]
    sso.endpoints()
    fake_sso.inject_fault(fault)
    with pytest.raises(SSOUnavailable):
        sso.refresh(refresh_token)
    assert fake_sso.is_live(refresh_token)


def test_a_dead_refresh_token_is_invalid_grant(fake_sso: FakeSSO) -> None:
    with pytest.raises(InvalidGrant, match="invalid_grant"):
        sso.refresh("never-issued")


@override_settings(ESI_SSO_CLIENT_SECRET="wrong")
def test_a_wrong_secret_is_an_sso_error_not_invalid_grant(fake_sso: FakeSSO) -> None:
    refresh_token = fake_sso.issue_tokens(CHARACTER_ID, [SKILLS], client_id=CLIENT_ID)["refresh_token"]
    with pytest.raises(SSOError, match="invalid_client") as info:
        sso.refresh(refresh_token)
    assert not isinstance(info.value, (InvalidGrant, SSOUnavailable))


def test_refresh_rotates_and_validates(fake_sso: FakeSSO) -> None:
    refresh_token = fake_sso.issue_tokens(CHARACTER_ID, [SKILLS], client_id=CLIENT_ID)["refresh_token"]
    new = sso.refresh(refresh_token)
    assert new.refresh_token != refresh_token and fake_sso.is_live(new.refresh_token)
    assert not fake_sso.is_live(refresh_token)


def test_revoke_kills_the_refresh_token(fake_sso: FakeSSO) -> None:
    refresh_token = fake_sso.issue_tokens(CHARACTER_ID, [SKILLS], client_id=CLIENT_ID)["refresh_token"]
    sso.revoke(refresh_token)
    assert not fake_sso.is_live(refresh_token)


def test_revoke_outage_is_sso_unavailable(fake_sso: FakeSSO) -> None:
    sso.endpoints()
    fake_sso.inject_fault(502, endpoint="revoke")
    with pytest.raises(SSOUnavailable):
        sso.revoke("anything")


def test_exchange_code_without_code_is_refused(fake_sso: FakeSSO) -> None:
    with pytest.raises(SSOError, match="no authorization code"):
        sso.exchange_code("")


def test_exchange_of_an_unknown_code_is_invalid_grant(fake_sso: FakeSSO) -> None:
    with pytest.raises(InvalidGrant):
        sso.exchange_code("made-up")


PUBLIC_NAMES = {
    "esi.sso": [
        "EVE_AUDIENCE",
        "EVE_ISSUERS",
        "Endpoints",
        "SSOToken",
        "authorization_url",
        "clear_caches",
        "endpoints",
        "exchange_code",
        "parse_token_response",
        "refresh",
        "revoke",
        "uses_pkce",
        "validate_jwt",
    ],
    "esi.models": ["CallbackRedirect", "Scope", "Token", "default_expiry"],
    "esi.managers": [
        "CallbackRedirectManager",
        "TokenManager",
        "TokenQuerySet",
        "TokenQueryset",
        "scope_names",
    ],
    "esi.decorators": [
        "esi_rate_limiter_bucketed",
        "rate_limit_retry_task",
        "rate_limited_task",
        "single_use_token",
        "token_required",
        "tokens_required",
        "wait_for_esi_errorlimit_reset",
    ],
    "esi.views": ["login", "receive_callback", "select_token", "sso_redirect"],
    "esi.signals": ["esi_request_statistics", "token_created", "token_invalidated", "token_refreshed"],
    "esi.tasks": [
        "cleanup_callbackredirect",
        "cleanup_token",
        "cleanup_token_subset",
        "refresh_or_delete_token",
        "refresh_token",
        "revoke_refresh_tokens",
    ],
    "esi.checks": ["check_callback_url", "check_contact_email", "check_sso_settings"],
    "esi.admin": ["CallbackRedirectAdmin", "ScopeAdmin", "TokenAdmin"],
    "esi.debug": [
        "SECRET_BEARING_LOGGERS",
        "DropDebugRecords",
        "SecretsExceptionReporterFilter",
        "install_log_filter",
    ],
}


@pytest.mark.parametrize("module", sorted(PUBLIC_NAMES))
def test_public_names_are_pinned(module: str) -> None:
    import importlib

    imported = importlib.import_module(module)
    assert imported.__all__ == PUBLIC_NAMES[module]
    assert all(hasattr(imported, name) for name in imported.__all__)
