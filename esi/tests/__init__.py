"""Test helpers that downstream suites import from ``esi.tests`` (django-esi 10.x), built on esi_testing.

* :class:`NoSocketsTestCase`: a Django ``TestCase`` in which any connection
  to a host other than loopback raises :class:`SocketAccessError`;
* ``_generate_token()`` / ``_store_as_Token()``: an SSO token response as a
  dict, and that dict stored as a :class:`~esi.models.Token` for a user;
* :mod:`esi.tests.factories_2`: factory_boy factories (``TokenFactory`` signs
  its access token with the fake SSO's key, see :mod:`esi_testing.factories`);
* :mod:`esi.tests.jwt_factory`: EVE SSO-shaped JWTs and the JWK that verifies them.

The project's own tests live in ``tests/``; this package is shipped API.
"""

from __future__ import annotations

import datetime as dt
import socket
from typing import Any

from django.test import TestCase

__all__ = ["GuardedSocket", "NoSocketsTestCase", "SocketAccessError"]

_LOOPBACK = frozenset({"localhost", "127.0.0.1", "::1"})


def _dt_eveformat(value: dt.datetime) -> str:
    """Return a datetime in EVE's format, to the second: ``2019-06-25T19:04:44``."""
    return value.replace(microsecond=0, tzinfo=None).isoformat()


def _generate_token(
    character_id: int,
    character_name: str,
    access_token: str = "access_token",
    refresh_token: str = "refresh_token",
    character_owner_hash: str = "character_owner_hash",
    scopes: Any = None,
    timestamp_dt: dt.datetime | None = None,
    expires_in: int = 1200,
    sso_version: int = 2,
) -> dict[str, Any]:
    """Return the token data EVE SSO would send for a character (as django-esi 10.x's test helper)."""
    if timestamp_dt is None:
        timestamp_dt = dt.datetime.now(dt.timezone.utc)
    if scopes is None:
        scopes = [
            "esi-mail.read_mail.v1",
            "esi-wallet.read_character_wallet.v1",
            "esi-universe.read_structures.v1",
        ]
    return {
        "access_token": access_token,
        "expires_in": expires_in,
        "refresh_token": refresh_token,
        "timestamp": int(timestamp_dt.timestamp()),
        "character_id": character_id,
        "name": character_name,
        "ExpiresOn": _dt_eveformat(timestamp_dt + dt.timedelta(seconds=expires_in)),
        "scp": scopes,
        "token_type": "character",
        "owner": character_owner_hash,
        "IntellectualProperty": "EVE",
        "sso_version": sso_version,
    }


def _store_as_Token(token: dict[str, Any], user: Any) -> Any:  # noqa: N802 - the 10.x name
    """Store a ``_generate_token()`` dict as a Token of ``user``; return it."""
    from esi.models import Scope, Token

    fields = {f.name for f in Token._meta.get_fields()}
    values = {
        "access_token": token["access_token"],
        "refresh_token": token["refresh_token"],
        "user": user,
        "character_id": token["character_id"],
        "character_name": token["name"],
        "token_type": token["token_type"],
        "character_owner_hash": token["owner"],
        "sso_version": token.get("sso_version"),
        "expiry": dt.datetime.fromtimestamp(token["timestamp"], dt.timezone.utc)
        + dt.timedelta(seconds=int(token["expires_in"])),
    }
    obj = Token.objects.create(**{k: v for k, v in values.items() if k in fields})
    scopes = [token["scp"]] if isinstance(token["scp"], str) else token["scp"]
    for name in scopes:
        obj.scopes.add(Scope.objects.get_or_create(name=name)[0])
    return obj


class SocketAccessError(Exception):
    """A test tried to reach the network (a host other than loopback)."""


class GuardedSocket(socket.socket):
    """A socket that connects to loopback only; anything else raises :class:`SocketAccessError`."""

    @staticmethod
    def _address_is_loopback(address: Any) -> bool:
        host = address[0] if isinstance(address, tuple) else address
        if isinstance(host, bytes):
            host = host.decode()
        return host in _LOOPBACK

    def connect(self, address: Any) -> None:
        if not self._address_is_loopback(address):
            raise SocketAccessError(f"Attempt to connect to non-localhost address: {address!r}")
        super().connect(address)


class NoSocketsTestCase(TestCase):
    """A Django TestCase that prevents any network use but loopback.

    Use it as the base of your test case::

        class TestMyStuff(NoSocketsTestCase):
            def test_should_do_what_i_need(self): ...

    A connection to another host raises :class:`SocketAccessError`.
    """

    _socket_original: Any = None

    @classmethod
    def setUpClass(cls) -> None:
        cls._socket_original = socket.socket
        socket.socket = GuardedSocket  # type: ignore[misc]
        super().setUpClass()

    @classmethod
    def tearDownClass(cls) -> None:
        socket.socket = cls._socket_original  # type: ignore[misc]
        super().tearDownClass()
