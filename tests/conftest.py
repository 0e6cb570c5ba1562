"""Fixtures shared by the project's own tests."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest
from django.conf import settings

from tests.skip_report import pytest_runtest_makereport  # noqa: F401  (the hook: one line per skip reason)

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


@pytest.fixture(autouse=True)
def _fresh_esi_state() -> None:
    """Forget django-esi's cached responses, limit state and SSO caches before each test."""
    from esi import sso
    from esi.http import clear_state

    clear_state()
    sso.clear_caches()


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
