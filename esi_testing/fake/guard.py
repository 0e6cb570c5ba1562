"""What the fake ESI and the fake SSO accept from a request before they answer it.

The fake is a test tool, but it listens on a port, and a developer's browser can reach
that port. Every request passes here first:

* its size: the URL (:data:`URL_LIMIT`, else 414), the headers (:data:`HEADERS_LIMIT`,
  else 431) and the body (:data:`ESI_BODY_LIMIT` for ESI operations,
  :data:`CONTROL_BODY_LIMIT` for control endpoints, :data:`FORM_BODY_LIMIT` for the
  SSO's forms, else 413); werkzeug's ``max_content_length`` enforces the body limit
  while reading, also on chunked bodies;
* a JSON body: at most :data:`JSON_DEPTH_LIMIT` levels deep (checked before parsing, so
  the parser cannot recurse out), at most :data:`JSON_ITEMS_LIMIT` values in an ESI
  body, no ``NaN``/``Infinity`` (not JSON), else 400;
* a control endpoint (``/_fake/...``, ``/_fake/sso/...``): a loopback ``Host``
  (127.0.0.0/8, ``localhost``, ``[::1]``, with or without a port; a DNS-rebinding
  page sends its own name), no foreign ``Origin``, and ``application/json`` for a
  ``POST`` (a page can post ``text/plain`` or a form anywhere without asking; a JSON
  post across origins needs a CORS preflight the fake never grants), else 403 or 415.
  In-process (:mod:`~esi_testing.fake.inprocess`) there is no socket, hence no Host
  check.

Every refusal is ESI-shaped JSON, ``{"error": "..."}``, and quotes at most a short
excerpt of what it refuses (:func:`excerpt`, :func:`shorten`).
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Mapping
from typing import Any

from werkzeug.exceptions import ClientDisconnected, RequestEntityTooLarge
from werkzeug.wrappers import Request, Response

__all__ = [
    "CONTROL_BODY_LIMIT",
    "ESI_BODY_LIMIT",
    "FORM_BODY_LIMIT",
    "HEADERS_LIMIT",
    "JSON_DEPTH_LIMIT",
    "JSON_ITEMS_LIMIT",
    "MESSAGE_LIMIT",
    "URL_LIMIT",
    "Refused",
    "error_response",
    "excerpt",
    "format_checker",
    "is_control",
    "is_loopback_host",
    "parse_json",
    "read_body",
    "read_json",
    "refusal",
    "shorten",
]

#: The longest path and query string answered (414 beyond), as Cloudflare in front of ESI.
URL_LIMIT = 16 * 1024
#: The most header bytes answered (431 beyond).
HEADERS_LIMIT = 32 * 1024
#: The largest body of an ESI operation (ESI's largest, 1000 ids or a mail, is a few kB).
ESI_BODY_LIMIT = 1024 * 1024
#: The largest body of a control endpoint (a data pack posted to ``/_fake/data``).
CONTROL_BODY_LIMIT = 16 * 1024 * 1024
#: The largest form the fake SSO reads (a token request is a few hundred bytes).
FORM_BODY_LIMIT = 64 * 1024
#: The deepest JSON body read (ESI's bodies are 3 deep, a data-pack record about 10).
JSON_DEPTH_LIMIT = 32
#: The most values in the JSON body of an ESI operation (ESI takes 1000 ids at most).
JSON_ITEMS_LIMIT = 10_000
#: The longest error message answered; what a message quotes is cut shorter still.
MESSAGE_LIMIT = 300
_EXCERPT = 60

_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.S)
_NOT_BRACKETS = bytes(sorted(set(range(256)) - set(b"[]{}")))
_HOST = re.compile(r"(\[[0-9a-fA-F:.]+\]|[^:\[\]]+)(?::\d{1,5})?")
_BODY_METHODS = ("POST", "PUT", "PATCH")


class Refused(Exception):
    """A request the fake will not answer: its status and the reason, as ESI-shaped JSON."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message

    def response(self) -> Response:
        """Return the JSON answer ``{"error": message}`` with the status."""
        return error_response(self.status, self.message)


def error_response(status: int, message: str, **extra: Any) -> Response:
    """Return an ESI-shaped JSON error answer (the message cut to :data:`MESSAGE_LIMIT`)."""
    body = json.dumps({"error": shorten(message), **extra}, ensure_ascii=False).encode()
    return Response(body, status=status, content_type="application/json; charset=UTF-8")


def excerpt(value: Any, limit: int = _EXCERPT) -> str:
    """Return ``repr``-like text of ``value`` cut to ``limit`` characters, saying how long it was."""
    text = value.decode("utf-8", "replace") if isinstance(value, (bytes, bytearray)) else str(value)
    if len(text) <= limit:
        return repr(text)
    return f"{text[:limit]!r}... ({len(text)} characters)"


def shorten(message: str, limit: int = MESSAGE_LIMIT) -> str:
    """Return ``message`` cut to ``limit`` characters (jsonschema's messages quote whole values)."""
    return message if len(message) <= limit else message[: limit - 30] + f"... ({len(message)} characters)"


def is_control(path: str) -> bool:
    """Return True for the fake's control endpoints, ``/_fake`` and below."""
    return path == "/_fake" or path.startswith("/_fake/")


