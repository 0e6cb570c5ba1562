# ruff: noqa: F811  (pytest fixtures imported from tests.test_sso_fixtures)
"""Token, Scope and CallbackRedirect against the fake EVE SSO."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from esi import sso
from esi.errors import (
    HTTPForbidden,
    NotRefreshableTokenError,
    SSOError,
    SSOUnavailable,
    TokenError,
    TokenExpiredError,
    TokenInvalidError,
)
from esi.models import CallbackRedirect, Scope, Token
from esi.signals import token_invalidated, token_refreshed
from esi_testing.fake.sso import FakeSSO
from tests.test_sso_fixtures import CHARACTER_ID, SKILLS, WALLET, fake_sso, make_token  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def received() -> Iterator[dict[str, list[dict]]]:
    """Collect the token_refreshed and token_invalidated signals sent during a test."""
    got: dict[str, list[dict]] = {"refreshed": [], "invalidated": []}

    def on_refreshed(**kwargs: object) -> None:
        got["refreshed"].append(kwargs)

    def on_invalidated(**kwargs: object) -> None:
        got["invalidated"].append(kwargs)

    token_refreshed.connect(on_refreshed)
    token_invalidated.connect(on_invalidated)
    yield got
    token_refreshed.disconnect(on_refreshed)
    token_invalidated.disconnect(on_invalidated)


def test_scope_friendly_name() -> None:
    assert Scope(name="esi-skills.read_skillqueue.v1").friendly_name == "read skillqueue"
    assert Scope(name="publicData").friendly_name == "publicData"
    assert str(Scope(name="publicData")) == "publicData"


def test_token_str_and_repr(fake_sso: FakeSSO) -> None:
    token = make_token(fake_sso, scopes=(WALLET, SKILLS))
    assert str(token) == f"{token.character_name} - {SKILLS}, {WALLET}"
    assert repr(token) == f"<Token(id={token.pk}): {CHARACTER_ID}, {token.character_name}>"


def test_a_fresh_token_is_used_without_calling_sso(fake_sso: FakeSSO) -> None:
    token = make_token(fake_sso)
    assert not token.expired
    assert token.valid_access_token() == token.access_token
    assert fake_sso.calls("token") == []


def test_an_expired_token_is_refreshed_and_saved(fake_sso: FakeSSO, received: dict) -> None:
    token = make_token(fake_sso, expired=True)
    old_access, old_refresh = token.access_token, token.refresh_token
    assert token.expired

    access = token.valid_access_token()

    assert access != old_access
    stored = Token.objects.get(pk=token.pk)
    assert (stored.access_token, stored.refresh_token) == (access, token.refresh_token)
    assert stored.refresh_token != old_refresh and fake_sso.is_live(stored.refresh_token)
    assert stored.expiry == token.expiry > timezone.now() + timedelta(minutes=15)
    assert [r["token"].pk for r in received["refreshed"]] == [token.pk]


def test_refresh_leeway_refreshes_early(fake_sso: FakeSSO, settings) -> None:
    token = make_token(fake_sso)
    Token.objects.filter(pk=token.pk).update(expiry=timezone.now() + timedelta(seconds=20))
    token.refresh_from_db()
    settings.ESI_TOKEN_REFRESH_LEEWAY = 10
    assert not token.expired
    settings.ESI_TOKEN_REFRESH_LEEWAY = 30
    assert token.expired


def test_an_expired_token_without_refresh_token_raises(fake_sso: FakeSSO) -> None:
    token = make_token(fake_sso, expired=True)
    Token.objects.filter(pk=token.pk).update(refresh_token="")
    token.refresh_from_db()
    assert not token.can_refresh
    with pytest.raises(TokenExpiredError):
        token.valid_access_token()
    with pytest.raises(NotRefreshableTokenError):
        token.refresh()


def test_invalid_grant_deletes_the_token_and_signals(fake_sso: FakeSSO, received: dict) -> None:
    token = make_token(fake_sso, expired=True)
    sso.revoke(token.refresh_token)  # the character revoked the app on the EVE website

    with pytest.raises(TokenInvalidError):
        token.valid_access_token()

    assert not Token.objects.filter(pk=token.pk).exists()
    assert [(r["token"].pk, r["reason"]) for r in received["invalidated"]] == [(token.pk, "invalid_grant")]


def test_a_sold_character_deletes_the_token(fake_sso: FakeSSO, received: dict) -> None:
    token = make_token(fake_sso, expired=True)
    Token.objects.filter(pk=token.pk).update(character_owner_hash="previous-owner")
    token.refresh_from_db()

    with pytest.raises(TokenInvalidError, match="changed owner"):
        token.refresh()

    assert not Token.objects.filter(pk=token.pk).exists()
    assert [r["reason"] for r in received["invalidated"]] == ["owner_changed"]


@pytest.mark.parametrize("fault", [503, "drop", "timeout"])
def test_sso_outage_keeps_the_token_untouched(fake_sso: FakeSSO, received: dict, fault: object) -> None:
    token = make_token(fake_sso, expired=True)
    before = Token.objects.filter(pk=token.pk).values().get()
    fake_sso.inject_fault(fault)

    with pytest.raises(SSOUnavailable):
        token.valid_access_token()

    assert Token.objects.filter(pk=token.pk).values().get() == before
    assert received == {"refreshed": [], "invalidated": []}
    assert not isinstance(SSOUnavailable("x"), TokenError)  # 2.x `except TokenError: delete()` stays safe
    token.refresh()  # once SSO is back, the kept refresh token works
    assert not token.expired


def test_rotated_refresh_token_is_kept_when_the_jwks_is_down(fake_sso: FakeSSO) -> None:
    token = make_token(fake_sso, expired=True)
    sent = token.refresh_token
    sso.clear_caches()
    sso.endpoints()
    fake_sso.inject_fault(503, endpoint="jwks")

    with pytest.raises(SSOUnavailable):
        token.refresh()

    stored = Token.objects.get(pk=token.pk)
    assert stored.refresh_token != sent and fake_sso.is_live(stored.refresh_token)
    assert stored.expired  # the unchecked access token was not stored
    stored.refresh()
    assert not stored.expired


def test_refresh_of_a_deleted_token_is_invalid(fake_sso: FakeSSO) -> None:
    token = make_token(fake_sso, expired=True)
    Token.objects.filter(pk=token.pk).delete()
    with pytest.raises(TokenInvalidError):
        token.refresh()


def test_a_stale_instance_takes_the_tokens_another_worker_stored(fake_sso: FakeSSO) -> None:
    token = make_token(fake_sso, expired=True)
    stale = Token.objects.get(pk=token.pk)
    token.refresh()

    stale.refresh()

    assert stale.access_token == token.access_token and stale.refresh_token == token.refresh_token
    assert len(fake_sso.calls("token", grant_type="refresh_token")) == 1


def test_revoke_kills_the_refresh_token_at_sso(fake_sso: FakeSSO) -> None:
    token = make_token(fake_sso)
    token.revoke()
    assert not fake_sso.is_live(token.refresh_token)
    assert Token.objects.filter(pk=token.pk).exists()


def test_revoke_outage_raises(fake_sso: FakeSSO) -> None:
    token = make_token(fake_sso)
    fake_sso.inject_fault(503, endpoint="revoke")
    with pytest.raises(SSOError):
        token.revoke()
    assert fake_sso.is_live(token.refresh_token)


def test_get_token(fake_sso: FakeSSO) -> None:
    token = make_token(fake_sso, scopes=(SKILLS, WALLET))
    assert Token.get_token(CHARACTER_ID, [SKILLS]) == token
    assert Token.get_token(CHARACTER_ID, f"{SKILLS} {WALLET}") == token
    assert Token.get_token(CHARACTER_ID, ["esi-mail.read_mail.v1"]) is False
    assert Token.get_token(CHARACTER_ID + 1, [SKILLS]) is False


def test_a_token_made_by_hand_gets_an_assumed_expiry() -> None:
    token = Token.objects.create(character_id=1, character_name="Hand Made", access_token="x")
    assert timezone.now() + timedelta(minutes=19) < token.expiry < timezone.now() + timedelta(minutes=20)


def test_callback_redirect_str() -> None:
    redirect = CallbackRedirect(session_key="abcdefgh", url="/next/")
    assert str(redirect) == "abcde…: /next/"
    assert "abcde… to /next/" in repr(redirect) and "abcdefgh" not in repr(redirect)


def test_token_follows_its_user(fake_sso: FakeSSO) -> None:
    user = User.objects.create_user("pilot")
    token = make_token(fake_sso, user=user)
    user.delete()
    assert not Token.objects.filter(pk=token.pk).exists()


#: What django-esi 8.4.0 leaves in django_migrations besides 2.x's first six.
MIGRATIONS_OF_8X = (
    "0007_fix_mysql_8_migration",
    "0008_nullable_refresh_token",
    "0009_set_old_tokens_to_sso_v1",
    "0010_set_new_tokens_to_sso_v2",
    "0011_add_token_indices",
    "0012_fix_token_type_choices",
    "0013_squashed_0012_fix_token_type_choices",
)


def test_the_migration_names_of_2x_to_10x_are_in_the_graph() -> None:
    # Other apps' migrations depend on them: Alliance Auth 5 on ("esi", "0012_fix_token_type_choices").
    from django.db.migrations.loader import MigrationLoader

    graph = MigrationLoader(None, ignore_no_migrations=True).graph
    for name in MIGRATIONS_OF_8X:
        assert ("esi", name) in graph.nodes
    assert graph.leaf_nodes("esi") == [("esi", "0007_sso_v2")]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("release", ["2.0.3", "2.0.4"])
def test_a_database_migrated_by_2x_migrates_and_keeps_its_tokens(release: str) -> None:
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor
    from django.db.migrations.recorder import MigrationRecorder
    from django.db.models import TextField

    squash = ("esi", "0001_initial_squashed_0006")
    latest = ("esi", "0007_sso_v2")
    executor = MigrationExecutor(connection)
    executor.migrate([squash])
    # what django-esi 2.x leaves in django_migrations: its six (2.0.3) or eight (2.0.4) migrations
    legacy = MIGRATIONS_OF_8X[:2] if release == "2.0.4" else ()
    recorder = MigrationRecorder(connection)
    recorder.record_unapplied(*squash)
    for _, name in executor.loader.disk_migrations[squash].replaces:
        recorder.record_applied("esi", name)
    for name in legacy:
        recorder.record_applied("esi", name)
    old_apps = executor.loader.project_state(squash).apps
    old_token_model = old_apps.get_model("esi", "Token")
    if legacy:  # ... and what 2.0.4's 0008 did: refresh_token may be NULL
        nullable = TextField(null=True, editable=False)
        nullable.set_attributes_from_name("refresh_token")
        with connection.schema_editor() as editor:
            editor.alter_field(old_token_model, old_token_model._meta.get_field("refresh_token"), nullable)
    old_tokens = old_token_model.objects
    old_token = old_tokens.create(
        character_id=2112000000, character_name="Old", access_token="a", refresh_token="r"
    )
    no_refresh = old_tokens.create(character_id=2112000001, character_name="Older", access_token="b")
    if legacy:
        with connection.cursor() as cursor:
            cursor.execute("UPDATE esi_token SET refresh_token = NULL WHERE id = %s", [no_refresh.pk])
    old_tokens.filter(pk__in=[old_token.pk, no_refresh.pk]).update(
        created=timezone.now() - timedelta(hours=1)
    )

    executor = MigrationExecutor(connection)
    assert squash in executor.loader.applied_migrations
    plan = executor.migration_plan([latest])
    assert [m.name for m, _ in plan] == [*MIGRATIONS_OF_8X[len(legacy) :], "0007_sso_v2"]
    executor.migrate([latest])

    token = Token.objects.get(pk=old_token.pk)
    assert token.expiry == token.created + timedelta(seconds=1170)
    assert token.expired and token.can_refresh
    Token.objects.filter(pk=token.pk).update(character_id=2**40)  # 64-bit ids fit now
    dead = Token.objects.get(pk=no_refresh.pk)
    assert dead.refresh_token == (None if legacy else "") and dead.expired and not dead.can_refresh
    # the 2.x promise: "cleanup_token: if expired and cannot refresh, the model is deleted"
    token.delete()  # (refreshing it would call SSO)
    assert Token.objects.refresh_expired() == {"not_refreshable": 1}
    assert not Token.objects.filter(pk=no_refresh.pk).exists()


@pytest.mark.django_db(transaction=True)
def test_a_database_migrated_by_8x_migrates_and_stores_tokens() -> None:
    # An Alliance Auth 4 site's database (django-esi 8.4.0), built as 8.x's migrations leave it.
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor
    from django.db.migrations.recorder import MigrationRecorder
    from django.db.models import IntegerField

    squash = ("esi", "0001_initial_squashed_0006")
    latest = ("esi", "0007_sso_v2")
    executor = MigrationExecutor(connection)
    executor.migrate([squash])
    recorder = MigrationRecorder(connection)
    recorder.record_unapplied(*squash)
    for _, name in (
        *executor.loader.disk_migrations[squash].replaces,
        *(("esi", n) for n in MIGRATIONS_OF_8X),
    ):
        recorder.record_applied("esi", name)
    model = executor.loader.project_state(squash).apps.get_model("esi", "Token")

    def as_8x(name: str, field: Any = None, **changes: Any) -> tuple[Any, Any]:
        old = model._meta.get_field(name) if field is None else None
        new = field or old.__class__(**{**old.deconstruct()[3], **changes})
        new.set_attributes_from_name(name)
        new.model = model
        return old, new

    with connection.schema_editor() as editor:
        editor.alter_field(model, *as_8x("refresh_token", null=True))
        for name in ("character_id", "character_name", "character_owner_hash"):  # 8.x's 0011
            editor.alter_field(model, *as_8x(name, db_index=True))
        # NOT NULL; Django drops the database default after adding the column
        editor.add_field(model, as_8x("sso_version", IntegerField(default=2))[1])
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO esi_token (created, access_token, refresh_token, character_id, character_name, "
            "token_type, character_owner_hash, sso_version) VALUES (%s, 'a', 'r', 2112000000, 'Eight', "
            "'character', 'hash', 2)",
            [timezone.now() - timedelta(hours=1)],
        )

    executor = MigrationExecutor(connection)
    plan = executor.migration_plan([latest])
    assert [(m.app_label, m.name) for m, _ in plan] == [latest]
    executor.migrate([latest])

    old_token = Token.objects.get(character_id=2112000000)
    assert old_token.token_type == "Character" and old_token.expired and old_token.can_refresh
    new = Token.objects.create(character_id=2**40, character_name="New", access_token="x", refresh_token=None)
    assert Token.objects.filter(character_id=2**40).get() == new


def test_get_esi_client_calls_esi_with_a_refreshed_token() -> None:
    from esi_testing import FakeESI

    sso.clear_caches()
    with FakeESI(mode="inprocess") as fake, fake.override_settings():
        token = make_token(fake.sso, expired=True, scopes=(SKILLS,))
        client = token.get_esi_client()
        skills = client.Skills.get_characters_character_id_skills(character_id=token.character_id).result()
        wallet_only = make_token(fake.sso, character_id=90000002, scopes=(WALLET,))
        with pytest.raises(HTTPForbidden):  # ESI sees the token, and its scopes
            wallet_only.get_esi_client().Skills.get_characters_character_id_skills(
                character_id=90000002
            ).result()
    sso.clear_caches()
    assert isinstance(skills["total_sp"], int)
    assert len(fake.sso.calls("token", grant_type="refresh_token")) == 1
    assert not Token.objects.get(pk=token.pk).expired
