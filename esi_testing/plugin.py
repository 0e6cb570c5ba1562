"""pytest plugin of django-esi (registered through the ``pytest11`` entry point)."""

from __future__ import annotations

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("esi", "django-esi: fake ESI and SSO")
    group.addoption(
        "--esi-mode",
        choices=("inprocess", "server"),
        default="inprocess",
        help="How the fake ESI runs: in-process behind responses, or as a loopback HTTP server.",
    )
