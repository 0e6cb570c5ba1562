"""``python -m esi_testing serve``: the error-limit and rate-limit budgets, or none (a fuzzer, a load test)."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
import requests

from esi_testing.__main__ import build_parser, main, serve
from esi_testing.fake.faked import FakeESI


def _served(argv: list[str], calls: Callable[[FakeESI], list[int]]) -> list[int]:
    """Run ``serve`` with ``argv`` and return the statuses ``calls`` saw."""
    args = build_parser().parse_args(["serve", "--port", "0", *argv])
    stop = threading.Event()
    seen: list[int] = []

    def ready(fake: FakeESI) -> None:
        try:
            seen.extend(calls(fake))
        finally:
            stop.set()

    assert serve(args, ready=ready, stop=stop) == 0
    return seen


def _errors(fake: FakeESI, count: int = 5) -> list[int]:
    return [requests.get(f"{fake.url}/latest/nothing/here/", timeout=5).status_code for _ in range(count)]


def _portraits(fake: FakeESI, count: int = 4) -> list[int]:
    url = f"{fake.url}/characters/90000001/portrait"
    return [requests.get(url, timeout=5).status_code for _ in range(count)]


def test_error_limit_is_the_budget_of_errors_before_420() -> None:
    assert _served(["--snapshot", "latest", "--error-limit", "2"], _errors) == [404, 404, 420, 420, 420]


def test_error_limit_off_never_answers_420() -> None:
    statuses = _served(["--snapshot", "latest", "--error-limit", "off"], lambda f: _errors(f, 150))
    assert statuses == [404] * 150


def test_rate_limit_sets_every_groups_budget() -> None:
    # 3 tokens: a 200 spends 2, so the second call still finds one token, the third none.
    statuses = _served(["--snapshot", "2025-12-16", "--rate-limit", "3/60s"], _portraits)
    assert statuses == [200, 200, 429, 429]


def test_rate_limit_off_never_answers_429_and_keeps_the_headers() -> None:
    def calls(fake: FakeESI) -> list[int]:
        statuses = _portraits(fake, 400)  # 800 tokens: past char-detail's 600/15m
        answer = requests.get(f"{fake.url}/characters/90000001/portrait", timeout=5)
        assert answer.headers["X-Ratelimit-Limit"] == "600/15m"
        assert answer.headers["X-Ratelimit-Remaining"] == "600"
        return statuses

    assert set(_served(["--snapshot", "2025-12-16", "--rate-limit", "off"], calls)) == {200}


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--error-limit", "many"], "expected a number of errors or 'off', not 'many'"),
        (["--error-limit", "0"], "expected at least 1 error"),
        (["--rate-limit", "fast"], "expected TOKENS/WINDOW (150/15m, 10/60s) or 'off', not 'fast'"),
        (["--rate-limit", "0/15m"], "expected a positive budget and window"),
    ],
)
def test_bad_budgets_are_refused_naming_the_option(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit):
        main(["serve", "--port", "0", *argv])
    err = capsys.readouterr().err
    assert argv[0] in err and message in err
