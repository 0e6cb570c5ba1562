"""What a new user sees first: ``make test`` and ``make demo`` say what matters and nothing alarming."""

from __future__ import annotations

import logging
import os
import re
import socket
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import requests

from demo.process import ROOT, DemoProcess
from esi_testing.fake import server as fake_server
from esi_testing.fake.server import FakeESIServer

SHARED_FIXTURE = """
import pytest
from tests.skip_report import pytest_runtest_makereport  # noqa: F401

@pytest.fixture(scope="session")
def shared():
    pytest.skip("../shared not found")
"""


def test_a_fixtures_skip_is_one_summary_line(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    pytester.makeconftest(SHARED_FIXTURE)
    for name in ("a", "b"):
        pytester.makepyfile(**{f"test_{name}": "def test_one(shared): pass\n\ndef test_two(shared): pass\n"})
    result = pytester.runpytest_subprocess("-ra", "-p", "no:esi_testing", "-p", "no:django")
    result.assert_outcomes(skipped=4)
    lines = [line for line in result.outlines if line.startswith("SKIPPED")]
    assert lines == ["SKIPPED [4] conftest.py:6: ../shared not found"], result.outlines


def test_the_jsonschema_deprecations_pytest_warns_reemits_are_filtered(
    pytester: pytest.Pytester, pytestconfig: pytest.Config
) -> None:
    # pytest.warns() re-emits the warnings it did not expect with the module "warnings", which
    # the module filters miss: 16 lines of warnings summary in `make test`.
    filters = pytestconfig.getini("filterwarnings")  # the project's, from pyproject.toml
    pytester.makeini("[pytest]\nfilterwarnings =\n" + "".join(f"    {f}\n" for f in filters))
    pytester.makepyfile(
        test_w="""
        import warnings
        import pytest

        def test_reemitted():
            with pytest.warns(UserWarning):
                warnings.warn("jsonschema.RefResolver.in_scope is deprecated", DeprecationWarning)
                warnings.warn("expected", UserWarning)
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:esi_testing", "-p", "no:django")
    result.assert_outcomes(passed=1, warnings=0)


def test_an_idle_kept_alive_connection_ends_quietly(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(fake_server._Handler, "timeout", 0.2)
    caplog.set_level(logging.DEBUG)

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]

    with FakeESIServer(app) as server:
        with requests.Session() as session:
            assert session.get(server.url + "/", timeout=5).text == "ok"
            host, port = server.url.removeprefix("http://").rsplit(":", 1)
            with socket.create_connection((host, int(port)), timeout=5) as idle:
                deadline = time.monotonic() + 5
                while not any("timed out" in r.getMessage() for r in caplog.records):
                    assert time.monotonic() < deadline, "the idle connection never timed out"
                    time.sleep(0.05)
                assert idle.recv(1) == b""  # the server closed it
    loud = [r for r in caplog.records if "timed out" in r.getMessage() and r.levelno > logging.DEBUG]
    assert not loud, [r.getMessage() for r in loud]
    assert "timed out" not in capfd.readouterr().err


#: What ``python -m demo`` prints on start-up, line by line, before anyone opens a page.
FIRST_SCREEN = [
    r"django-esi demo \(offline: fake ESI and fake EVE SSO\)",
    r"  fake ESI:  http://127\.0\.0\.1:\d+",
    r"  fake SSO:  http://127\.0\.0\.1:\d+",
    r"Demo site: http://127\.0\.0\.1:\d+/",
    r"Open it in a browser; Ctrl-C stops everything\.",
]


def test_the_demos_first_screen_is_the_url_and_nothing_alarming(tmp_path: Path) -> None:
    demo = DemoProcess(tmp_path / "db.sqlite3")
    demo.command.remove("--quiet")  # as `make demo` runs it
    with demo:
        requests.get(demo.url + "/", timeout=30).raise_for_status()
        time.sleep(0.5)
        lines = [line.rstrip("\n") for line in demo.output]
    first, rest = lines[: len(FIRST_SCREEN)], lines[len(FIRST_SCREEN) :]
    assert len(first) == len(FIRST_SCREEN) and all(
        re.fullmatch(pattern, line) for pattern, line in zip(FIRST_SCREEN, first, strict=True)
    ), lines
    # Then one access line per request (werkzeug's), and nothing else.
    assert all(re.search(r'"GET / HTTP/1\.1" 200', line) for line in rest), lines


def test_make_demo_runs_what_the_test_starts() -> None:
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^demo: .*\n\t\$\(PY\) -m demo$", makefile, re.M)
    assert DemoProcess("x").command[:3] == [sys.executable, "-m", "demo"]
