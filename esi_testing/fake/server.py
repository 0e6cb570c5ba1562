"""Serve a WSGI app on loopback from a background thread: :class:`FakeESIServer`.

werkzeug's threaded server answers each connection in its own thread, on an ephemeral
port by default::

    with FakeESIServer(app) as server:
        requests.get(server.url + "/latest/status/")

Connections are kept alive (HTTP/1.1): werkzeug's own handler closes every connection
after one answer, which costs a TCP handshake and a thread per request and halves the
throughput. Our handler buffers the request body and the answer (the fake's answers are
small) so that each connection stays in step; a chunked request is answered, then its
connection closed.

The body is read within a deadline (``body_deadline``, 408 after it) and a size limit
(``max_body``, 413 beyond, unread when ``Content-Length`` says so), chunked or not; the
app sees a plain ``Content-Length`` body. Every answer of the HTTP layer itself (414,
431, 408, 413, a malformed request, a failing app's 500) is ESI-shaped JSON.

Transport faults (see :mod:`esi_testing.fake`) act on the socket: ``DropConnection``
closes it without a response, ``HoldConnection`` sends nothing for a while first (cut
short when the server stops).
"""

from __future__ import annotations

import io
import json
import logging
import socket
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any, NoReturn

from werkzeug.serving import BaseWSGIServer, DechunkedInput, WSGIRequestHandler, make_server

from esi_testing.fake import DropConnection, HoldConnection, Switchable
from esi_testing.fake.guard import CONTROL_BODY_LIMIT, shorten

__all__ = ["FakeESIServer"]

logger = logging.getLogger(__name__)

WSGIApp = Callable[..., Iterable[bytes]]


class _Handler(WSGIRequestHandler):
    """werkzeug's handler with keep-alive connections, logging at DEBUG level."""

    protocol_version = "HTTP/1.1"
    timeout = 30  # an idle kept-alive connection ends after this many seconds
    stopping: threading.Event  # set on the subclass made for each server
    body_deadline: float  # and these two
    max_body: int

    def run_wsgi(self) -> None:
        if self.stopping.is_set():
            self.close_connection = True
            return
        body = self._read_body()
        if body is None:
            return
        environ = self.make_environ()
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        environ.pop("wsgi.input_terminated", None)
        environ.pop("HTTP_TRANSFER_ENCODING", None)
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
            self._refuse(500, "Internal server error")
            return
        self._send(answer["status"], answer["headers"], body)

    def _read_body(self) -> bytes | None:
        """Return the request body, read within the deadline and the size limit (None: refused)."""
        chunked = "chunked" in self.headers.get("Transfer-Encoding", "").lower()
        length = str(self.headers.get("Content-Length", "")).strip()
        problem: tuple[int, str] | None = None
        if not chunked and not length:
            return b""
        if not chunked and not length.isdigit():
            problem = 400, f"Invalid Content-Length {length[:40]!r}"
        elif not chunked and int(length) > self.max_body:
            problem = 413, f"Request body too large: {length} bytes, at most {self.max_body}"
        else:
            if self.headers.get("Expect", "").lower().strip() == "100-continue":
                self.wfile.write(b"HTTP/1.1 100 Continue\r\n\r\n")
            source = _DeadlineReader(self.rfile, self.connection, time.monotonic() + self.body_deadline)
            try:
                if not chunked:
                    return _read_exactly(source, int(length))
                self.close_connection = True  # the buffer below may hold the next request
                return _read_limited(DechunkedInput(io.BufferedReader(source)), self.max_body)  # type: ignore[arg-type]
            except TimeoutError:
                problem = 408, f"The request body did not arrive within the deadline ({self.body_deadline} s)"
            except _TooLarge:
                problem = 413, f"Request body too large: more than {self.max_body} bytes"
            except (OSError, ValueError) as exc:
                problem = 400, f"Invalid request body: {exc}"
            finally:
                try:
                    self.connection.settimeout(self.timeout)
                except OSError:
                    pass
        self._refuse(*problem)
        return None

    def _refuse(self, status: int, message: str) -> None:
        self.close_connection = True
        reason = self.responses.get(status, ("Error",))[0]
        body = json.dumps({"error": shorten(message)}).encode()
        try:
            self._send(f"{status} {reason}", [("Content-Type", "application/json; charset=UTF-8")], body)
            if status in (408, 413):
                self._discard()
        except OSError:
            pass

    def _discard(self) -> None:
        # Drop what the client still sends for a moment, so that it reads the answer
        # rather than a connection reset (werkzeug's server does so too, for up to 10 GB).
        self.connection.shutdown(socket.SHUT_WR)
        deadline = time.monotonic() + 1.0
        while (remaining := deadline - time.monotonic()) > 0:
            self.connection.settimeout(remaining)
            if not self.connection.recv(65536):
                return

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """Answer http.server's own refusals (414, 431, a malformed request line) as JSON, not HTML."""
        self._refuse(code, message or self.responses.get(code, ("Error",))[0])

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

    def log_error(self, format: str, *args: Any) -> None:
        # An idle kept-alive connection ending after `timeout` is routine, not an error.
        if format.startswith("Request timed out"):
            logger.debug(format, *args)
        else:
            super().log_error(format, *args)


class _TooLarge(Exception):
    """A chunked body grew past the limit."""


class _DeadlineReader(io.RawIOBase):
    """The socket's bytes, each read cut short at one deadline for the whole body."""

    def __init__(self, rfile: Any, connection: socket.socket, deadline: float) -> None:
        self._rfile, self._connection, self._deadline = rfile, connection, deadline

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        remaining = self._deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("body deadline")
        self._connection.settimeout(remaining)
        return int(self._rfile.readinto1(buffer))  # one read of the socket at most


def _read_exactly(source: _DeadlineReader, length: int) -> bytes:
    buffer = bytearray(length)
    view, done = memoryview(buffer), 0
    while done < length:
        got = source.readinto(view[done:])
        if not got:
            raise ValueError(f"the body ended after {done} of {length} bytes")
        done += got
    return bytes(buffer)


def _read_limited(stream: io.RawIOBase, limit: int) -> bytes:
    parts: list[bytes] = []
    total = 0
    while True:
        piece = stream.read(65536)
        if not piece:
            return b"".join(parts)
        total += len(piece)
        if total > limit:
            raise _TooLarge
        parts.append(piece)


class _Dropped(ConnectionAbortedError):
    """Tells werkzeug the connection is gone, so it neither answers nor logs an error."""


class FakeESIServer(Switchable):
    """Run a WSGI app on a threaded loopback server; start()/stop() are idempotent."""

    def __init__(
        self,
        app: WSGIApp,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        body_deadline: float = 10.0,
        max_body: int = CONTROL_BODY_LIMIT,
    ) -> None:
        self.app = app
        self.host = host
        self.port = port
        self.body_deadline = body_deadline
        self.max_body = max_body
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
            handler = type(
                "Handler",
                (_Handler,),
                {"stopping": self._stopping, "body_deadline": self.body_deadline, "max_body": self.max_body},
            )
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
