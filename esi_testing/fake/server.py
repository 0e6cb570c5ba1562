"""Serve a WSGI app on loopback from a background thread: :class:`FakeESIServer`.

werkzeug's threaded server answers each request in its own thread, on an ephemeral port
by default::

    with FakeESIServer(app) as server:
        requests.get(server.url + "/latest/status/")

Transport faults (see :mod:`esi_testing.fake`) act on the socket: ``DropConnection``
closes it without a response, ``HoldConnection`` sends nothing for a while first (cut
short when the server stops).
"""

from __future__ import annotations

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


class _QuietHandler(WSGIRequestHandler):
    """Log requests at DEBUG level instead of printing one line per request."""

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
            self._stopping.clear()
            server = make_server(
                self.host, self.port, self._guarded, threaded=True, request_handler=_QuietHandler
            )
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
