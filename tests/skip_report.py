"""Report a skip where a shared fixture or helper raised it, so ``-ra`` folds it into one line.

pytest reports a skip raised inside a fixture at the test's own location, so a
fixture that skips for a missing ``../shared`` printed one ``SKIPPED`` line per test.
Reported at the ``pytest.skip()`` in ``conftest.py`` instead, they share a location
and a reason, and ``-ra`` prints ``SKIPPED [57] tests/conftest.py:32: <reason>`` once.
"""

from __future__ import annotations

from collections.abc import Generator
from pathlib import Path

import pytest

__all__ = ["pytest_runtest_makereport"]


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Move a skip raised in a ``conftest.py`` to that line."""
    report = yield
    if report.skipped and call.excinfo is not None and isinstance(report.longrepr, tuple):
        for entry in reversed(call.excinfo.traceback):
            if isinstance(entry.path, Path) and entry.path.name == "conftest.py":
                report.longrepr = (str(entry.path), entry.lineno + 1, report.longrepr[2])  # 1-based
                break
    return report
