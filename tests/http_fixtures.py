"""Fixtures of the esi.http tests (a pytest plugin: ``pytest_plugins = ["tests.http_fixtures"]``)."""

from __future__ import annotations

import pytest

from .http_helpers import Clock, unique_esi_url


@pytest.fixture
def esi_url() -> str:
    """Return a base URL of its own (no cached or limit state shared with other tests)."""
    return unique_esi_url()


@pytest.fixture
def clock() -> Clock:
    """Return a hand-moved wall clock."""
    return Clock()
