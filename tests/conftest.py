"""Fixtures shared by the project's own tests."""

from __future__ import annotations

import atexit
import importlib.util
import os
import shutil
import socket
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import requests.adapters
from django.conf import settings

from tests.skip_report import pytest_runtest_makereport  # noqa: F401  (the hook: one line per skip reason)

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


# --- the user's cache is never written -------------------------------------------------
# Everything that falls back to $XDG_CACHE_HOME or ESI_SPEC_CACHE_DIR goes to a temporary
# directory; pytest_sessionfinish fails the run if the real cache changed anyway.
_REAL_CACHE_HOMES = sorted(
    {
        Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache").resolve(),
        (Path.home() / ".cache").resolve(),
    }
)
os.environ["ESI_TEST_REAL_CACHE_HOME"] = str(_REAL_CACHE_HOMES[0])
_TEST_CACHE_HOME = Path(tempfile.mkdtemp(prefix="django-esi-tests-cache-")).resolve()
atexit.register(shutil.rmtree, _TEST_CACHE_HOME, ignore_errors=True)
os.environ["XDG_CACHE_HOME"] = str(_TEST_CACHE_HOME)
os.environ["ESI_SPEC_CACHE_DIR"] = str(_TEST_CACHE_HOME / "django-esi")


def _cache_state() -> dict[str, tuple[int, int]]:
    """Return the real caches' top-level entries and every file under their django-esi folder."""
    state: dict[str, tuple[int, int]] = {}
    for home in _REAL_CACHE_HOMES:
        if home.is_dir():
            state.update({str(p): (0, 0) for p in home.iterdir()})
        for path in (home / "django-esi").rglob("*"):
            st = path.lstat()
            state[str(path)] = (st.st_mtime_ns, st.st_size)
    return state


_CACHE_BEFORE = _cache_state()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    after = _cache_state()
    changed = sorted(k for k in after.keys() | _CACHE_BEFORE.keys() if after.get(k) != _CACHE_BEFORE.get(k))
    if changed:
        shown = "\n  ".join(changed[:20])
        sys.stderr.write(f"\nFAILED: the test run wrote into the user's cache:\n  {shown}\n")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture(autouse=True)
def _fresh_esi_state() -> None:
    """Forget django-esi's cached responses, limit state and SSO caches before each test."""
    from esi import sso
    from esi.http import clear_state

    clear_state()
    sso.clear_caches()


_UNPATCHED_SEND = requests.adapters.HTTPAdapter.send
_WATCHED_SETTINGS = ("ESI_API_URL", "ESI_SSO_BASE_URL", "ESI_SSO_AUTHORIZE_URL", "ESI_SSO_CLIENT_ID")


@pytest.fixture(autouse=True, scope="module")
def _module_leaves_nothing_behind() -> Iterator[None]:
    """Fail a module that leaves requests intercepted or django-esi's settings changed.

    Either would answer every later module's requests from a fake that is gone.
    """
    before = {name: getattr(settings, name, None) for name in _WATCHED_SETTINGS}
    yield
    after = {name: getattr(settings, name, None) for name in _WATCHED_SETTINGS}
    intercepted = requests.adapters.HTTPAdapter.send is not _UNPATCHED_SEND
    requests.adapters.HTTPAdapter.send = _UNPATCHED_SEND  # type: ignore[method-assign]
    if intercepted:
        pytest.fail("the module left requests intercepted (a responses mock or in-process fake not stopped)")
    assert after == before, "the module left django-esi's settings changed"


@pytest.fixture
def disk_cache(settings: Any, tmp_path: Path) -> Iterator[Path]:
    """Point ``ESI_SPEC_CACHE_DIR`` at an empty directory; return it. Built specs are forgotten before and after."""
    from esi import spec as esi_spec

    settings.ESI_SPEC_CACHE_DIR = str(tmp_path / "cache")
    esi_spec.clear_memory_cache()
    yield tmp_path / "cache"
    esi_spec.clear_memory_cache()


@pytest.fixture(scope="session")
def shared_specs() -> Path:
    """Return ``../shared/esi-specs``: real ESI specs used as test data."""
    path = Path(settings.SHARED_SPECS)
    if not path.is_dir():
        if IN_CI:
            pytest.fail(f"{path} is missing: CI runs with ../shared beside the clone")
        pytest.skip(f"{path} not found: the real ESI specs live in ../shared/esi-specs")
    return path


def service_available(host: str, port: int) -> bool:
    """Return True when something listens on host:port."""
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def require_service(name: str, host: str, port: int) -> None:
    """Skip on a laptop, fail in CI, when a service is not running."""
    if not service_available(host, port):
        if IN_CI:
            pytest.fail(f"{name} is not running on {host}:{port}; CI must have it")
        pytest.skip(f"{name} is not running on {host}:{port}")


def require_module(name: str, why: str) -> None:
    """Skip on a laptop, fail in CI, when an optional library a test needs is not installed."""
    if importlib.util.find_spec(name) is None:
        if IN_CI:
            pytest.fail(f"{name} is not installed ({why}); CI installs it with the dev extra")
        pytest.skip(f"{name} is not installed ({why}): pip install -e '.[dev]'")


#: The RabbitMQ the worker tests send their tasks through.
BROKER = os.environ.get("ESI_TEST_BROKER_URL", "amqp://guest:guest@127.0.0.1:5672//")


@contextmanager
def celery_worker(name: str, concurrency: int = 1) -> Iterator[Any]:
    """Run a threaded Celery worker through RabbitMQ on a queue of its own; yield its app (the current app)."""
    from celery import Celery
    from celery.contrib.testing.worker import start_worker

    require_service("RabbitMQ", "127.0.0.1", 5672)
    app = Celery(name, broker=BROKER, backend="rpc://", set_as_current=False)
    # A queue of its own: parallel runs sharing the broker do not take each other's tasks.
    app.conf.task_default_queue = f"{name}-{os.getpid()}"
    app.conf.broker_connection_retry_on_startup = False
    with app.connection_for_write() as connection:
        connection.ensure_connection(max_retries=1)
    app.set_current()
    try:
        with start_worker(
            app, pool="threads", concurrency=concurrency, perform_ping_check=False, shutdown_timeout=20
        ):
            yield app
    finally:
        release_broker(app)


def release_broker(app: Any) -> None:
    """Close a test Celery app and drop kombu's process-wide pools.

    Every app on one broker shares kombu's global connection pool: an app closed
    without this leaves it closed for the next app ("Acquire on closed pool"), and an
    open one is inherited by forked test processes, whose after-fork clean-up closes
    the broker connection under this process too.
    """
    import kombu.pools

    app.close()
    kombu.pools.reset()
