"""Token factories: real JWTs signed by the fake SSO; refresh and revoke work against it."""

from __future__ import annotations

import jwt
import pytest

from esi.errors import TokenExpiredError
from esi.models import Token
from esi_testing.factories import CallbackRedirectFactory, ScopeFactory, TokenFactory, active_fake

pytestmark = pytest.mark.django_db


def test_token_carries_a_jwt_the_fake_sso_signed(fake_esi):
    token = TokenFactory(
        character_id=90000001, scopes=["esi-skills.read_skills.v1", "esi-assets.read_assets.v1"]
    )
    claims = fake_esi.sso.verify(token.access_token)
    assert claims["sub"] == "CHARACTER:EVE:90000001"
    assert sorted(claims["scp"]) == ["esi-assets.read_assets.v1", "esi-skills.read_skills.v1"]
    assert claims["owner"] == token.character_owner_hash
    assert sorted(token.scopes.values_list("name", flat=True)) == sorted(claims["scp"])
    assert Token.objects.require_scopes("esi-skills.read_skills.v1").get() == token


def test_expired_token_refreshes_through_the_fake_sso(fake_esi):
    token = TokenFactory(expired=True, scopes="esi-skills.read_skills.v1")
    old_access, old_refresh = token.access_token, token.refresh_token
    assert token.expired
    access = token.valid_access_token()
    assert access != old_access and token.refresh_token != old_refresh
    assert not fake_esi.sso.is_live(old_refresh) and fake_esi.sso.is_live(token.refresh_token)
    assert len(fake_esi.sso.calls("token", grant_type="refresh_token")) == 1


def test_traits(fake_esi):
    with pytest.raises(TokenExpiredError):
        TokenFactory(expired=True, no_refresh_token=True).valid_access_token()
    assert TokenFactory(corporation=True).token_type == "Corporation"
    assert TokenFactory(single_use=True).user is None


def test_revoke_reaches_the_fake_sso(fake_esi):
    token = TokenFactory()
    refresh = token.refresh_token
    token.revoke()
    assert not fake_esi.sso.is_live(refresh)


def test_without_an_active_fake_the_jwt_is_still_signed_by_the_fake_key():
    from esi_testing import FakeESI

    assert active_fake() is None
    token = TokenFactory(character_id=90000009, scopes=["esi-skills.read_skills.v1"])
    assert (
        jwt.decode(token.access_token, options={"verify_signature": False})["scp"]
        == "esi-skills.read_skills.v1"
    )
    with FakeESI() as fake:
        fake.sso.add_character(90000009, token.character_name)
        assert fake.sso.verify(token.access_token)["sub"] == "CHARACTER:EVE:90000009"


def test_scope_and_callback_factories():
    assert ScopeFactory(name="esi-x.y.v1").help_text == "Help text of esi-x.y.v1"
    redirect = CallbackRedirectFactory()
    assert redirect.state.startswith("state-") and redirect.url == "/"


def test_reset_keeps_the_fakes_client_so_tokens_still_refresh():
    from esi_testing import FakeESI

    with FakeESI(client_id="my-client", client_secret="my-secret") as fake:
        fake.reset()
        assert "my-client" in fake.sso.clients
        tokens = fake.issue_tokens(90000001, ["esi-skills.read_skills.v1"])
        assert fake.sso.is_live(tokens["refresh_token"])