def is_loopback_host(host: str) -> bool:
    """Return True for a ``Host`` naming this machine: 127.0.0.0/8, localhost or [::1], any port."""
    match = _HOST.fullmatch(host.strip())
    if match is None:
        return False
    name = match.group(1).lower()
    if name == "localhost":
        return True
    try:
        address = ipaddress.ip_address(name[1:-1] if name.startswith("[") else name)
    except ValueError:
        return False
    return address.is_loopback and (address.version == 6) == name.startswith("[")


def refusal(environ: Mapping[str, Any], body_limit: int) -> Response | None:
    """Return the answer refusing this request for its size or origin, None to serve it."""
    url = len(environ.get("PATH_INFO", "")) + len(environ.get("QUERY_STRING", ""))
    if url > URL_LIMIT:
        return error_response(414, f"URI too long: {url} characters, at most {URL_LIMIT}")
    headers = sum(len(k) + len(str(v)) for k, v in environ.items() if k.startswith("HTTP_"))
    if headers > HEADERS_LIMIT:
        return error_response(431, f"Request headers too large: {headers} bytes, at most {HEADERS_LIMIT}")
    length = str(environ.get("CONTENT_LENGTH") or "0")
    if not length.isdigit():
        return error_response(400, f"Invalid Content-Length {excerpt(length)}")
    if int(length) > body_limit:
        return error_response(413, f"Request body too large: {length} bytes, at most {body_limit}")
    if is_control(environ.get("PATH_INFO", "")):
        return _control_refusal(environ)
    return None


def _control_refusal(environ: Mapping[str, Any]) -> Response | None:
    if environ.get("esi_testing.transport") != "inprocess":
        host = str(environ.get("HTTP_HOST") or environ.get("SERVER_NAME") or "")
        if not is_loopback_host(host):
            return error_response(
                403,
                f"Control endpoints answer a loopback Host only (127.0.0.1, localhost, [::1]), not {excerpt(host)}",
            )
    origin = environ.get("HTTP_ORIGIN")
    if origin is not None and not _is_loopback_origin(str(origin)):
        return error_response(
            403, f"Control endpoints answer no cross-site request (Origin {excerpt(origin)})"
        )
    if environ.get("REQUEST_METHOD", "GET").upper() in _BODY_METHODS:
        mimetype = str(environ.get("CONTENT_TYPE") or "").split(";", 1)[0].strip().lower()
        if mimetype != "application/json":
            return error_response(
                415,
                f"Control requests must be application/json, not {excerpt(mimetype or 'no Content-Type')}",
            )
    return None


def _is_loopback_origin(origin: str) -> bool:
    scheme, sep, rest = origin.partition("://")
    return bool(sep) and scheme in ("http", "https") and is_loopback_host(rest.rstrip("/"))


def read_body(request: Request, limit: int) -> bytes:
    """Return the body of ``request``, at most ``limit`` bytes (chunked too), else raise :class:`Refused`."""
    request.max_content_length = limit
    try:
        return request.get_data(cache=True)
    except RequestEntityTooLarge:
        raise Refused(413, f"Request body too large: more than {limit} bytes") from None
    except ClientDisconnected:
        raise Refused(400, "The request body ended before its Content-Length") from None


def read_json(
    request: Request, limit: int, items_limit: int | None = None, what: str = "the request body"
) -> Any:
    """Return the JSON body of ``request`` (``None`` when empty), bounded as :func:`parse_json`."""
    data = read_body(request, limit)
    if not data:
        return None
    return parse_json(data, items_limit=items_limit, what=what)


def parse_json(data: bytes | str, *, items_limit: int | None = None, what: str = "the request body") -> Any:
    """Return JSON ``data`` parsed, or raise :class:`Refused` (400) naming what is wrong.

    The depth (:data:`JSON_DEPTH_LIMIT`) and the number of values (``items_limit``) are
    counted on the text before it is parsed.
    """
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else bytes(data)
    skeleton = _STRING.sub(b'""', raw)  # brackets and commas inside strings do not count
    brackets = skeleton.translate(None, _NOT_BRACKETS)
    depth = deepest = 0
    for byte in brackets:
        depth += 1 if byte in b"[{" else -1
        if depth > deepest:
            deepest = depth
            if deepest > JSON_DEPTH_LIMIT:
                raise Refused(400, f"Invalid {what}: nested deeper than {JSON_DEPTH_LIMIT} levels")
    if items_limit is not None:
        items = skeleton.count(b",") + len(brackets) // 2
        if items > items_limit:
            raise Refused(400, f"Invalid {what}: about {items} values, at most {items_limit}")
    try:
        return json.loads(raw, parse_constant=_no_constant)
    except (ValueError, RecursionError) as exc:
        raise Refused(400, f"Invalid {what}: not JSON ({shorten(str(exc), 120)})") from None


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


_INT_RANGES = {"int32": 2**31, "int64": 2**63}


def format_checker(base: Any) -> Any:
    """Return a copy of jsonschema ``FormatChecker`` ``base`` that also checks ``int32``/``int64``.

    The spec says which integers fit (``character_id`` is an ``int32``); jsonschema knows
    neither format, so a 12-digit id would pass.
    """
    import jsonschema

    checker = jsonschema.FormatChecker(formats=())
    checker.checkers = dict(base.checkers)
    for name, bound in _INT_RANGES.items():

        def fits(value: Any, bound: int = bound) -> bool:
            return not isinstance(value, int) or isinstance(value, bool) or -bound <= value < bound

        checker.checks(name)(fits)
    return checker
