"""A loopback HTTP server for the benchmarks: threaded, canned JSON, ``X-Pages``, latency.

Not the fake ESI (see ``esi_testing.fake``): it answers every GET with a canned
body so that a benchmark measures the client, not the server::

    with LoopbackServer(latency=0.05) as server:
        server.route("/latest/markets/10000002/orders/", pages=[page1, page2])
        server.url   # "http://127.0.0.1:<port>/"

A route's body may depend on the page (``pages=``) or on the ``language``
query parameter or ``Accept-Language`` header (``by_language=``). Every request is recorded (path, query,
headers, start and end time) in :attr:`LoopbackServer.requests`, so tests can
check what was sent and how many requests were in flight at once.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

__all__ = ["LoopbackServer", "Recorded", "ServerProcess"]


@dataclass
class Recorded:
    """One request the server answered."""

    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    started: float
    ended: float = 0.0
    #: The client's port: requests on one kept-alive connection share it.
    client_port: int = 0


@dataclass
class _Route:
    pages: list[bytes] = field(default_factory=list)
    by_language: dict[str, bytes] = field(default_factory=dict)
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    #: Pages announced (X-Pages) when more than ``pages``: page n serves ``pages[(n - 1) % len(pages)]``.
    count: int = 0


def _encode(body: Any) -> bytes:
    return body if isinstance(body, bytes) else json.dumps(body).encode()


class LoopbackServer:
    """A threaded HTTP server on 127.0.0.1 with canned JSON answers."""

    def __init__(self, latency: float = 0.0) -> None:
        self.latency = latency
        self.requests: list[Recorded] = []
        self._routes: dict[str, _Route] = {}
        self._lock = threading.Lock()
        self._in_flight = 0
        #: The highest number of requests being answered at the same time.
        self.max_in_flight = 0
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body go out in two writes; with Nagle on, the second
            # waits for the client's delayed ACK (40 ms) and swamps the latency.
            disable_nagle_algorithm = True

            def log_message(self, format: str, *args: Any) -> None:  # silence stderr
                pass

            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                server._answer(self)

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """Return the base URL, ending in a slash (what ``ESI_API_URL`` takes)."""
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}/"

    def route(
        self,
        path: str,
        body: Any = None,
        *,
        pages: list[Any] | None = None,
        by_language: dict[str, Any] | None = None,
        status: int = 200,
        headers: dict[str, str] | None = None,
        page_count: int | None = None,
    ) -> None:
        """Answer GET ``path`` with ``body``, or page ``n`` of ``pages``, or the body of ``?language=``."""
        route = _Route(status=status, headers=dict(headers or {}), count=page_count or 0)
        if pages is not None:
            route.pages = [_encode(p) for p in pages]
        elif by_language is not None:
            route.by_language = {k: _encode(v) for k, v in by_language.items()}
        else:
            route.pages = [_encode(body if body is not None else {})]
        self._routes[path] = route

    def _answer(self, handler: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(handler.path)
        query = parse_qs(parts.query)
        record = Recorded(
            parts.path,
            query,
            dict(handler.headers.items()),
            time.perf_counter(),
            client_port=handler.client_address[1],
        )
        with self._lock:
            self.requests.append(record)
            self._in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self._in_flight)
        try:
            if self.latency:
                time.sleep(self.latency)
            route = self._routes.get(parts.path)
            headers = {"Content-Type": "application/json; charset=UTF-8"}
            if route is None:
                status, body = 404, json.dumps({"error": f"no route {parts.path}"}).encode()
            elif route.by_language:
                language = (query.get("language") or [handler.headers.get("Accept-Language", "en")])[0]
                status = route.status if language in route.by_language else 400
                body = route.by_language.get(language, b'{"error": "bad language"}')
                headers["Content-Language"] = language
            else:
                page = int((query.get("page") or ["1"])[0])
                count = route.count or len(route.pages)
                if 1 <= page <= count:
                    status, body = route.status, route.pages[(page - 1) % len(route.pages)]
                else:
                    status, body = 404, b'{"error": "page out of range"}'
                headers["X-Pages"] = str(count)
            if route is not None:
                headers.update(route.headers)
            handler.send_response(status)
            for name, value in headers.items():
                handler.send_header(name, value)
            handler.send_header("Content-Length", str(len(body)))
            handler.end_headers()
            handler.wfile.write(body)
        finally:
            with self._lock:
                self._in_flight -= 1
                record.ended = time.perf_counter()

    def start(self) -> LoopbackServer:
        """Start serving in a background thread (idempotent)."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,), daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket (idempotent)."""
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join()
            self._thread = None
        self._httpd.server_close()

    def __enter__(self) -> LoopbackServer:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()


class ServerProcess:
    """A :class:`LoopbackServer` in its own process, so its CPU does not compete for the client's GIL.

    ``routes`` maps a path to the keywords of :meth:`LoopbackServer.route`::

        with ServerProcess({"/latest/status/": {"body": {...}}}, latency=0.05) as server:
            server.url
    """

    def __init__(self, routes: dict[str, dict[str, Any]], latency: float = 0.0) -> None:
        self.routes = routes
        self.latency = latency
        self.url = ""
        self._process: subprocess.Popen[str] | None = None
        self._routes_file: str | None = None

    def __enter__(self) -> ServerProcess:
        fd, self._routes_file = tempfile.mkstemp(suffix=".json", prefix="esi-bench-routes-")
        with os.fdopen(fd, "w") as f:
            json.dump(self.routes, f)
        self._process = subprocess.Popen(
            [sys.executable, __file__, "--routes", self._routes_file, "--latency", str(self.latency)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self._process.stdout is not None
        self.url = self._process.stdout.readline().strip()
        if not self.url:
            raise RuntimeError("the loopback server process did not start")
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._process is not None:
            assert self._process.stdin is not None
            self._process.stdin.close()  # the server stops when its stdin closes
            self._process.wait(timeout=10)
            self._process = None
        if self._routes_file:
            os.unlink(self._routes_file)
            self._routes_file = None


def main() -> None:
    """Serve the routes of a JSON file until stdin closes; print the URL first."""
    if len(sys.argv) == 1:
        # ``make bench`` runs every bench/*.py: this one is the benchmarks' server, not a benchmark.
        print(
            "bench/_server.py: the benchmarks' loopback server (run with --routes FILE); nothing to measure"
        )
        return
    parser = argparse.ArgumentParser(description="loopback server for the benchmarks")
    parser.add_argument("--routes", required=True, help="JSON file: {path: keywords of route()}")
    parser.add_argument("--latency", type=float, default=0.0)
    args = parser.parse_args()
    with open(args.routes) as f:
        routes = json.load(f)
    with LoopbackServer(latency=args.latency) as server:
        for path, keywords in routes.items():
            server.route(path, **keywords)
        print(server.url, flush=True)
        sys.stdin.read()


if __name__ == "__main__":
    main()
