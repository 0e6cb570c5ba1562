# ruff: noqa: F811  (pytest fixtures imported from tests.test_sso_fixtures)
"""TokenQuerySet and TokenManager against the fake EVE SSO."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from esi.errors import InvalidGrant, SSOUnavailable
from esi.managers import MAX_CONSECUTIVE_OUTAGES, TokenQuerySet, TokenQueryset, scope_names
from esi.models import CallbackRedirect, Scope, Token
from esi.signals import token_created
from esi_testing.fake.sso import FakeSSO
from tests.test_sso_fixtures import CHARACTER_ID, CLIENT_ID, SKILLS, WALLET, fake_sso, make_token  # noqa: F401

pytestmark = pytest.mark.django_db

MAIL = "esi-mail.read_mail.v1"


def _code(fake_sso: FakeSSO, scopes: tuple[str, ...] = (SKILLS,), character_id: int = CHARACTER_ID) -> str:
    return fake_sso.authorize(
        client_id=CLIENT_ID,
        redirect_uri="http://testserver/sso/callback/",
        scopes=scopes,
        character_id=character_id,
    )


def test_scope_names_accepts_every_2x_spelling() -> None:
    assert scope_names(None) == set() == scope_names("")
    assert scope_names(f"{SKILLS} {WALLET}") == {SKILLS, WALLET}
    assert scope_names([SKILLS, WALLET]) == {SKILLS, WALLET}
    assert scope_names([f"{SKILLS} {WALLET}"]) == {SKILLS, WALLET}
    assert scope_names((Scope(name=SKILLS),)) == {SKILLS}


def test_queryset_keeps_its_2x_name() -> None:
    assert TokenQueryset is TokenQuerySet
    assert isinstance(Token.objects.all(), TokenQuerySet)


def test_require_scopes(fake_sso: FakeSSO) -> None:
    skills = make_token(fake_sso, scopes=(SKILLS,))
    both = make_token(fake_sso, character_id=90000002, scopes=(SKILLS, WALLET))
    bare = make_token(fake_sso, character_id=90000003, scopes=())

    assert set(Token.objects.require_scopes([SKILLS])) == {skills, both}
    assert set(Token.objects.require_scopes(SKILLS)) == {skills, both}
    assert set(Token.objects.require_scopes(f"{WALLET} {SKILLS}")) == {both}
    assert set(Token.objects.require_scopes([f"{WALLET} {SKILLS}"])) == {both}
    assert set(Token.objects.require_scopes([WALLET, MAIL])) == set()  # MAIL is unknown
    assert set(Token.objects.require_scopes("")) == {bare}  # as 2.x: tokens without scopes
    assert set(Token.objects.filter(character_id=CHARACTER_ID).require_scopes(SKILLS)) == {skills}


def test_require_scopes_exact(fake_sso: FakeSSO) -> None:
    skills = make_token(fake_sso, scopes=(SKILLS,))
    both = make_token(fake_sso, character_id=90000002, scopes=(SKILLS, WALLET))
    assert set(Token.objects.require_scopes_exact(SKILLS)) == {skills}
    assert set(Token.objects.require_scopes_exact([WALLET, SKILLS])) == {both}
    assert set(Token.objects.require_scopes_exact(WALLET)) == set()


def test_equivalent_to(fake_sso: FakeSSO, settings) -> None:
    settings.ESI_ALWAYS_CREATE_TOKEN = True
    user, other = User.objects.create_user("a"), User.objects.create_user("b")
    token = make_token(fake_sso, user=user)
    same = make_token(fake_sso, user=user)
    userless = make_token(fake_sso)
    make_token(fake_sso, user=other)
    make_token(fake_sso, user=user, scopes=(SKILLS, WALLET))
    make_token(fake_sso, user=user, character_id=90000002)
    assert set(Token.objects.equivalent_to(token)) == {same, userless}


def test_get_expired(fake_sso: FakeSSO) -> None:
    fresh = make_token(fake_sso)
    expired = make_token(fake_sso, character_id=90000002, expired=True)
    assert list(Token.objects.get_expired()) == [expired]
    assert fresh not in Token.objects.get_expired()


def test_require_valid_refreshes_expired_and_leaves_out_what_fails(fake_sso: FakeSSO) -> None:
    fresh = make_token(fake_sso)
    expired = make_token(fake_sso, character_id=90000002, expired=True)
    revoked = make_token(fake_sso, character_id=90000003, expired=True)
    fake_sso.revoke(revoked.refresh_token, client_id=CLIENT_ID, client_secret="test-client-secret")
    hand_made = Token.objects.create(
        character_id=90000004,
        character_name="x",
        access_token="x",
        expiry=timezone.now() - timedelta(hours=1),
    )

    valid = set(Token.objects.require_valid())

    assert valid == {fresh, expired}
    assert not Token.objects.get(pk=expired.pk).expired
    assert not Token.objects.filter(pk=revoked.pk).exists()  # invalid_grant: deleted
    assert Token.objects.filter(pk=hand_made.pk).exists()  # not refreshable: kept, left out


def test_bulk_refresh_goes_on_after_an_outage_and_keeps_the_token(fake_sso: FakeSSO) -> None:
    tokens = [make_token(fake_sso, character_id=90000001 + i, expired=True) for i in range(4)]
    before = {t.pk: t.refresh_token for t in tokens}
    fake_sso.inject_fault(503)  # the first refresh fails

    usable = set(Token.objects.all().bulk_refresh())

    assert Token.objects.count() == 4
    failed = [t for t in Token.objects.all() if t.refresh_token == before[t.pk]]
    assert len(failed) == 1 and failed[0].expired and fake_sso.is_live(failed[0].refresh_token)
    assert usable == set(Token.objects.exclude(pk=failed[0].pk))


def test_bulk_refresh_stops_while_sso_is_down_and_loses_nothing(fake_sso: FakeSSO) -> None:
    tokens = [make_token(fake_sso, character_id=90000001 + i, expired=True) for i in range(6)]
    fake_sso.inject_fault(503, times=None)

    assert list(Token.objects.all().bulk_refresh()) == []

    assert len(fake_sso.calls("token", grant_type="refresh_token")) == MAX_CONSECUTIVE_OUTAGES
    assert {t.refresh_token for t in Token.objects.all()} == {t.refresh_token for t in tokens}


def test_refresh_expired_counts_outcomes(fake_sso: FakeSSO) -> None:
    make_token(fake_sso)
    make_token(fake_sso, character_id=90000002, expired=True)
    revoked = make_token(fake_sso, character_id=90000003, expired=True)
    fake_sso.revoke(revoked.refresh_token, client_id=CLIENT_ID, client_secret="test-client-secret")
    assert Token.objects.refresh_expired() == {"refreshed": 1, "invalid": 1}
    assert Token.objects.refresh_expired() == {}


def test_refresh_expired_limit_takes_the_stalest(fake_sso: FakeSSO) -> None:
    older = make_token(fake_sso, expired=True)
    newer = make_token(fake_sso, character_id=90000002, expired=True)
    Token.objects.filter(pk=older.pk).update(expiry=timezone.now() - timedelta(days=1))
    assert Token.objects.refresh_expired(limit=1) == {"refreshed": 1}
    assert not Token.objects.get(pk=older.pk).expired
    assert Token.objects.get(pk=newer.pk).expired


def test_refresh_pk(fake_sso: FakeSSO) -> None:
    token = make_token(fake_sso, expired=True)
    assert Token.objects.refresh_pk(token.pk) == "refreshed"
    assert Token.objects.refresh_pk(token.pk + 100) == "gone"
    Token.objects.filter(pk=token.pk).update(expiry=timezone.now())
    fake_sso.inject_fault("drop")
    with pytest.raises(SSOUnavailable):
        Token.objects.refresh_pk(token.pk)


# --- create_from_code -------------------------------------------------------


def test_create_from_code_stores_the_token_and_its_scopes(fake_sso: FakeSSO) -> None:
    user = User.objects.create_user("pilot")
    created = []
    token_created.connect(receiver := lambda **kw: created.append(kw))
    try:
        token = Token.objects.create_from_code(_code(fake_sso, (SKILLS, WALLET)), user=user)
    finally:
        token_created.disconnect(receiver)

    assert token.pk and token.user == user and token.character_id == CHARACTER_ID
    assert token.character_owner_hash == fake_sso.character(CHARACTER_ID).owner_hash
    assert sorted(token.scopes.values_list("name", flat=True)) == [SKILLS, WALLET]
    assert Scope.objects.get(name=WALLET).help_text == "Read character wallet"
    assert fake_sso.is_live(token.refresh_token)
    assert [(c["token"], c["user"], c["created"]) for c in created] == [(token, user, True)]


def test_an_equivalent_token_is_updated_not_duplicated(fake_sso: FakeSSO) -> None:
    user = User.objects.create_user("pilot")
    first = Token.objects.create_from_code(_code(fake_sso), user=user)
    second = Token.objects.create_from_code(_code(fake_sso), user=user)
    assert second.pk == first.pk
    assert Token.objects.count() == 1
    assert Token.objects.get().refresh_token == second.refresh_token != first.refresh_token
    # other scopes or another user: a new token
    Token.objects.create_from_code(_code(fake_sso, (SKILLS, WALLET)), user=user)
    Token.objects.create_from_code(_code(fake_sso), user=None)
    assert Token.objects.count() == 3


def test_always_create_token(fake_sso: FakeSSO, settings) -> None:
    settings.ESI_ALWAYS_CREATE_TOKEN = True
    Token.objects.create_from_code(_code(fake_sso))
    Token.objects.create_from_code(_code(fake_sso))
    assert Token.objects.count() == 2


def test_a_failed_exchange_stores_nothing(fake_sso: FakeSSO) -> None:
    with pytest.raises(InvalidGrant):
        Token.objects.create_from_code("forged")
    fake_sso.inject_fault(502)
    with pytest.raises(SSOUnavailable):
        Token.objects.create_from_code(_code(fake_sso))
    assert Token.objects.count() == 0 and Scope.objects.count() == 0


def test_a_jwt_for_another_application_stores_nothing(fake_sso: FakeSSO, settings) -> None:
    code = _code(fake_sso)
    fake_sso.add_client("another-app", "another-secret")
    settings.ESI_SSO_CLIENT_ID, settings.ESI_SSO_CLIENT_SECRET = "another-app", "another-secret"
    # the code was issued to test-client-id: SSO refuses it for another client
    with pytest.raises(InvalidGrant):
        Token.objects.create_from_code(code)
    assert Token.objects.count() == 0


def test_delete_stale_callback_redirects() -> None:
    old = CallbackRedirect.objects.create(session_key="old", state="s1")
    CallbackRedirect.objects.filter(pk=old.pk).update(created=timezone.now() - timedelta(seconds=301))
    CallbackRedirect.objects.create(session_key="new", state="s2")
    assert CallbackRedirect.objects.delete_stale() == 1
    assert list(CallbackRedirect.objects.values_list("session_key", flat=True)) == ["new"]
    assert CallbackRedirect.objects.delete_stale(max_age=0) == 1


# --- query counts -----------------------------------------------------------


def test_no_n_plus_one_for_100_tokens(fake_sso: FakeSSO, django_assert_num_queries) -> None:
    user = User.objects.create_user("pilot")
    skills, wallet = (
        Scope.objects.create(name=SKILLS, help_text=""),
        Scope.objects.create(name=WALLET, help_text=""),
    )
    tokens = Token.objects.bulk_create(
        Token(
            user=user, character_id=90000000 + i, character_name=f"c{i}", access_token="a", refresh_token="r"
        )
        for i in range(100)
    )
    Token.scopes.through.objects.bulk_create(
        Token.scopes.through(token_id=t.pk, scope_id=s.pk) for t in tokens for s in (skills, wallet)
    )

    # 1: which are expired; 2: the tokens; 3: their scopes
    with django_assert_num_queries(3):
        found = list(
            Token.objects.filter(user=user)
            .require_scopes([SKILLS, WALLET])
            .require_valid()
            .prefetch_related("scopes")
        )
        names = {s.name for t in found for s in t.scopes.all()}
    assert len(found) == 100 and names == {SKILLS, WALLET}
    with django_assert_num_queries(1):
        assert Token.objects.require_scopes_exact([SKILLS, WALLET]).count() == 100
