"""10.x helpers, tasks and the ``esi.tests`` test helpers that downstream suites import."""

from __future__ import annotations

import socket
from typing import Any

import jwt
import pytest

from esi import tasks
from esi.helpers import get_token
from esi.models import Token
from esi.tests import GuardedSocket, NoSocketsTestCase, SocketAccessError, _generate_token, _store_as_Token
from esi.tests.factories_2 import ScopeFactory, TokenFactory, UserFactory
from esi.tests.jwt_factory import generate_jwk, generate_token
from esi_testing.factories import TokenFactory as SignedTokenFactory

SKILLS = "esi-skills.read_skills.v1"


@pytest.mark.django_db
def test_get_token_returns_a_valid_token_with_the_scopes_or_raises() -> None:
    token = SignedTokenFactory(character_id=90000001, scopes=[SKILLS])
    SignedTokenFactory(character_id=90000001, scopes=["esi-assets.read_assets.v1"])
    assert get_token(90000001, [SKILLS]) == token
    with pytest.raises(Token.DoesNotExist, match="character_id=90000002"):
        get_token(90000002, [SKILLS])


@pytest.mark.django_db
def test_factories_2_token_is_signed_for_a_random_character_of_a_new_user() -> None:
    scope = ScopeFactory(name=SKILLS)
    token = TokenFactory(scopes=[scope])
    assert 90_000_000 <= token.character_id <= 98_000_000
    assert token.user.email.endswith("@example.com") and "_" in token.user.username
    claims = jwt.decode(token.access_token, options={"verify_signature": False})
    assert claims["sub"] == f"CHARACTER:EVE:{token.character_id}" and claims["scp"] == SKILLS
    assert list(token.scopes.values_list("name", flat=True)) == [SKILLS]
    assert ScopeFactory(name=SKILLS) == scope
    assert UserFactory().pk != token.user.pk


@pytest.mark.django_db
def test_factories_2_token_is_signed_even_when_a_subclass_replaces_the_scopes_hook() -> None:
    import factory

    class MemberauditStyle(TokenFactory):
        @factory.post_generation
        def scopes(self, create: bool, extracted: Any, **kwargs: Any) -> None:
            for name in extracted or ():
                self.scopes.add(ScopeFactory(name=name))

    token = MemberauditStyle(scopes=[SKILLS])
    assert jwt.decode(token.access_token, options={"verify_signature": False})["name"] == token.character_name
    assert token.refresh_token and token.character_owner_hash


@pytest.mark.django_db
def test_generate_token_and_store_as_token() -> None:
    data = _generate_token(1001, "Bruce Wayne", scopes=[SKILLS])
    assert data["scp"] == [SKILLS] and data["name"] == "Bruce Wayne" and data["ExpiresOn"][10] == "T"
    stored = _store_as_Token(data, UserFactory())
    assert (stored.character_id, stored.character_name) == (1001, "Bruce Wayne")
    assert list(stored.scopes.values_list("name", flat=True)) == [SKILLS]


def test_jwt_factory_tokens_verify_against_its_jwk() -> None:
    token, claims = generate_token(1001, "Bruce Wayne")
    key = jwt.PyJWK(generate_jwk()).key
    decoded = jwt.decode(
        token, key, algorithms=["RS256"], audience="EVE Online", issuer="login.eveonline.com"
    )
    assert decoded == claims and claims["name"] == "Bruce Wayne"


def test_guarded_socket_allows_loopback_only() -> None:
    assert GuardedSocket._address_is_loopback(("127.0.0.1", 80))
    assert not GuardedSocket._address_is_loopback(("8.8.8.8", 53))
    with GuardedSocket(socket.AF_INET, socket.SOCK_STREAM) as guarded, pytest.raises(SocketAccessError):
        guarded.connect(("192.0.2.1", 80))


class TestNoSocketsTestCase(NoSocketsTestCase):
    def test_the_network_is_refused_inside(self) -> None:
        self.assertIs(socket.socket, GuardedSocket)


@pytest.mark.django_db
def test_cleanup_token_subset_refreshes_a_fraction_of_the_expired(fake_esi: Any) -> None:
    expired = [SignedTokenFactory(expired=True) for _ in range(4)]
    fresh = SignedTokenFactory()
    counts = tasks.cleanup_token_subset.apply(kwargs={"fraction": 2}).get()
    assert sum(counts.values()) == 2
    assert Token.objects.get_expired().count() == 2
    assert Token.objects.filter(pk=fresh.pk).exists() and len(expired) == 4


@pytest.mark.django_db
def test_refresh_or_delete_token(fake_esi: Any) -> None:
    token = SignedTokenFactory(expired=True)
    assert tasks.refresh_or_delete_token.apply(args=[token.pk]).get() == "refreshed"
    assert not Token.objects.get_expired().filter(pk=token.pk).exists()
    assert tasks.refresh_or_delete_token.apply(args=[token.pk + 1000]).get() == "gone"
