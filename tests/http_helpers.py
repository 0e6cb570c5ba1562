"""Helpers of the esi.http tests: a recording transport, a fake clock and unique hosts."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Mapping
from io import BytesIO
from typing import Any

import jwt
from requests.adapters import HTTPAdapter
from urllib3.response import HTTPResponse

#: Python source for a child interpreter: a loopback ESI in its own process that answers every GET with
#: ``/status/``'s body (``server``; it needs ``json`` and ``threading`` imported). A check of what a process
#: imports cannot use the fake ESI, which imports its own libraries.
STATUS_SERVER = """
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        body = json.dumps({"players": 12345, "server_version": "1", "start_time": "2020-05-01T11:00:00Z"}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json; charset=UTF-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        pass
server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
threading.Thread(target=server.serve_forever, daemon=True).start()
"""


def unique_esi_url() -> str:
    """Return a base URL on a host of its own, so no cached state leaks between tests."""
    return f"https://esi-{uuid.uuid4().hex[:12]}.test/latest/"


class Sleeps(list):
    """A sleep function that records the waits instead of waiting."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


class Clock:
    """A wall clock the test moves by hand (and that ``Sleeps`` can advance)."""

    def __init__(self, now: float = 1_900_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class AdvancingSleeps(Sleeps):
    """Record waits and move the clock by them, as a real sleep would."""

    def __init__(self, clock: Clock) -> None:
        super().__init__()
        self.clock = clock

    def __call__(self, seconds: float) -> None:
        super().__call__(seconds)
        self.clock.advance(seconds)


Answer = int | tuple[int, Mapping[str, str], Any] | Exception


class RecordingTransport(HTTPAdapter):
    """A transport that answers from a script and records what it was asked."""

    def __init__(self, answers: Iterable[Answer]) -> None:
        super().__init__()
        self.answers = list(answers)
        self.calls: list[dict[str, Any]] = []

    def send(self, request, stream=False, timeout=None, verify=True, cert=None, proxies=None):  # noqa: D401
        self.calls.append({"url": request.url, "headers": dict(request.headers), "timeout": timeout})
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        status, headers, body = (answer, {}, {}) if isinstance(answer, int) else answer
        content = body if isinstance(body, bytes) else json.dumps(body).encode()
        raw = HTTPResponse(
            body=BytesIO(content),
            headers={"Content-Type": "application/json", **headers},
            status=status,
            preload_content=False,
        )
        return self.build_response(request, raw)


def make_jwt(character_id: int, **claims: Any) -> str:
    """Return an (unsigned-for-us) EVE-style access token naming a character."""
    payload = {
        "sub": f"CHARACTER:EVE:{character_id}",
        "name": "Test Pilot",
        "scp": ["esi-assets.read_assets.v1"],
    }
    payload.update(claims)
    return jwt.encode(payload, "tests-only-key-that-esi-would-never-accept", algorithm="HS256")


def bearer(token: str) -> dict[str, str]:
    """Return the Authorization header of a token."""
    return {"Authorization": f"Bearer {token}"}


__all__ = [
    "AdvancingSleeps",
    "Clock",
    "RecordingTransport",
    "Sleeps",
    "bearer",
    "caching_headers",
    "http_date",
    "make_jwt",
    "unique_esi_url",
]


def http_date(timestamp: float) -> str:
    """Return an HTTP date (``Expires``, ``Date``)."""
    from email.utils import formatdate

    return formatdate(timestamp, usegmt=True)


def caching_headers(now: float, seconds: int, etag: str | None = None) -> dict[str, str]:
    """Return ESI-style ``Date``/``Expires`` (and ``ETag``) headers fresh for ``seconds``."""
    headers = {"Date": http_date(now), "Expires": http_date(now + seconds)}
    if etag:
        headers["ETag"] = etag
    return headers
