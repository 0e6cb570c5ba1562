"""Serve a WSGI app on loopback from a background thread: :class:`FakeESIServer`.

werkzeug's threaded server answers each connection in its own thread, on an ephemeral
port by default::

    with FakeESIServer(app) as server:
        requests.get(server.url + "/latest/status/")

Connections are kept alive (HTTP/1.1): werkzeug's own handler closes every connection
after one answer, which costs a TCP handshake and a thread per request and halves the
throughput. Our handler buffers the request body and the answer (the fake's answers are
small) so that each connection stays in step; a chunked request falls back to
werkzeug's handler, which closes the connection.

Transport faults (see :mod:`esi_testing.fake`) act on the socket: ``DropConnection``
closes it without a response, ``HoldConnection`` sends nothing for a while first (cut
short when the server stops).
"""

from __future__ import annotations

import io
import logging
import socket
import threading
from collections.abc import Callable, Iterable
from typing import Any, NoReturn

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from esi_testing.fake import DropConnection, HoldConnection, Switchable

__all__ = ["FakeESIServer"]

logger = logging.getLogger(__name__)

WSGIApp = Callable[..., Iterable[bytes]]


class _Handler(WSGIRequestHandler):
    """werkzeug's handler with keep-alive connections, logging at DEBUG level."""

    protocol_version = "HTTP/1.1"
    timeout = 30  # an idle kept-alive connection ends after this many seconds
    stopping: threading.Event  # set on the subclass made for each server

    def run_wsgi(self) -> None:
        if self.stopping.is_set():
            self.close_connection = True
            return
        length = self.headers.get("Content-Length")
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower() or (
            length is not None and not length.isdigit()
        ):
            super().run_wsgi()  # answers once and closes
            return
        if self.headers.get("Expect", "").lower().strip() == "100-continue":
            self.wfile.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        environ = self.make_environ()
        environ["wsgi.input"] = io.BytesIO(self.rfile.read(int(length)) if length else b"")
        answer: dict[str, Any] = {}

        def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            answer["status"], answer["headers"] = status, headers
            return lambda data: answer.setdefault("written", []).append(data)

        try:
            app_iter = self.server.app(environ, start_response)
            try:
                body = b"".join([*answer.get("written", []), *app_iter])
            finally:
                if hasattr(app_iter, "close"):
                    app_iter.close()
        except _Dropped:
            self.close_connection = True
            return
        except Exception:
            logger.exception("the fake's app failed on %s", self.requestline)
            answer = {"status": "500 INTERNAL SERVER ERROR", "headers": [("Content-Type", "text/plain")]}
            body = b"Internal Server Error"
            self.close_connection = True
        self._send(answer["status"], answer["headers"], body)

    def _send(self, status: str, headers: list[tuple[str, str]], body: bytes) -> None:
        code = int(status.split(" ", 1)[0])
        lines = [
            f"{self.protocol_version} {status}",
            f"Server: {self.version_string()}",
            f"Date: {self.date_time_string()}",
        ]
        lines += [f"{k}: {v}" for k, v in headers if k.lower() not in ("content-length", "connection")]
        if self.command == "HEAD" or code in (204, 304) or 100 <= code < 200:
            payload = b""
            lines += [f"{k}: {v}" for k, v in headers if k.lower() == "content-length"]
        else:
            payload = body
            lines.append(f"Content-Length: {len(body)}")
        if self.close_connection:
            lines.append("Connection: close")
        self.wfile.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + payload)
        self.log_request(code, len(payload))

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        logger.debug('"%s" %s %s', self.requestline, code, size)

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug(format, *args)


class _Dropped(ConnectionAbortedError):
    """Tells werkzeug the connection is gone, so it neither answers nor logs an error."""


class FakeESIServer(Switchable):
    """Run a WSGI app on a threaded loopback server; start()/stop() are idempotent."""

    def __init__(self, app: WSGIApp, host: str = "127.0.0.1", port: int = 0) -> None:
        self.app = app
        self.host = host
        self.port = port
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self._lock = threading.Lock()

    @property
    def started(self) -> bool:
        """Return True while the server listens."""
        return self._server is not None

    @property
    def url(self) -> str:
        """Return the base URL, ``http://host:port`` (with the real port once started)."""
        if self._server is None:
            raise RuntimeError("the server is not started: call start() first")
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self._server.port}"

    def start(self) -> None:
        """Bind and serve in a daemon thread (no-op when already started)."""
        with self._lock:
            if self._server is not None:
                return
            self._stopping = threading.Event()  # a new one: threads of an earlier run stay stopped
            handler = type("Handler", (_Handler,), {"stopping": self._stopping})
            server = make_server(self.host, self.port, self._guarded, threaded=True, request_handler=handler)
            thread = threading.Thread(
                target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="FakeESIServer", daemon=True
            )
            thread.start()
            self._server, self._thread = server, thread

    def stop(self) -> None:
        """Stop serving and close the socket (no-op when not started)."""
        with self._lock:
            server, thread = self._server, self._thread
            self._server = self._thread = None
        if server is None:
            return
        self._stopping.set()
        server.shutdown()
        server.server_close()
        if thread is not None:
            thread.join(timeout=5)

    def _guarded(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        environ["esi_testing.transport"] = "server"
        try:
            return self.app(environ, start_response)
        except DropConnection:
            _drop(environ)
        except HoldConnection as fault:
            self._stopping.wait(fault.seconds)
            _drop(environ)


def _drop(environ: dict[str, Any]) -> NoReturn:
    sock: socket.socket | None = environ.get("werkzeug.socket")
    if sock is not None:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
    raise _Dropped("fake transport: connection dropped")
