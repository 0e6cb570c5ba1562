""":class:`FakeESI`: the fake ESI and the fake EVE SSO as one object, in-process or on loopback.

One object is the context manager, the decorator and the owner of idempotent
``start()``/``stop()`` (as ``responses.RequestsMock`` and vcrpy's ``use_cassette``)::

    with FakeESI() as fake:                  # in-process: requests to the real hosts are served
        requests.get("https://esi.evetech.net/latest/status/").json()

    with FakeESI(mode="server") as fake, fake.override_settings():
        requests.get(fake.url + "/latest/status/")  # a real socket on 127.0.0.1

The mode comes from ``mode``, else the ``ESI_FAKE_MODE`` environment variable, else
``"inprocess"``, so CI can run one test suite in both modes. One WSGI app
(:class:`CombinedApp`) answers everything: the SSO's paths (``/.well-known/...``,
``/oauth/jwks``, ``/v2/oauth/...``, ``/_fake/sso/...``) go to the fake SSO, the rest
(ESI's paths and ``/_fake/...``) to the fake ESI. In-process it is mounted on
``https://esi.evetech.net`` and ``https://login.eveonline.com``; as a server, one
loopback port serves both.
"""

from __future__ import annotations

import atexit
import os
import re
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from werkzeug.wrappers import Response

from esi_testing.fake import Switchable
from esi_testing.fake.app import make_app
from esi_testing.fake.backend import DEFAULT_DATA, FakeBackend, Fault, JournalEntry
from esi_testing.fake.guard import CONTROL_BODY_LIMIT, refusal
from esi_testing.fake.images import FakeImageServer
from esi_testing.fake.inprocess import InProcessTransport
from esi_testing.fake.server import FakeESIServer
from esi_testing.fake.sso import (
    DEFAULT_CHARACTER,
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    Character,
    FakeSSO,
    owner_hash_for,
)
from esi_testing.fake.sso_app import SSO_PATHS, SSOApp

__all__ = [
    "ESI_URL",
    "MODES",
    "MODE_ENV",
    "SSO_URL",
    "CombinedApp",
    "FakeESI",
    "parse_duration",
    "temporary_cache_dir",
]

ESI_URL = "https://esi.evetech.net"
SSO_URL = "https://login.eveonline.com"
IMAGES_URL = "https://images.evetech.net"
#: Where a fake served on a port answers as the image server (ESI has no such path).
IMAGES_PREFIX = "/images"
MODES = ("inprocess", "server")
MODE_ENV = "ESI_FAKE_MODE"
DEFAULT_CALLBACK_URL = "http://testserver/sso/callback/"
_DURATION = re.compile(r"^\s*(\d+(?:\.\d*)?|\.\d+)\s*(us|ms|s|m)?\s*$")
_DURATION_UNITS = {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, None: 1.0}
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


_cache_dir_lock = threading.Lock()
_cache_dir: Path | None = None


def temporary_cache_dir() -> Path:
    """Return this process's temporary django-esi cache directory (removed at exit).

    Tests point ``ESI_SPEC_CACHE_DIR`` here, so they never write the user's
    ``~/.cache/django-esi`` (built specs, fetched route specs).
    """
    global _cache_dir
    with _cache_dir_lock:
        if _cache_dir is None or not _cache_dir.is_dir():
            _cache_dir = Path(tempfile.mkdtemp(prefix="django-esi-test-cache-")).resolve()
            atexit.register(shutil.rmtree, _cache_dir, ignore_errors=True)
        return _cache_dir


def parse_duration(value: float | str | None) -> float:
    """Return seconds from ``0.05``, ``"50ms"``, ``"0.05s"``, ``"250us"`` or ``"1m"`` (None: 0)."""
    if value is None:
        return 0.0
    if isinstance(value, (int, float)):
        seconds = float(value)
    else:
        match = _DURATION.match(value)
        if match is None:
            raise ValueError(f"a duration is a number with an optional unit (us, ms, s, m), not {value!r}")
        seconds = float(match.group(1)) * _DURATION_UNITS[match.group(2)]
    if seconds < 0:
        raise ValueError(f"a duration cannot be negative, not {value!r}")
    return seconds


