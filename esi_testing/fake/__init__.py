"""The fake ESI and the fake EVE SSO, split as moto splits a fake service.

Modules:

* ``backend.py``: the fake ESI's state, no HTTP (data pack, faults, limits, journal);
* ``routes.py``: the route table built from a spec snapshot (``params.py``: its parameters and rate limits);
* ``app.py``: the WSGI app that answers as ESI does;
* ``universe.py``: the entities behind every operation (the data pack's, then generated from their id);
* ``lookups.py``: the reads the universe answers (names, ids, affiliation, members...);
* ``writes.py``: what writes did (fittings, contacts, mail, calendar, fleets);
* ``shaping.py``: a record adapted to the schema of the spec answering;
* ``faults.py``, ``journal.py``, ``limits.py``: injected faults, the journal, error and rate limits;
* ``guard.py``: what both apps accept before answering (sizes, JSON shape, control origin);
* ``tokens.py``: keys, JWKS and access tokens as EVE SSO signs them (no state);
* ``sso.py``: the fake SSO's state, no HTTP (clients, characters, codes, refresh tokens, faults, journal);
* ``sso_app.py``: the WSGI app that answers as EVE SSO does;
* ``server.py``: :class:`~esi_testing.fake.server.FakeESIServer`, any WSGI app on loopback;
* ``inprocess.py``: :class:`~esi_testing.fake.inprocess.InProcessTransport`, any WSGI app
  behind ``responses``, so ``requests`` is answered without sockets;
* ``faked.py``: :class:`~esi_testing.FakeESI`, the public object tying them together.

Transport faults. A fake WSGI app that must not answer (a dropped connection, a
timeout) raises one of the exceptions below instead of returning a response. Each
transport turns it into what a client sees on a real network:

===================  =====================================  ==========================================
raised by the app    server mode (loopback socket)          in-process mode (``responses``)
===================  =====================================  ==========================================
``DropConnection``   the socket is closed, no response      ``requests.ConnectionError`` is raised
``HoldConnection``   nothing is sent for ``seconds``, then  ``requests.ReadTimeout`` is raised at once
                     the socket is closed
===================  =====================================  ==========================================

Under werkzeug's test ``Client`` the exception simply propagates.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

__all__ = ["ConnectionFault", "DropConnection", "HoldConnection", "Switchable"]

_S = TypeVar("_S", bound="Switchable")


class ConnectionFault(Exception):
    """Base of the exceptions a fake app raises to make its transport misbehave."""


class DropConnection(ConnectionFault):
    """Close the connection without sending a response."""


class HoldConnection(ConnectionFault):
    """Send nothing for ``seconds``, then close the connection (a client times out)."""

    def __init__(self, seconds: float = 30.0) -> None:
        super().__init__(f"hold the connection for {seconds} s")
        self.seconds = seconds


class Switchable:
    """Something with idempotent ``start()``/``stop()`` that is also a context manager and a decorator."""

    def start(self) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def stop(self) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def __enter__(self: _S) -> _S:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __call__(self, func: Callable[..., Any]) -> Callable[..., Any]:
        """Decorate a function so that it runs started, and stopped afterwards."""

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with self:
                return func(*args, **kwargs)

        return wrapper
