"""factory_boy factories with django-esi 10.x's names, on esi_testing's factories.

``TokenFactory`` gives each token a random user and character (as 10.x does)
and an access token that is a real JWT signed with the fake SSO's key, so the
token also works against :class:`esi_testing.FakeESI`. ``scopes=`` takes Scope
objects or scope names.
"""

from __future__ import annotations

import secrets

import factory
import factory.fuzzy

from esi_testing import factories as base
from esi_testing.fake.tokens import mint_access_token, owner_hash_for

__all__ = ["CallbackRedirectFactory", "ScopeFactory", "TokenFactory", "UserFactory"]


class UserFactory(base.UserFactory):
    """A user with a made-up name (``first_last``) and e-mail."""

    class Meta:
        django_get_or_create = ("username",)

    class Params:
        full_name = factory.Faker("name")

    username = factory.LazyAttribute(lambda o: o.full_name.replace(" ", "_"))  # type: ignore[assignment]
    first_name = factory.LazyAttribute(lambda o: o.full_name.split(" ")[0])
    last_name = factory.LazyAttribute(lambda o: o.full_name.split(" ")[-1])
    email = factory.LazyAttribute(lambda o: f"{o.first_name.lower()}.{o.last_name.lower()}@example.com")


class ScopeFactory(base.ScopeFactory):
    """A scope; ``ScopeFactory(name="esi-...")`` returns the existing one when there is one."""


class TokenFactory(base.TokenFactory):
    """A token of a random character of a new user, signed by the fake SSO (see the module docstring)."""

    user = factory.SubFactory(UserFactory)
    character_id = factory.fuzzy.FuzzyInteger(low=90_000_000, high=98_000_000)  # type: ignore[assignment]
    character_name = factory.Faker("name")  # type: ignore[assignment]
    # Signed even when a subclass replaces the ``scopes`` hook (which re-signs with the scopes).
    access_token = factory.LazyAttribute(  # type: ignore[assignment]
        lambda o: mint_access_token(o.character_id, (), name=o.character_name, expires_in=int(o.expires_in))
    )
    refresh_token = factory.LazyAttribute(lambda o: secrets.token_urlsafe(18) if o.keep_refresh_token else "")
    character_owner_hash = factory.LazyAttribute(lambda o: owner_hash_for(o.character_id))  # type: ignore[assignment]


class CallbackRedirectFactory(base.CallbackRedirectFactory):
    """A login in progress."""