class CombinedApp:
    """One WSGI app for the fake SSO's paths and the fake ESI's, with optional latency.

    ``POST /_fake/reset`` resets both; it and ``POST /_fake/sso/reset`` reset the SSO
    through ``reset_sso`` (default ``sso.reset()``), so an owner can restore what it
    registered.
    """

    def __init__(
        self,
        esi_app: Any,
        sso_app: SSOApp,
        latency: float = 0.0,
        reset_sso: Callable[[], None] | None = None,
        images_app: Any = None,
    ) -> None:
        self.esi_app = esi_app
        self.sso_app = sso_app
        self.images_app = images_app
        self.latency = latency
        self.reset_sso = reset_sso or sso_app.sso.reset

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        control = path.startswith("/_fake")
        if control:  # before the resets below: a control post must be JSON, to loopback
            refused = refusal(environ, CONTROL_BODY_LIMIT)
            if refused is not None:
                return refused(environ, start_response)
        if self.latency and not control:
            time.sleep(self.latency)
        resetting = (
            control and environ.get("REQUEST_METHOD") == "POST" and path.rstrip("/").endswith("/reset")
        )
        if self.images_app is not None and path.startswith(IMAGES_PREFIX + "/"):
            script = environ.get("SCRIPT_NAME", "") + IMAGES_PREFIX
            inner = {**environ, "SCRIPT_NAME": script, "PATH_INFO": path[len(IMAGES_PREFIX) :]}
            return self.images_app(inner, start_response)
        if path.startswith(SSO_PATHS) or path.startswith("/_fake/sso/"):
            if resetting and path.rstrip("/") == "/_fake/sso/reset":
                self.reset_sso()
                return Response(b'{"reset": true}', content_type="application/json")(environ, start_response)
            return self.sso_app(environ, start_response)
        if resetting and path.rstrip("/") == "/_fake/reset":
            self.reset_sso()
        return self.esi_app(environ, start_response)


