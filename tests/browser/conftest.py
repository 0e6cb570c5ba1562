"""The browser test: its own step (``make test-browser``), as it needs Chromium.

The unit runs (``make test``) leave this directory out; naming it on the command
line (``pytest tests/browser``) runs it. Without Chromium it is skipped with the
reason on a laptop, and fails in CI (``CI=true``), where .ci/run installs it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "browser: drives the demo site in headless Chromium (run with `make test-browser`)"
    )


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    asked = [Path(arg.split("::")[0]).resolve() for arg in config.args]
    if any(a == HERE or HERE in a.parents for a in asked):
        return None
    return True if collection_path.suffix == ".py" and collection_path.name.startswith("test_") else None
