"""Serve WSGI apps to ``requests`` without sockets, through ``responses``.

:class:`InProcessTransport` mounts apps on base URLs (by default the real ESI and SSO
hosts): a request whose URL starts with a mounted base URL is handed to its app through
werkzeug's WSGI test machinery, and the app's answer comes back as a ``requests``
response. Loopback URLs pass through to the network, so live servers (a Django
``LiveServerTestCase``, a :class:`~esi_testing.fake.server.FakeESIServer`) keep working;
any other URL fails with ``responses``' ``ConnectionError``, so nothing reaches the
internet by accident.

Transport faults (see :mod:`esi_testing.fake`) become ``requests.ConnectionError`` and
``requests.ReadTimeout``.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

import requests
import responses
from werkzeug.test import EnvironBuilder, run_wsgi_app

from esi_testing.fake import DropConnection, HoldConnection, Switchable

__all__ = ["DEFAULT_BASE_URLS", "LOOPBACK", "InProcessTransport"]

WSGIApp = Callable[..., Iterable[bytes]]

DEFAULT_BASE_URLS = ("https://esi.evetech.net", "https://login.eveonline.com")
#: URLs left to the real network: loopback only.
LOOPBACK = re.compile(r"^https?://(127\.\d+\.\d+\.\d+|localhost|\[::1\])(:\d+)?(/|$)")
_KEEP_CALLS = 100
_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


class InProcessTransport(Switchable):
    """Answer ``requests`` calls to the mounted base URLs with WSGI apps; start()/stop() are idempotent.

    Use as a context manager, a decorator, or with start()/stop()::

        with InProcessTransport({"https://login.eveonline.com": SSOApp()}):
            requests.get("https://login.eveonline.com/oauth/jwks")
    """

    def __init__(self, mounts: Mapping[str, WSGIApp]) -> None:
        if not mounts:
            raise ValueError("mount at least one app on a base URL")
        self.mounts = {_base(url): app for url, app in mounts.items()}
        self._mock: responses.RequestsMock | None = None
        self._lock = threading.Lock()

    @property
    def started(self) -> bool:
        """Return True while requests are intercepted."""
        return self._mock is not None

    def start(self) -> None:
        """Intercept ``requests`` (no-op when already started)."""
        with self._lock:
            if self._mock is not None:
                return
            mock = responses.RequestsMock(assert_all_requests_are_fired=False)
            mock.add_passthru(LOOPBACK)
            for base, app in self.mounts.items():
                pattern = re.compile(re.escape(base) + r"(/.*)?$")
                for method in _METHODS:
                    mock.add_callback(
                        method, pattern, callback=self._callback(mock, base, app), content_type=None
                    )
            mock.start()
            self._mock = mock

    def stop(self) -> None:
        """Stop intercepting (no-op when not started)."""
        with self._lock:
            mock, self._mock = self._mock, None
        if mock is not None:
            mock.stop()
            mock.reset()

    def _callback(
        self, mock: responses.RequestsMock, base: str, app: WSGIApp
    ) -> Callable[[requests.PreparedRequest], Any]:
        def callback(request: requests.PreparedRequest) -> Any:
            # responses keeps every request and response; a fake that lives for a whole
            # test session must not, so the record is cut short (nothing here reads it).
            if len(mock.calls) > _KEEP_CALLS:
                mock.calls.reset()
                for registered in mock.registered():
                    registered.calls.reset()
            return _call_wsgi(app, request, base)

        return callback


def _call_wsgi(
    app: WSGIApp, request: requests.PreparedRequest, base: str
) -> tuple[int, list[tuple[str, str]], Any]:
    """Run ``app`` on a prepared request; return ``(status, headers, body)`` for ``responses``."""
    parts = urlsplit(request.url or "")
    raw: Any = request.body
    if hasattr(raw, "read"):
        raw = raw.read()
    elif raw is not None and not isinstance(raw, (str, bytes)):
        raw = b"".join(part if isinstance(part, bytes) else str(part).encode() for part in raw)
    body: bytes | None = raw.encode("utf-8") if isinstance(raw, str) else raw
    headers = [
        (k, v if isinstance(v, str) else v.decode("latin-1"))
        for k, v in request.headers.items()
        if k.lower() != "content-length"
    ]
    builder = EnvironBuilder(
        method=request.method or "GET",
        base_url=base,
        path=parts.path[len(urlsplit(base).path) :] or "/",
        query_string=parts.query,
        headers=headers,
        data=body or None,
    )
    try:
        environ = builder.get_environ()
    finally:
        builder.close()
    environ["esi_testing.transport"] = "inprocess"
    try:
        app_iter, status, response_headers = run_wsgi_app(app, environ, buffered=True)
    except DropConnection as exc:
        return 0, [], requests.ConnectionError(f"fake transport: connection dropped ({exc})", request=request)
    except HoldConnection as exc:
        return 0, [], requests.ReadTimeout(f"fake transport: no answer for {exc.seconds} s", request=request)
    try:
        content = b"".join(app_iter)
    finally:
        if hasattr(app_iter, "close"):
            app_iter.close()
    return int(status.split(" ", 1)[0]), list(response_headers.items()), content


def _base(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"base URL must be http(s)://host[/path], not {url!r}")
    return f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}"