class FakeESI(Switchable):
    """A fake ESI and a fake EVE SSO: context manager, decorator, start()/stop().

    ``snapshot``: what ESI serves (a Swagger route such as ``"latest"``, a compatibility
    date such as ``"2025-12-16"``, a list of them; ``None``: ``latest`` and the newest
    date). ``data``: a data pack (a path, records) instead of the default one;
    ``strict``: 404 for what is not recorded instead of generated data; ``latency``:
    seconds (or ``"50ms"``) added to every ESI and SSO answer. ``mode``: ``"inprocess"``
    or ``"server"`` (default: ``$ESI_FAKE_MODE``, else in-process). Other keywords go
    to :class:`~esi_testing.fake.backend.FakeBackend` (``page_size``, ``error_limit``,
    ``error_window``, ``rate_limits``, ``seed``, ...).
    """

    def __init__(
        self,
        snapshot: Any = None,
        mode: str | None = None,
        data: Any = None,
        strict: bool = False,
        latency: float | str | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        sso: FakeSSO | None = None,
        client_id: str | None = None,
        client_secret: str | None = None,
        callback_url: str | None = None,
        **backend_options: Any,
    ) -> None:
        self.mode = _mode(mode)
        self.snapshot = snapshot
        backend_args: dict[str, Any] = {"data": DEFAULT_DATA if data is None else data, "strict": strict}
        if snapshot is not None:
            backend_args["snapshot"] = snapshot
        self.backend = FakeBackend(**backend_args, **backend_options)
        # The data pack's characters can log in, and stay registered across reset().
        self.sso = sso if sso is not None else FakeSSO(characters=self._characters())
        self.backend.sso = self.sso
        self._register_characters()
        self.client_id, self.client_secret, self.callback_url = _client(
            client_id, client_secret, callback_url
        )
        if self.client_id not in self.sso.clients:
            self.sso.add_client(self.client_id, self.client_secret)
        self.images = FakeImageServer()
        self.app = CombinedApp(
            make_app(self.backend),
            SSOApp(self.sso),
            parse_duration(latency),
            reset_sso=self._reset_sso,
            images_app=self.images,
        )
        self._server = FakeESIServer(self.app, host, port) if self.mode == "server" else None
        self._transport = (
            InProcessTransport({ESI_URL: self.app, SSO_URL: self.app, IMAGES_URL: self.images})
            if self.mode == "inprocess"
            else None
        )
        self._lock = threading.Lock()

    # --- lifecycle -------------------------------------------------------------------

    @property
    def started(self) -> bool:
        """Return True while the fake answers."""
        runner = self._server or self._transport
        return bool(runner and runner.started)

    def start(self) -> None:
        """Start answering (no-op when started).

        In server mode the fake SSO speaks plain http on loopback, which
        django-esi accepts for loopback hosts only, with no environment variable.
        """
        with self._lock:
            (self._server or self._transport).start()  # type: ignore[union-attr]

    def stop(self) -> None:
        """Stop answering (no-op when stopped); state stays readable."""
        with self._lock:
            (self._server or self._transport).stop()  # type: ignore[union-attr]

    def reset(self) -> None:
        """Return the fake ESI and SSO to how they started: data, faults, limits, tokens, journals."""
        self.backend.reset()
        self._reset_sso()

    def _reset_sso(self) -> None:
        """Reset the SSO; this fake's client and the data pack's characters stay registered."""
        self.sso.reset()
        if self.client_id not in self.sso.clients:
            self.sso.add_client(self.client_id, self.client_secret)
        self._register_characters()

    def wrap(self, middleware: Any) -> None:
        """Serve ``middleware(app)`` in place of the app, e.g. a recording proxy; call before start()."""
        with self._lock:
            if self.started:
                raise RuntimeError("wrap() the fake before start()")
            inner = self.app
            self.app = middleware(inner)
            if self._server is not None:
                self._server.app = self.app
            if self._transport is not None:
                self._transport.mounts = {
                    url: self.app if app is inner else app for url, app in self._transport.mounts.items()
                }

    # --- where it answers --------------------------------------------------------------

    @property
    def url(self) -> str:
        """Return ESI's base URL, without a trailing slash (the server's once started)."""
        return self._server.url if self._server is not None else ESI_URL

    @property
    def sso_url(self) -> str:
        """Return EVE SSO's base URL, without a trailing slash."""
        return self._server.url if self._server is not None else SSO_URL

    @property
    def images_url(self) -> str:
        """Return the image server's base URL, without a trailing slash (see :mod:`esi_testing.fake.images`)."""
        return self._server.url + IMAGES_PREFIX if self._server is not None else IMAGES_URL

    def settings(self) -> dict[str, Any]:
        """Return the Django settings that point django-esi at this fake.

        Use them with ``override_settings(**fake.settings())``, or :meth:`override_settings`.
        """
        sso = self.sso_url
        values: dict[str, Any] = {
            "ESI_API_URL": self.url + "/",
            "ESI_SSO_BASE_URL": sso,
            "ESI_SSO_AUTHORIZE_URL": f"{sso}/v2/oauth/authorize",
            "ESI_SSO_TOKEN_URL": f"{sso}/v2/oauth/token",
            "ESI_SSO_REVOKE_URL": f"{sso}/v2/oauth/revoke",
            "ESI_SSO_JWKS_URL": f"{sso}/oauth/jwks",
            "ESI_SSO_CLIENT_ID": self.client_id,
            "ESI_SSO_CLIENT_SECRET": self.client_secret,
            "ESI_SSO_CALLBACK_URL": self.callback_url,
            "ESI_IMAGE_SERVER_URL": self.images_url,
        }
        if isinstance(self.snapshot, str) and _DATE.match(self.snapshot):
            values["ESI_COMPATIBILITY_DATE"] = self.snapshot
        elif isinstance(self.snapshot, str):
            values["ESI_API_VERSION"] = self.snapshot
        return values

    @contextmanager
    def override_settings(self) -> Iterator[dict[str, Any]]:
        """Point django-esi at this fake for the ``with`` block (Django's ``override_settings``)."""
        from django.conf import settings
        from django.test import override_settings

        # A test never writes the user's cache (the fake's own specs are never stored anyway).
        values = self.settings()
        if getattr(settings, "ESI_SPEC_CACHE_DIR", None) is not False:  # False writes nothing
            values["ESI_SPEC_CACHE_DIR"] = str(temporary_cache_dir())
        with override_settings(**values):
            yield values

    # --- pass-throughs -----------------------------------------------------------------

    def add_data(self, data: Any) -> list[Any]:
        """Add records to the data pack (a record dict, a list, a pack or a path)."""
        records = self.backend.add_data(data)
        self._register_characters()
        return records

    def add_fault(self, fault: Fault | Mapping[str, Any] | None = None, **options: Any) -> Fault:
        """Inject an ESI fault (``operation=``/``path=``, ``status=``, ``latency=``, ``drop=``, ``times=``...)."""
        return self.backend.add_fault(fault, **options)

    def clear_faults(self) -> None:
        """Remove every injected ESI and SSO fault."""
        self.backend.clear_faults()
        self.sso.clear_faults()

    @property
    def journal(self) -> list[JournalEntry]:
        """Return the ESI requests answered so far (the SSO's are in ``fake.sso.journal``)."""
        return self.backend.journal

    def issue_tokens(self, character_id: int, scopes: Any = (), **options: Any) -> dict[str, Any]:
        """Return a token response from the fake SSO for this fake's client (see FakeSSO.issue_tokens)."""
        options.setdefault("client_id", self.client_id)
        return self.sso.issue_tokens(character_id, scopes, **options)

    def _characters(self) -> list[Character]:
        """Return the characters of the data pack (``get_characters_character_id`` records)."""
        found: dict[int, Character] = {}
        for record in self.backend.data:
            if record.operation != "get_characters_character_id" or not isinstance(record.body, Mapping):
                continue
            character_id, name = record.params.get("character_id"), record.body.get("name")
            if character_id is not None and name:
                found[int(character_id)] = Character(
                    int(character_id), str(name), owner_hash_for(int(character_id))
                )
        return list(found.values()) or [DEFAULT_CHARACTER]

    def _register_characters(self) -> None:
        """Let every character of the data pack log in to the fake SSO, by its name."""
        for character in self._characters():
            known = self.sso.characters.get(character.character_id)
            if known is None or known.name != character.name:
                self.sso.add_character(character.character_id, character.name)

    def __repr__(self) -> str:
        state = "started" if self.started else "stopped"
        where = self.url if self.started or self.mode == "inprocess" else "not bound"
        return f"<FakeESI {self.mode} {state} {where}>"


