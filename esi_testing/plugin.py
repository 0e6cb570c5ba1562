"""pytest plugin of django-esi, active through the ``pytest11`` entry point.

Fixtures (each wraps a public class that works without pytest too):

``fake_esi``
    A running :class:`esi_testing.FakeESI` (fake ESI + fake SSO) with django-esi's
    settings pointed at it; a fresh state for every test.
``esi_client``
    An :class:`esi.clients.EsiClientProvider` bound to the fake.
``esi_token_factory`` / ``esi_token``
    Tokens (:class:`esi_testing.factories.TokenFactory`) whose access tokens the fake
    SSO signed; refresh and revoke work against the fake.
``esi_vcr``
    Record and replay with secrets scrubbed (:mod:`esi_testing.recording`).
``esi_config`` / ``esi_vcr_config``
    Configuration: override them in your ``conftest.py``.

The whole run keeps django-esi's cache in a temporary directory, never the
user's ``~/.cache/django-esi``.

Markers: ``esi_snapshot(snapshot)``, ``esi_version(version)``, ``esi_data(data, ...)``,
``esi_faults(**fault)``, ``esi_cassette(name)``. Options (group ``esi``):
``--esi-mode``, ``--esi-record-mode``, ``--esi-snapshot``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest

#: Markers with their signatures, as ``pytest --markers`` shows them.
MARKERS = (
    "esi_snapshot(snapshot): the fake serves this snapshot (a route such as 'legacy' or a "
    "compatibility date such as '2025-12-16'), and django-esi builds its client from it.",
    "esi_version(version): the fake serves, and django-esi uses, the Swagger route 'version' "
    "('v4', 'legacy', ...).",
    "esi_data(data, ...): add data pack records (a path, a record dict or a list) to the fake.",
    "esi_faults(**fault): inject a fault in the fake, e.g. "
    "esi_faults(operation='get_status', status=503, times=2).",
    "esi_cassette(name): the cassette esi_vcr uses, relative to the test's cassettes/ directory.",
)

DEFAULT_SCOPES = (
    "esi-assets.read_assets.v1",
    "esi-characters.read_notifications.v1",
    "esi-skills.read_skills.v1",
)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("esi", "django-esi: fake ESI, fake SSO, record and replay")
    group.addoption(
        "--esi-mode",
        choices=("inprocess", "server"),
        default=os.environ.get("ESI_FAKE_MODE") or "inprocess",
        help="How fake_esi runs: in-process behind responses, or as a loopback HTTP server "
        "(default: $ESI_FAKE_MODE, else inprocess).",
    )
    group.addoption(
        "--esi-record-mode",
        choices=("none", "once", "new_episodes", "all"),
        default="none",
        help="vcrpy record mode of esi_vcr (default: none: replay only, never the network).",
    )
    group.addoption(
        "--esi-snapshot",
        default=None,
        help="Snapshot the fake serves unless a test says otherwise (a route or a compatibility date).",
    )


def pytest_configure(config: pytest.Config) -> None:
    for line in MARKERS:
        config.addinivalue_line("markers", line)


def pytest_report_header(config: pytest.Config) -> str:
    return (
        f"django-esi: fake ESI mode={config.getoption('esi_mode')}, "
        f"record mode={config.getoption('esi_record_mode')}"
    )


@pytest.fixture(scope="session", autouse=True)
def _esi_cache_in_a_temporary_directory() -> Iterator[Path]:
    """Point django-esi's cache at a temporary directory for the whole run.

    A test never writes the user's ``~/.cache/django-esi``: built specs and
    fetched route specs go to a directory removed at exit (the setting
    ``ESI_SPEC_CACHE_DIR``, unless it is ``False``, and the environment
    variable of the same name).
    """
    from esi_testing.fake.faked import temporary_cache_dir

    directory = temporary_cache_dir()
    with ExitStack() as stack:
        previous = os.environ.get("ESI_SPEC_CACHE_DIR")
        os.environ["ESI_SPEC_CACHE_DIR"] = str(directory)
        stack.callback(_restore_env, "ESI_SPEC_CACHE_DIR", previous)
        if _django_configured():
            from django.conf import settings
            from django.test import override_settings

            if getattr(settings, "ESI_SPEC_CACHE_DIR", None) is not False:  # False writes nothing
                stack.enter_context(override_settings(ESI_SPEC_CACHE_DIR=str(directory)))
        yield directory


def _restore_env(name: str, value: str | None) -> None:
    if value is None:
        os.environ.pop(name, None)
    else:
        os.environ[name] = value


@pytest.fixture
def esi_config() -> dict[str, Any]:
    """Return keyword arguments for FakeESI; override this fixture in your conftest."""
    return {}


def _fake_options(request: pytest.FixtureRequest, esi_config: dict[str, Any]) -> dict[str, Any]:
    options: dict[str, Any] = {"mode": request.config.getoption("esi_mode")}
    snapshot = request.config.getoption("esi_snapshot")
    if snapshot:
        options["snapshot"] = snapshot
    options.update(esi_config)
    for name in ("esi_snapshot", "esi_version"):
        marker = request.node.get_closest_marker(name)
        if marker is not None:
            if len(marker.args) != 1:
                raise pytest.UsageError(f"@pytest.mark.{name} takes one argument, got {marker.args!r}")
            options["snapshot"] = marker.args[0]
    return options


@pytest.fixture(scope="session")
def _esi_fakes() -> Iterator[dict[str, Any]]:
    """Keep one FakeESI per configuration for the session (building one reads a spec)."""
    fakes: dict[str, Any] = {}
    yield fakes
    for fake in fakes.values():
        fake.stop()


@pytest.fixture
def fake_esi(
    request: pytest.FixtureRequest, esi_config: dict[str, Any], _esi_fakes: dict[str, Any]
) -> Iterator[Any]:
    """Return a running fake ESI + SSO that django-esi talks to; reset for each test.

    django-esi's cached responses and limit state are forgotten too.
    """
    from esi_testing import FakeESI
    from esi_testing.factories import use_fake

    options = _fake_options(request, esi_config)
    key = repr(sorted(options.items(), key=lambda kv: kv[0]))
    fake = _esi_fakes.get(key)
    if fake is None:
        fake = _esi_fakes[key] = FakeESI(**options)
    else:
        fake.reset()
    with ExitStack() as stack:
        fake.start()
        if fake.mode == "inprocess":
            # Intercepting stops with the test; a loopback server keeps its port for the
            # session, so clients built at import time keep talking to it.
            stack.callback(fake.stop)
        stack.enter_context(use_fake(fake))
        if _django_configured():
            stack.enter_context(fake.override_settings())
            _forget_esi_http_state()
        for marker in request.node.iter_markers("esi_data"):
            for data in marker.args:
                fake.add_data(data)
        for marker in request.node.iter_markers("esi_faults"):
            fake.add_fault(*marker.args, **marker.kwargs)
        yield fake


def _forget_esi_http_state() -> None:
    """Forget cached responses, limit state and SSO metadata/JWKS of earlier tests."""
    from esi import sso
    from esi.http.store import clear_state

    clear_state()
    sso.clear_caches()


def _django_configured() -> bool:
    try:
        from django.conf import settings
    except ImportError:  # pragma: no cover - django-esi depends on Django
        return False
    return bool(settings.configured)


@pytest.fixture
def esi_client(fake_esi: Any) -> Any:
    """Return an EsiClientProvider bound to the fake ESI."""
    from esi.clients import EsiClientProvider

    return EsiClientProvider()


@pytest.fixture
def esi_token_factory(db: None, fake_esi: Any) -> Callable[..., Any]:
    """Return a function that creates tokens signed by the fake SSO (TokenFactory's arguments)."""
    from esi_testing.factories import TokenFactory

    def make(**kwargs: Any) -> Any:
        return TokenFactory(**kwargs)

    return make


@pytest.fixture
def esi_token(esi_token_factory: Callable[..., Any], fake_esi: Any) -> Any:
    """Return a valid token of the fake's first character with a few common scopes."""
    character = next(iter(fake_esi.sso.characters.values()))
    return esi_token_factory(
        character_id=character.character_id,
        character_name=character.name,
        scopes=list(DEFAULT_SCOPES),
    )


@pytest.fixture
def esi_vcr_config() -> dict[str, Any]:
    """Return extra vcrpy settings for esi_vcr; override this fixture in your conftest."""
    return {}


@pytest.fixture
def esi_vcr(request: pytest.FixtureRequest, esi_vcr_config: dict[str, Any]) -> Iterator[Any]:
    """Replay (or record, with --esi-record-mode) this test's cassette, secrets scrubbed."""
    from esi_testing.recording import use_cassette

    marker = request.node.get_closest_marker("esi_cassette")
    test_dir = Path(str(request.node.fspath)).parent
    if marker is not None:
        name = str(marker.args[0])
    else:
        name = f"{Path(str(request.node.fspath)).stem}/{request.node.name}.yaml"
    config = dict(esi_vcr_config)
    library = Path(config.pop("cassette_library_dir", test_dir / "cassettes"))
    record_mode = config.pop("record_mode", request.config.getoption("esi_record_mode"))
    if _django_configured():
        _forget_esi_http_state()  # a cached answer would never reach the cassette
    with use_cassette(library / name, record_mode=record_mode, **config) as cassette:
        yield cassette
