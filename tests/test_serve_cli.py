"""``python -m esi_testing serve --callback-url``: the settings it prints name the user's own site."""

from __future__ import annotations

import threading
from urllib.parse import urlsplit

import pytest

from esi_testing.__main__ import DEFAULT_SITE_CALLBACK, build_parser, main, serve


def serve_once(argv: list[str]) -> str:
    """Run ``serve`` with these options until it is ready; return the callback its fake uses."""
    stop = threading.Event()
    seen: list[str] = []

    def ready(fake) -> None:
        seen.append(fake.callback_url)
        stop.set()

    assert serve(build_parser().parse_args(["serve", "--port", "0", *argv]), ready=ready, stop=stop) == 0
    return seen[0]


def test_serve_prints_and_uses_the_callback_it_is_given(capsys: pytest.CaptureFixture[str]) -> None:
    assert serve_once(["--callback-url", "http://127.0.0.1:8123/sso/callback/"]) == (
        "http://127.0.0.1:8123/sso/callback/"
    )
    out = capsys.readouterr().out
    assert "'ESI_SSO_CALLBACK_URL': 'http://127.0.0.1:8123/sso/callback/'" in out
    assert "testserver" not in out


def test_serve_defaults_to_the_runserver_callback(capsys: pytest.CaptureFixture[str]) -> None:
    assert serve_once([]) == DEFAULT_SITE_CALLBACK
    assert urlsplit(DEFAULT_SITE_CALLBACK).netloc == "127.0.0.1:8000"
    out = capsys.readouterr().out
    assert f"'ESI_SSO_CALLBACK_URL': '{DEFAULT_SITE_CALLBACK}'" in out
    assert "testserver" not in out


@pytest.mark.parametrize("bad", ["127.0.0.1:8000/sso/callback/", "ftp://x/cb", "http:///cb"])
def test_serve_refuses_a_callback_that_is_no_url(bad: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--port", "0", "--callback-url", bad]) == 2
    err = capsys.readouterr().err
    assert "--callback-url" in err and repr(bad) in err
