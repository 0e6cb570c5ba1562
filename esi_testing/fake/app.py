"""The fake ESI as a WSGI app: validate each request against the spec, answer as ESI does.

``make_app(backend)`` returns a werkzeug WSGI application over a
:class:`~esi_testing.fake.backend.FakeBackend`. It serves every operation of the
backend's snapshots and speaks ESI's errors and headers:

* unknown route: 404 ``{"error": "Not found"}``; a bad, missing or
  out-of-enum parameter (``datasource`` other than ``tranquility`` included):
  400 ``{"error": "..."}`` naming the parameter;
* ``X-Compatibility-Date`` (OpenAPI era): missing, ESI serves its oldest date,
  so the fake serves its oldest OpenAPI snapshot; a date picks the newest
  snapshot not after it; a malformed date or one in the future: 400;
* auth: no token 401 ``authorization not provided``; a token not signed by
  the fake SSO 401; an expired token 403 ``token is expired``
  (``sso_status`` 401); a missing scope 403 ``token not valid for scope``; a
  ``character_id`` in the path that is not the token's character 403;
* data: recorded (the data pack) first, then generated, or 404 in strict mode;
  list bodies paged with ``X-Pages`` (a page past the end: 404 ``Requested page
  does not exist!``), cursor paging (``before``/``after``/``limit``) on OpenAPI
  operations with ``x-pagination``;
* ``language`` / ``Accept-Language`` and ``Content-Language``; an unknown
  language 400;
* ``Expires``, ``Cache-Control``, ``Last-Modified``, ``ETag``; ``If-None-Match``
  304;
* error limit (``X-ESI-Error-Limit-Remain``/``-Reset``, 420 once spent) on
  routes without ``x-rate-limit``; rate limits (``X-Ratelimit-*``, 429 with
  ``Retry-After``) on routes with it;
* injected faults; a dropped connection raises
  :class:`~esi_testing.fake.DropConnection` and a timeout
  :class:`~esi_testing.fake.HoldConnection` out of the app, for the transport
  to act out.

Control endpoints (not journaled, no limits): ``POST /_fake/reset``,
``GET/POST/DELETE /_fake/data``, ``GET/POST/DELETE /_fake/faults``,
``GET/DELETE /_fake/journal``.

Before any of this, :mod:`esi_testing.fake.guard` bounds the request (URL, headers,
body size, JSON depth and item count) and keeps the control endpoints to JSON posts
addressed to loopback; its refusals are JSON too.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import time
from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from typing import Any

from werkzeug.datastructures import LanguageAccept
from werkzeug.http import http_date, parse_accept_header, parse_date, quote_etag, unquote_etag
from werkzeug.wrappers import Request, Response

from esi_testing.fake import DropConnection, HoldConnection
from esi_testing.fake.backend import FakeBackend, Fault, JournalEntry, TokenRejected
from esi_testing.fake.datapack import NON_DATA_PARAMS, Record, cursor_page, page_of
from esi_testing.fake.faults import generation_of
from esi_testing.fake.guard import (
    CONTROL_BODY_LIMIT,
    ESI_BODY_LIMIT,
    JSON_ITEMS_LIMIT,
    Refused,
    is_control,
    parse_json,
    read_body,
    read_json,
    refusal,
    shorten,
)
from esi_testing.fake.routes import Param, Route, RouteNotFound, derived_spec
from spec_snapshots.fetch import FAKE_SPEC_HEADER

__all__ = ["ERROR_LIMITED", "FakeESIApp", "make_app"]

_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
ERROR_LIMITED = (
    "This software has exceeded the error limit for ESI. If you are a user, please contact the maintainer "
    "of this software. If you are a developer/maintainer, please make a greater effort in the future to "
    "receive valid responses."
)
_FAULT_BODIES = {
    500: {"error": "Internal server error"},
    502: {"error": "Bad gateway"},
    503: {"error": "Service unavailable"},
    504: {"error": "Timeout contacting tranquility", "timeout": 10},
}


class _Answer(Exception):
    """Stop handling a request with this status and ESI error body."""

    def __init__(
        self, status: int, body: Any, headers: Mapping[str, str] | None = None, source: str = "error"
    ):
        super().__init__(status)
        self.status = status
        self.body = body
        self.headers = dict(headers or {})
        self.source = source


def _error(status: int, message: str, **extra: Any) -> _Answer:
    return _Answer(status, {"error": shorten(message), **extra})


class FakeESIApp:
    """A WSGI app answering like ESI from a :class:`FakeBackend`."""

    def __init__(self, backend: FakeBackend) -> None:
        self.backend = backend
        # (recorded body, page and cursor) -> (that body, serialised page, ETag)
        self._payloads: dict[tuple[Any, ...], tuple[Any, bytes, str]] = {}

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        control = is_control(environ.get("PATH_INFO", ""))
        refused = refusal(environ, CONTROL_BODY_LIMIT if control else ESI_BODY_LIMIT)
        if refused is not None:
            return refused(environ, start_response)
        request = Request(environ)
        if control:
            response = self.control(request)
        else:
            response = self.serve(request)
        return response(environ, start_response)

    # --- ESI ------------------------------------------------------------------

    def serve(self, request: Request) -> Response:
        """Answer one ESI request."""
        backend = self.backend
        path = request.path
        date = request.headers.get("X-Compatibility-Date")
        route: Route | None = None
        raw_path: dict[str, str] = {}
        headers: dict[str, str] = {}
        state: dict[str, Any] = {"character_id": None, "source": "error"}
        user = request.remote_addr or "127.0.0.1"
        try:
            spec = self._spec_document(request, date)
            if spec is not None:
                raise _Answer(
                    200, spec, {"Cache-Control": "public, max-age=300", FAKE_SPEC_HEADER: "1"}, source="spec"
                )
            try:
                route, raw_path = backend.route_for(
                    request.method, path, date if date and _DATE_RE.match(date) else None
                )
            except RouteNotFound:
                route = None
            if route is None or route.rate_limit is None:
                if backend.error_limited():
                    raise _Answer(420, {"error": ERROR_LIMITED})
            fault = backend.fault_for(route, path)
            if fault is not None:
                self._strike(fault)
            if route is None:
                raise _error(404, "Not found")
            if route.table.format == "openapi3":
                self._check_date(date)
            claims = self._authorize(request, route, raw_path) if route.secured else None
            if claims is not None:
                state["character_id"] = _character_id(claims)
                user = f"{claims.get('azp', '')}:{state['character_id']}"
            if route.rate_limit is not None:
                remaining, retry = backend.rate_limit_state(route, user)
                if remaining <= 0:
                    raise _Answer(
                        429, {"error": "Too many requests"}, {"Retry-After": str(max(1, math.ceil(retry)))}
                    )
            params = self._params(request, route, raw_path)
            language = self._language(request, route, params)
            status, body, headers, source = self._data(route, params, language)
            state["source"] = source
            if source == "recorded" and isinstance(body, (list, dict)):
                # The same recorded page is serialised once (a 1000-item page costs milliseconds).
                state["payload_of"] = body
                state["payload_key"] = (
                    id(body),
                    backend.page_size,
                    *(params.get(k) for k in ("page", "before", "after", "limit")),
                )
            status, body, headers = self._shape(request, route, params, status, body, headers)
            if route.localized and language:
                headers.setdefault("Content-Language", language)
        except _Answer as answer:
            status, body, headers = answer.status, answer.body, answer.headers
            state["source"] = answer.source
        return self._finish(request, route, date, user, status, body, headers, state)

    def _spec_document(self, request: Request, date: str | None) -> Any:
        """Return the spec ESI serves at this path (``/latest/swagger.json``, ``/meta/openapi.json``)."""
        if request.method != "GET":
            return None
        path = request.path.rstrip("/")
        if path == "/meta/openapi.json":
            wanted = request.args.get("compatibility_date") or date
            table = self.backend.table_for_date(wanted if wanted and _DATE_RE.match(wanted) else None)
            return table.source_spec if table is not None else None
        if path.endswith("/swagger.json") and path.count("/") == 2:
            label = path.split("/")[1]
            for table in self.backend.tables:
                if table.format == "swagger2" and table.route_name == label:
                    return table.source_spec
            return derived_spec(self.backend.tables, label)  # what the client would derive
        return None

    def _strike(self, fault: Fault) -> None:
        if fault.latency:
            time.sleep(float(fault.latency))
        if fault.drop:
            raise DropConnection(
                f"injected fault: connection dropped ({fault.operation or fault.path or '*'})"
            )
        if fault.timeout is not None:
            raise HoldConnection(float(fault.timeout))
        if fault.status is not None:
            status = int(fault.status)
            body = _FAULT_BODIES.get(status, {"error": f"Injected fault {status}"})
            raise _Answer(status, body, source="fault")

    def _check_date(self, date: str | None) -> None:
        if date is None:
            return
        if not _DATE_RE.match(date):
            raise _error(400, f"Invalid X-Compatibility-Date {date!r}: expected a date as YYYY-MM-DD")
        today = datetime.fromtimestamp(self.backend.clock(), tz=timezone.utc).strftime("%Y-%m-%d")
        if date > today:
            raise _error(400, f"Invalid X-Compatibility-Date {date!r}: the date is in the future")

    def _authorize(self, request: Request, route: Route, raw_path: Mapping[str, str]) -> dict[str, Any]:
        auth = request.headers.get("Authorization", "")
        token = auth[7:].strip() if auth[:7].lower() == "bearer " else request.args.get("token")
        if not token:
            raise _error(401, "authorization not provided")
        try:
            claims = self.backend.verify_token(token)
        except TokenRejected as exc:
            raise _Answer(exc.status, exc.body) from exc
        scp = claims.get("scp") or []
        # EVE sends one scope as a string, several as a list; a space-delimited string is read too.
        granted = set(scp.split()) if isinstance(scp, str) else set(scp)
        if not set(route.scopes) <= granted:
            raise _error(403, "token not valid for scope")
        path_character = raw_path.get("character_id")
        if path_character is not None and str(_character_id(claims)) != path_character:
            raise _error(403, "token is not valid for the character_id in the path")
        if route.required_roles:
            self._check_roles(route, _character_id(claims))
        return claims

    def _check_roles(self, route: Route, character_id: int | None) -> None:
        # Roles come from the data pack's get_characters_character_id_roles answer of the
        # token's character; without one, the character is taken to hold the roles.
        record = self.backend.data.match(
            {"get_characters_character_id_roles"}, {"character_id": character_id}
        )
        if record is None or record.status != 200 or not isinstance(record.body, Mapping):
            return
        held = set(record.body.get("roles") or ())
        if not held & set(route.required_roles):
            raise _error(403, "Character does not have required role(s)")

    def _params(self, request: Request, route: Route, raw_path: Mapping[str, str]) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for param in route.params:
            if param.location == "path":
                raw: Any = raw_path.get(param.name)
            elif param.location == "query":
                raw = request.args.getlist(param.name) or None
                if raw is not None and not (param.schema.get("type") == "array" and len(raw) > 1):
                    raw = raw[0]
            elif param.location == "header":
                if param.name == "Accept-Language":
                    continue
                raw = request.headers.get(param.name)
            elif param.location == "body":
                present, raw = self._body(request, param)
                if present:  # a JSON null too: the schema says whether it may be null
                    values[param.name if route.table.format == "swagger2" else "body"] = raw
                    self._validate(route, param, raw)
                continue
            else:  # formData and cookies are not part of ESI
                continue
            if raw is None:
                if param.required:
                    raise _error(400, f"Missing required parameter {param.name!r}")
                if "default" in param.schema and param.location == "query":
                    values[param.name] = param.schema["default"]
                continue
            try:
                value = param.coerce(raw)
            except ValueError as exc:
                raise _error(400, str(exc)) from None
            self._validate(route, param, value)
            values[param.name] = value
        return values

    def _body(self, request: Request, param: Param) -> tuple[bool, Any]:
        """Return (whether there is a body, its JSON), bounded by :mod:`~esi_testing.fake.guard`."""
        try:
            data = read_body(request, ESI_BODY_LIMIT)
            if not data:
                if param.required:
                    raise _error(400, f"Missing required parameter {param.name!r} (the request body)")
                return False, None
            return True, parse_json(data, items_limit=JSON_ITEMS_LIMIT, what=param.name)
        except Refused as refused:
            raise _error(refused.status, refused.message) from None

    def _validate(self, route: Route, param: Param, value: Any) -> None:
        error = next(iter(route.table.validator(param.schema).iter_errors(value)), None)
        if error is not None:
            where = "".join(f"[{p}]" for p in error.absolute_path)
            raise _error(400, f"Invalid {param.name}{where}: {error.message}")

    def _language(self, request: Request, route: Route, params: Mapping[str, Any]) -> str | None:
        if not route.localized:
            return None
        if "language" in params and request.args.get("language"):
            return str(params["language"])
        header = request.headers.get("Accept-Language")
        if not header:
            return str(params.get("language") or route.languages[0])
        accepted = parse_accept_header(header, LanguageAccept)
        best = accepted.best_match(list(route.languages))
        if best is None:
            raise _error(
                400, f"Invalid Accept-Language {header!r}: expected one of {', '.join(route.languages)}"
            )
        return best

    def _data(
        self, route: Route, params: Mapping[str, Any], language: str | None
    ) -> tuple[int, Any, dict[str, str], str]:
        headers = {p.name for p in route.params if p.location == "header"}
        data_params = {k: v for k, v in params.items() if k not in NON_DATA_PARAMS and k not in headers}
        if route.table.format == "swagger2":
            body_param = next((p.name for p in route.params if p.location == "body"), None)
            if body_param and body_param in data_params:
                data_params["body"] = data_params.pop(body_param)
        if not self.backend.strict:
            answered = self.backend.stateful(route, data_params)
            if answered is not None:
                return answered[0], answered[1], {}, "state"
        record = self.backend.lookup(route, {**data_params, **_page_param(route, params)}, language)
        if record is not None:
            body = record.body
            if 200 <= record.status < 300:
                body = self.backend.shaped(route, body, record.headers)
            return record.status, body, dict(record.headers), "recorded"
        if route.paged and int(params.get("page") or 1) > 1:
            first = self.backend.lookup(route, {**data_params, "page": 1}, language)
            if first is not None and "page" in first.params:
                # Pages were recorded one by one, and not this one: it is past the end.
                raise _error(404, "Requested page does not exist!")
        if self.backend.strict:
            raise _error(
                404, f"No data recorded for {route.key} with {json.dumps(data_params, sort_keys=True)}"
            )
        if route.response_schema is None:
            return route.success_status, None, {}, "generated"
        if route.key == "get_meta_compatibility_dates":
            # The dates this fake serves, as ESI lists the dates it knows.
            dates = sorted({t.compatibility_date for t in self.backend.tables if t.compatibility_date})
            return route.success_status, {"compatibility_dates": dates}, {}, "generated"
        hints = {k: v for k, v in data_params.items() if k != "body"}
        answered = self.backend.answer(route, data_params, language, hints)
        if answered is not None:
            return answered[0], answered[1], {}, "universe"
        body = self.backend.generated(route, data_params, language, hints)
        return route.success_status, body, {}, "generated"

    def _shape(
        self,
        request: Request,
        route: Route,
        params: Mapping[str, Any],
        status: int,
        body: Any,
        headers: dict[str, str],
    ) -> tuple[int, Any, dict[str, str]]:
        if status >= 300:
            return status, body, headers
        if route.paged and isinstance(body, list) and "X-Pages" not in headers:
            try:
                body, pages = page_of(body, int(params.get("page") or 1), self.backend.page_size)
            except LookupError:
                raise _error(404, "Requested page does not exist!") from None
            headers["X-Pages"] = str(pages)
        if route.cursor and isinstance(body, dict):
            try:
                body = cursor_page(
                    body, params.get("before"), params.get("after"), int(params.get("limit") or 10)
                )
            except ValueError as exc:
                raise _error(400, str(exc)) from None
        return status, body, headers

    def _finish(
        self,
        request: Request,
        route: Route | None,
        date: str | None,
        user: str,
        status: int,
        body: Any,
        headers: dict[str, str],
        state: dict[str, Any],
    ) -> Response:
        backend = self.backend
        key = state.get("payload_key")
        cached = self._payloads.get(key) if key is not None else None
        if cached is not None and cached[0] is state.get("payload_of"):
            payload = cached[1]
            headers.setdefault("ETag", cached[2])
        else:
            payload = (
                b"" if body is None and status in (204, 304) else _text(route, status, body) or _dump(body)
            )
            if key is not None:
                if len(self._payloads) >= 256:
                    self._payloads.clear()
                self._payloads[key] = (state["payload_of"], payload, _etag(payload))
        if status < 300 and request.method == "GET":
            generation = generation_of(backend.faults, route, request.path)
            if generation:  # a regenerate fault struck: a later build of the listing, another version
                headers["Last-Modified"] = http_date(backend.started + generation)
                headers["ETag"] = _etag(payload + b"\ngeneration %d" % generation)
            self._caching(route, headers, payload)
            if status == 200 and _not_modified(request, headers):
                status, payload = 304, b""
        if route is not None and route.rate_limit is not None:
            spec = backend.rate_limit_of(route)
            cost = backend.spend_tokens(route, user, status) if status != 429 else 0
            remaining, _ = backend.rate_limit_state(route, user)
            assert spec is not None
            headers.update(
                {
                    "X-Ratelimit-Group": spec[0],
                    "X-Ratelimit-Limit": f"{spec[1]}/{spec[3]}",
                    "X-Ratelimit-Remaining": str(max(0, remaining)),
                    "X-Ratelimit-Used": str(cost),
                }
            )
        else:
            if status >= 400 and status != 420:
                backend.count_error()
            remain, reset = backend.error_limit_status()
            headers["X-ESI-Error-Limit-Remain"] = str(remain)
            headers["X-ESI-Error-Limit-Reset"] = str(reset)
        response = Response(payload, status=status, headers=headers)
        if payload:
            text = route is not None and status < 300 and _text(route, status, body) is not None
            response.headers["Content-Type"] = route.produces if text else "application/json; charset=UTF-8"  # type: ignore[union-attr]
        else:
            response.headers.pop("Content-Type", None)
        backend.record(
            JournalEntry(
                time=backend.clock(),
                method=request.method,
                path=request.path,
                query={k: request.args.getlist(k) for k in request.args},
                headers={k: v for k, v in request.headers.items() if k.lower() != "authorization"},
                body=_request_body(request),
                status=status,
                operation=route.key if route else None,
                snapshot=route.table.label if route else None,
                character_id=state["character_id"],
                source=state["source"],
                etag=response.headers.get("ETag"),
            )
        )
        return response

    def _caching(self, route: Route | None, headers: dict[str, str], payload: bytes) -> None:
        now = self.backend.clock()
        seconds: float | None = None
        if route is not None and route.cache_seconds:
            seconds = route.cache_seconds
        elif route is not None and route.expires_daily and self.backend.daily_expiry:
            # "This route expires daily at 11:05": the next such time, UTC.
            hour, minute = route.expires_daily
            day = datetime.fromtimestamp(now, tz=timezone.utc)
            due = day.replace(hour=hour, minute=minute, second=0, microsecond=0).timestamp()
            seconds = due - now if due > now else due + 86400 - now
        if route is not None and seconds is not None:
            headers.setdefault("Expires", http_date(now + seconds))
            scope = "private" if route.secured else "public"
            headers.setdefault("Cache-Control", f"{scope}, max-age={int(seconds)}")
        headers.setdefault("Last-Modified", http_date(self.backend.started))
        headers.setdefault("ETag", _etag(payload))

    # --- control endpoints ----------------------------------------------------

    def control(self, request: Request) -> Response:
        """Answer ``/_fake/...``: reset, data, faults and journal."""
        backend = self.backend
        name = request.path.strip("/").split("/", 1)[1] if "/" in request.path.strip("/") else ""
        method = request.method
        try:
            if name == "reset" and method == "POST":
                backend.reset()
                return _json({"reset": True})
            if name == "data":
                if method == "GET":
                    return _json({"records": [r.to_dict() for r in backend.data]})
                if method == "POST":
                    added = backend.add_data(_records_of(_json_body(request)))
                    return _json({"added": len(added)}, 201)
                if method == "DELETE":
                    backend.clear_data()
                    return _json({"deleted": True})
            if name == "faults":
                if method == "GET":
                    return _json({"faults": [f.to_dict() for f in backend.faults]})
                if method == "POST":
                    doc = _json_body(request)
                    items = doc.get("faults", [doc]) if isinstance(doc, Mapping) else doc
                    if not isinstance(items, list):
                        raise ValueError('a fault is an object, or {"faults": [...]}')
                    faults = [backend.add_fault(Fault.from_dict(item)) for item in items]
                    return _json({"faults": [f.to_dict() for f in faults]}, 201)
                if method == "DELETE":
                    backend.clear_faults()
                    return _json({"deleted": True})
            if name == "journal":
                if method == "GET":
                    return _json({"journal": [e.to_dict() for e in backend.journal]})
                if method == "DELETE":
                    backend.clear_journal()
                    return _json({"deleted": True})
            if name == "":
                return _json(
                    {"endpoints": ["/_fake/reset", "/_fake/data", "/_fake/faults", "/_fake/journal"]}
                )
        except Refused as refused:
            return refused.response()
        except (ValueError, TypeError) as exc:
            return _json({"error": shorten(str(exc))}, 400)
        return _json({"error": f"no control endpoint {method} {shorten(request.path, 80)}"}, 404)


def make_app(backend: FakeBackend | None = None, **options: Any) -> FakeESIApp:
    """Return the fake ESI's WSGI app over ``backend`` (or a new one built from ``options``)."""
    return FakeESIApp(backend if backend is not None else FakeBackend(**options))