def _mode(mode: str | None) -> str:
    chosen = mode or os.environ.get(MODE_ENV) or "inprocess"
    if chosen not in MODES:
        source = "mode" if mode else f"${MODE_ENV}"
        raise ValueError(f"{source} must be one of {', '.join(MODES)}, not {chosen!r}")
    return chosen


def _client(client_id: str | None, secret: str | None, callback: str | None) -> tuple[str, str | None, str]:
    """Return the SSO application to use: the one given, else the project's settings, else the fake's own."""
    if client_id is None:
        configured = _configured_sso()
        if configured.get("client_id"):
            client_id = configured["client_id"]
            secret = secret if secret is not None else configured.get("client_secret")
            callback = callback or configured.get("callback_url")
        else:
            client_id, secret = DEFAULT_CLIENT_ID, secret if secret is not None else DEFAULT_CLIENT_SECRET
    return client_id, secret, callback or _configured_sso().get("callback_url") or DEFAULT_CALLBACK_URL


def _configured_sso() -> dict[str, Any]:
    """Return the project's SSO application settings, if Django is configured."""
    try:
        from django.conf import settings

        if not settings.configured:
            return {}
        from esi.app_settings import app_settings

        return {
            "client_id": app_settings.ESI_SSO_CLIENT_ID,
            "client_secret": app_settings.ESI_SSO_CLIENT_SECRET,
            "callback_url": app_settings.ESI_SSO_CALLBACK_URL,
        }
    except ImportError:  # pragma: no cover - Django is a dependency of django-esi
        return {}
