"""factory_boy factories for django-esi's models, with tokens the fake SSO signed.

Each :class:`TokenFactory` token carries a real access token JWT that the fake
SSO signed with its key, with the character, scopes and expiry you choose. When
a fake is active (:func:`use_fake`; the ``fake_esi`` pytest fixture and
:class:`esi_testing.unittest.FakeESITestCase` make theirs active), the token is
registered with that fake's SSO, so ``token.refresh()``, ``valid_access_token()``
on an expired token and ``token.revoke()`` work against it::

    token = TokenFactory(character_id=90000001, scopes=["esi-skills.read_skills.v1"])
    expired = TokenFactory(expired=True)          # refreshes on first use
    TokenFactory(no_refresh_token=True, expired=True)  # raises TokenExpiredError
    TokenFactory(corporation=True)                # token_type "Corporation"
    TokenFactory(single_use=True)                 # bound to no user

Without an active fake the JWT is still signed with the fake SSO's process key
(so a fake started later verifies it), but its refresh token is unknown to any
SSO.
"""

from __future__ import annotations

import datetime
import secrets
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import factory
import jwt
from django.contrib.auth import get_user_model
from django.utils import timezone
from factory.django import DjangoModelFactory

from esi.models import CallbackRedirect, Scope, Token

__all__ = [
    "CallbackRedirectFactory",
    "ScopeFactory",
    "TokenFactory",
    "UserFactory",
    "active_fake",
    "use_fake",
]

_active: list[Any] = []
_active_lock = threading.Lock()


def active_fake() -> Any | None:
    """Return the fake that factories register tokens with, or None."""
    with _active_lock:
        return _active[-1] if _active else None


@contextmanager
def use_fake(fake: Any) -> Iterator[Any]:
    """Make ``fake`` (a :class:`~esi_testing.FakeESI`) the one factories register tokens with."""
    with _active_lock:
        _active.append(fake)
    try:
        yield fake
    finally:
        with _active_lock:
            _active.remove(fake)


class UserFactory(DjangoModelFactory):
    """A Django user (``user1``, ``user2``, ...)."""

    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n + 1}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.com")


class ScopeFactory(DjangoModelFactory):
    """A scope; ``name`` defaults to a made-up ``esi-test.scope_N.v1``."""

    class Meta:
        model = Scope
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"esi-test.scope_{n + 1}.v1")
    help_text = factory.LazyAttribute(lambda o: f"Help text of {o.name}")


def _scope_names(scopes: str | Iterable[str] | None) -> list[str]:
    if scopes is None:
        return []
    if isinstance(scopes, str):
        return scopes.split()
    return [getattr(s, "name", s) for s in scopes]


def _sso_tokens(token: Token, scopes: list[str]) -> dict[str, Any]:
    expires_in = round((token.expiry - timezone.now()).total_seconds())
    fake = active_fake()
    if fake is not None:
        if token.character_id not in fake.sso.characters:
            fake.sso.add_character(token.character_id, token.character_name)
        return fake.issue_tokens(token.character_id, scopes, expires_in=expires_in)
    from esi_testing.fake.sso import mint_access_token, owner_hash_for

    return {
        "access_token": mint_access_token(
            token.character_id,
            scopes,
            name=token.character_name,
            owner_hash=owner_hash_for(token.character_id),
            expires_in=expires_in,
        ),
        "refresh_token": secrets.token_urlsafe(18),
        "expires_in": expires_in,
    }


class TokenFactory(DjangoModelFactory):
    """A token whose access token the fake SSO signed (see the module docstring).

    Parameters: ``character_id``, ``character_name``, ``scopes`` (names, a
    space-delimited string, or Scope objects), ``expires_in`` (seconds; negative
    for an expired token), ``user``. Traits: ``expired``, ``no_refresh_token``,
    ``corporation``, ``single_use`` (no user).
    """

    class Meta:
        model = Token
        skip_postgeneration_save = True

    class Params:
        expires_in = 1199
        expired = factory.Trait(expires_in=-60)
        no_refresh_token = factory.Trait(keep_refresh_token=False)
        keep_refresh_token = True
        corporation = factory.Trait(token_type="Corporation")
        single_use = factory.Trait(user=None)

    user = factory.SubFactory(UserFactory)
    character_id = factory.Sequence(lambda n: 90000001 + n)
    character_name = factory.LazyAttribute(lambda o: f"Test Pilot {o.character_id}")
    token_type = "Character"
    expiry = factory.LazyAttribute(lambda o: timezone.now() + datetime.timedelta(seconds=int(o.expires_in)))
    # Filled in by the ``scopes`` hook, once the scopes are known.
    access_token = ""
    refresh_token = factory.LazyAttribute(lambda o: "pending" if o.keep_refresh_token else "")
    character_owner_hash = ""

    @factory.post_generation
    def scopes(obj: Token, create: bool, extracted: Any, **kwargs: Any) -> None:  # noqa: N805
        """Sign the tokens with the scopes given (``scopes=[...]``) and attach the Scope rows."""
        names = _scope_names(extracted)
        issued = _sso_tokens(obj, names)
        obj.access_token = issued["access_token"]
        if obj.refresh_token:
            obj.refresh_token = issued["refresh_token"]
        claims = jwt.decode(obj.access_token, options={"verify_signature": False})
        obj.character_owner_hash = str(claims["owner"])
        if create:
            obj.save(update_fields=["access_token", "refresh_token", "character_owner_hash"])
            if names:
                obj.scopes.set([Scope.objects.get_or_create(name=name)[0] for name in names])


class CallbackRedirectFactory(DjangoModelFactory):
    """A login in progress: session key, state and return URL."""

    class Meta:
        model = CallbackRedirect

    session_key = factory.Sequence(lambda n: f"session{n + 1:028d}")
    state = factory.Sequence(lambda n: f"state-{n + 1}")
    url = "/"
