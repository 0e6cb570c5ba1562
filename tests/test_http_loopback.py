"""esi.http against a real HTTP server on loopback: sockets, timeouts, gzip, ETags, bravado."""

from __future__ import annotations

import gzip
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
from bravado.client import SwaggerClient
from django.test import override_settings

from esi import errors
from esi.http import EsiHTTPAdapter, EsiRequestsClient, build_session

from .http_helpers import Clock, Sleeps, caching_headers


class QuietServer(ThreadingHTTPServer):
    """A server that does not print the broken pipes of clients that timed out."""

    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        pass


Handler = Callable[[BaseHTTPRequestHandler, int], tuple[int, dict[str, str], bytes]]


class LoopbackESI:
    """A threaded HTTP server on 127.0.0.1 that answers with ``handler(request, n)``."""

    def __init__(self) -> None:
        self.requests: list[dict[str, str]] = []
        self.handler: Handler = lambda request, n: (200, {}, b"{}")
        owner = self

        class RequestHandler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:  # noqa: N802
                owner.requests.append({"path": self.path, **{k: v for k, v in self.headers.items()}})
                status, headers, body = owner.handler(self, len(owner.requests))
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = QuietServer(("127.0.0.1", 0), RequestHandler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/latest/"
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def __enter__(self) -> LoopbackESI:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def loopback() -> Iterator[LoopbackESI]:
    """Return a running loopback ESI."""
    with LoopbackESI() as server:
        yield server


def json_body(data: object) -> bytes:
    return json.dumps(data).encode()


def test_a_real_request_carries_user_agent_and_compatibility_headers(loopback):
    loopback.handler = lambda request, n: (200, {"Content-Type": "application/json"}, json_body({"ok": True}))
    session = build_session("MyApp/1.0", compatibility_date="2025-12-16")
    assert session.get(loopback.url + "status/").json() == {"ok": True}
    sent = loopback.requests[0]
    assert sent["User-Agent"].startswith("MyApp/1.0 django-esi/")
    assert sent["X-Compatibility-Date"] == "2025-12-16"
    assert sent["X-Tenant"] == "tranquility"


def test_the_read_timeout_from_settings_applies_and_is_retried(loopback):
    def slow(request, n):
        time.sleep(0.5)
        return 200, {}, b"{}"

    loopback.handler = slow
    sleeps = Sleeps()
    session = build_session(sleep=sleeps)
    with override_settings(ESI_REQUESTS_READ_TIMEOUT=0.1, ESI_CONNECTION_ERROR_MAX_RETRIES=1):
        with pytest.raises(requests.exceptions.ReadTimeout):
            session.get(loopback.url + "status/")
    assert len(loopback.requests) == 2
    assert sleeps == [0.2]


def test_connection_refused_is_retried_then_raised():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    # Nothing listens on the port now.
    sleeps = Sleeps()
    session = build_session(sleep=sleeps)
    with (
        override_settings(ESI_CONNECTION_ERROR_MAX_RETRIES=3),
        pytest.raises(requests.exceptions.ConnectionError),
    ):
        session.get(f"http://127.0.0.1:{port}/latest/status/")
    assert sleeps == [0.2, 0.4, 0.8]


def test_a_503_then_success_over_a_real_socket(loopback):
    loopback.handler = lambda request, n: (503, {}, b"busy") if n == 1 else (200, {}, json_body([1, 2]))
    sleeps = Sleeps()
    assert build_session(sleep=sleeps).get(loopback.url + "x/").json() == [1, 2]
    assert sleeps == [0.2]


def test_etag_revalidation_and_gzip_over_a_real_socket(loopback):
    clock = Clock(time.time())
    body = json_body({"name": "Rifter", "type_id": 587})

    def etag_server(request, n):
        if request.headers.get("If-None-Match") == '"v1"':
            return 304, caching_headers(clock.now, 120, etag='"v1"'), b""
        headers = {**caching_headers(clock.now, 60, etag='"v1"'), "Content-Encoding": "gzip"}
        return 200, {"Content-Type": "application/json", **headers}, gzip.compress(body)

    loopback.handler = etag_server
    session = build_session()
    adapter = session.get_adapter("http://")
    assert isinstance(adapter, EsiHTTPAdapter)
    adapter.clock = clock
    url = loopback.url + "universe/types/587/"
    assert session.get(url).json()["name"] == "Rifter"
    assert session.get(url).json()["name"] == "Rifter"
    assert len(loopback.requests) == 1
    clock.advance(61)
    revalidated = session.get(url)
    assert revalidated.status_code == 200
    assert revalidated.json() == {"name": "Rifter", "type_id": 587}
    assert "Content-Encoding" not in revalidated.headers
    assert loopback.requests[1]["If-None-Match"] == '"v1"'
    assert len(loopback.requests) == 2


SPEC = {
    "swagger": "2.0",
    "info": {"title": "mini", "version": "1"},
    "host": "HOST",
    "basePath": "/latest",
    "schemes": ["http"],
    "paths": {
        "/universe/types/{type_id}/": {
            "get": {
                "operationId": "get_universe_types_type_id",
                "tags": ["Universe"],
                "parameters": [{"name": "type_id", "in": "path", "required": True, "type": "integer"}],
                "responses": {
                    "200": {"description": "ok", "schema": {"type": "object"}},
                    "404": {"description": "not found", "schema": {"type": "object"}},
                },
            }
        }
    },
}


def test_bravado_through_the_client_over_a_real_socket(loopback):
    def server(request, n):
        if request.path.endswith("/0/"):
            return 404, {"Content-Type": "application/json"}, json_body({"error": "Type not found"})
        return 200, {"Content-Type": "application/json"}, json_body({"type_id": 587})

    loopback.handler = server
    host = loopback.url.split("/")[2]
    client = SwaggerClient.from_spec(
        dict(SPEC, host=host),
        http_client=EsiRequestsClient(app_info_text="MyApp/1.0"),
        config={"validate_swagger_spec": False, "use_models": False},
    )
    assert client.Universe.get_universe_types_type_id(type_id=587).result() == {"type_id": 587}
    with pytest.raises(errors.HTTPNotFound) as caught:
        client.Universe.get_universe_types_type_id(type_id=0).result()
    assert caught.value.status_code == 404
    assert json.loads(caught.value.response.text) == {"error": "Type not found"}


def test_a_refused_post_is_retried_even_when_posts_are_not():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    sleeps = Sleeps()
    session = build_session(retry_methods=("GET",), sleep=sleeps)
    with (
        override_settings(ESI_CONNECTION_ERROR_MAX_RETRIES=2),
        pytest.raises(requests.exceptions.ConnectionError),
    ):
        session.post(f"http://127.0.0.1:{port}/v2/oauth/token", data={"grant_type": "refresh_token"})
    assert sleeps == [0.2, 0.4]