# --- helpers --------------------------------------------------------------------


def _character_id(claims: Mapping[str, Any]) -> int | None:
    sub = str(claims.get("sub", ""))
    tail = sub.rsplit(":", 1)[-1]
    return int(tail) if tail.isdigit() else None


def _page_param(route: Route, params: Mapping[str, Any]) -> dict[str, Any]:
    # A record naming its page answers that page; otherwise the fake pages the list itself.
    return {"page": int(params.get("page") or 1)} if route.paged else {}


def _etag(payload: bytes) -> str:
    return quote_etag(hashlib.sha256(payload).hexdigest()[:40])


def _not_modified(request: Request, headers: Mapping[str, str]) -> bool:
    header = request.headers.get("If-None-Match")
    if not header:
        since = parse_date(request.headers.get("If-Modified-Since"))
        modified = parse_date(headers.get("Last-Modified"))
        return since is not None and modified is not None and modified <= since
    etag = headers["ETag"]
    wanted = unquote_etag(etag)[0]
    return any(unquote_etag(tag.strip())[0] == wanted or tag.strip() == "*" for tag in header.split(","))


def _text(route: Route | None, status: int, body: Any) -> bytes | None:
    """Return the payload of a text answer (``/ping``'s ``ok``, ``text/plain``), None for JSON ones."""
    if route is None or status >= 300 or not isinstance(body, str) or "json" in route.produces:
        return None
    return body.encode("utf-8")


def _dump(body: Any) -> bytes:
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _json(body: Any, status: int = 200) -> Response:
    return Response(_dump(body), status=status, content_type="application/json; charset=UTF-8")


def _json_body(request: Request) -> Any:
    return read_json(request, CONTROL_BODY_LIMIT)


def _records_of(doc: Any) -> list[Record | Mapping[str, Any]]:
    if isinstance(doc, Mapping) and "records" in doc:
        doc = doc["records"]
    if isinstance(doc, Mapping):
        return [doc]
    if isinstance(doc, list):
        return doc
    raise ValueError('data is a record, a list of records, or {"records": [...]}')


def _request_body(request: Request) -> Any:
    try:
        data = read_body(request, ESI_BODY_LIMIT)
    except Refused:
        return None
    if not data:
        return None
    try:
        return parse_json(data)
    except Refused:  # kept as text, bounded by the body limit
        return data.decode("utf-8", "replace")
