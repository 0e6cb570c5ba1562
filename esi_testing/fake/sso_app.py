"""The fake EVE SSO as a WSGI app: :class:`~esi_testing.fake.sso.FakeSSO` served over HTTP.

Paths, relative to wherever the app is served (``https://login.eveonline.com`` in-process,
``http://127.0.0.1:<port>`` as a server):

* ``GET /.well-known/oauth-authorization-server``: the metadata document; its endpoint
  URLs point back at the base URL the request came in on;
* ``GET /oauth/jwks``: the signing keys, with ``Cache-Control: max-age``;
* ``GET /v2/oauth/authorize``: checks ``response_type=code``, ``client_id``,
  ``redirect_uri``, ``state`` (and ``code_challenge`` for PKCE), then shows a consent
  page whose "Log in" button posts back here; with ``auto=1`` in the query, or
  ``FakeSSO.auto_consent``, it redirects at once to ``redirect_uri?code=...&state=...``;
* ``POST /v2/oauth/token``: ``authorization_code`` (HTTP Basic or form client auth, or
  ``client_id`` + PKCE ``code_verifier``) and ``refresh_token`` (rotated);
* ``POST /v2/oauth/revoke``: ``token`` (+ ``token_type_hint``), 200 with an empty body.

Control endpoints (JSON in and out, not journaled), so a test in another process can
drive a fake served by ``python -m esi_testing serve``:

* ``POST /_fake/sso/reset``;
* ``POST /_fake/sso/tokens`` ``{"character_id", "scopes", "expires_in"?, "client_id"?,
  "scp_as_string"?}``: a token response, as :meth:`FakeSSO.issue_tokens`;
* ``POST /_fake/sso/characters`` ``{"character_id", "name", "owner_hash"?}``;
* ``POST /_fake/sso/consent`` ``{"character_id"?, "scopes"?, "auto"?}``;
* ``GET/POST/DELETE /_fake/sso/faults`` ``{"kind", "endpoint"?, "times"?, "fraction"?,
  "seconds"?}``;
* ``GET/DELETE /_fake/sso/journal``.

Errors are EVE's: JSON ``{"error": ..., "error_description": ...}`` with 400 or 401 on the
token and revoke endpoints, a 400 HTML page on the authorize endpoint. Injected faults
answer a 5xx, ``invalid_grant``, or raise :class:`~esi_testing.fake.DropConnection` /
:class:`~esi_testing.fake.HoldConnection` for the transport to act on.

:mod:`esi_testing.fake.guard` bounds every request first (forms to
:data:`~esi_testing.fake.guard.FORM_BODY_LIMIT`) and keeps the control endpoints to
JSON posts addressed to loopback.
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterable
from importlib import resources
from string import Template
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from esi_testing.fake import DropConnection, HoldConnection
from esi_testing.fake.guard import (
    CONTROL_BODY_LIMIT,
    FORM_BODY_LIMIT,
    Refused,
    is_control,
    read_json,
    refusal,
    shorten,
)
from esi_testing.fake.sso import FakeSSO, OAuthError, SSOCall, parse_scopes

__all__ = ["SSO_PATHS", "SSOApp"]

#: Path prefixes the fake SSO answers; a combined app sends these here.
SSO_PATHS = ("/.well-known/oauth-authorization-server", "/oauth/", "/v2/oauth/")

_URLS = Map(
    [
        Rule("/.well-known/oauth-authorization-server", endpoint="metadata", methods=["GET"]),
        Rule("/oauth/jwks", endpoint="jwks", methods=["GET"]),
        Rule("/v2/oauth/authorize", endpoint="authorize", methods=["GET", "POST"]),
        Rule("/v2/oauth/token", endpoint="token", methods=["POST"]),
        Rule("/v2/oauth/revoke", endpoint="revoke", methods=["POST"]),
        Rule("/_fake/sso/<name>", endpoint="control"),
    ],
    strict_slashes=False,
)
_AUTHORIZE_FIELDS = (
    "response_type",
    "client_id",
    "redirect_uri",
    "scope",
    "state",
    "code_challenge",
    "code_challenge_method",
)


class SSOApp:
    """WSGI app answering as EVE SSO v2 from a :class:`FakeSSO`."""

    def __init__(self, sso: FakeSSO | None = None) -> None:
        self.sso = sso if sso is not None else FakeSSO()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        control = is_control(environ.get("PATH_INFO", ""))
        refused = refusal(environ, CONTROL_BODY_LIMIT if control else FORM_BODY_LIMIT)
        if refused is not None:
            return refused(environ, start_response)
        return self.respond(_FormRequest(environ))(environ, start_response)

    def respond(self, request: Request) -> Response:
        """Return the response to one request."""
        adapter = _URLS.bind_to_environ(request.environ)
        try:
            endpoint, _ = adapter.match()
        except (NotFound, MethodNotAllowed) as exc:
            return _json({"error": "not_found", "error_description": exc.description or ""}, exc.code or 404)
        if endpoint == "control":
            return self.control(request, adapter.match()[1]["name"])
        call = {"endpoint": endpoint, "method": request.method}
        if endpoint in ("token", "revoke"):
            call["client_id"] = _client_credentials(request)[0]
            call["grant_type"] = request.form.get("grant_type")
        elif endpoint == "authorize":
            call["client_id"] = request.values.get("client_id")
        fault = self.sso.take_fault(endpoint)
        if fault is not None:
            if fault.kind in ("drop", "timeout"):
                self.sso.record(SSOCall(status=str(fault.kind), **call))
                if fault.kind == "drop":
                    raise DropConnection(f"fake SSO fault on {endpoint}")
                raise HoldConnection(fault.seconds)
            if fault.kind == "invalid_grant":
                error = OAuthError("invalid_grant", "Invalid refresh token. Character grant missing/expired.")
                self.sso.record(SSOCall(status=400, error=error.error, **call))
                return _json(error.body(), 400)
            self.sso.record(SSOCall(status=int(fault.kind), error="fault", **call))
            headers = {"Retry-After": "1"} if int(fault.kind) == 429 else {}
            return Response(
                f"{fault.kind} fake SSO fault", int(fault.kind), content_type="text/plain", headers=headers
            )
        try:
            response = getattr(self, f"_{endpoint}")(request)
        except OAuthError as error:
            self.sso.record(SSOCall(status=error.status, error=error.error, **call))
            if endpoint == "authorize":
                return _error_page(error)
            return _json(error.body(), error.status)
        except HTTPException as exc:  # malformed bodies and the like
            self.sso.record(SSOCall(status=exc.code or 400, error="invalid_request", **call))
            status = 413 if exc.code == 413 else 400
            return _json({"error": "invalid_request", "error_description": exc.description or ""}, status)
        self.sso.record(SSOCall(status=response.status_code, **call))
        return response

    def control(self, request: Request, name: str) -> Response:
        """Answer ``/_fake/sso/<name>``: reset, tokens, characters, consent, faults, journal."""
        sso, method = self.sso, request.method
        try:
            doc = read_json(request, CONTROL_BODY_LIMIT) if method == "POST" else None
            doc = {} if doc is None else doc
            if not isinstance(doc, dict):
                raise ValueError("the body must be a JSON object")
            if (name, method) == ("reset", "POST"):
                sso.reset()
                return _json({"reset": True})
            if (name, method) == ("tokens", "POST"):
                return _json(
                    sso.issue_tokens(
                        **_pick(
                            doc,
                            "character_id",
                            "scopes",
                            "expires_in",
                            "client_id",
                            "scp_as_string",
                            "owner_hash",
                        )
                    )
                )
            if (name, method) == ("characters", "POST"):
                character = sso.add_character(**_pick(doc, "character_id", "name", "owner_hash"))
                return _json(vars(character), 201)
            if (name, method) == ("consent", "POST"):
                sso.set_consent(**_pick(doc, "character_id", "scopes", "auto"))
                return _json({"character_id": sso.consent_character().character_id, "auto": sso.auto_consent})
            if name == "faults" and method in ("GET", "POST", "DELETE"):
                if method == "POST":
                    sso.inject_fault(**_pick(doc, "kind", "endpoint", "times", "fraction", "seconds"))
                elif method == "DELETE":
                    sso.clear_faults()
                return _json({"faults": [vars(f) for f in sso.faults]})
            if name == "journal" and method in ("GET", "DELETE"):
                if method == "DELETE":
                    sso.clear_journal()
                return _json({"journal": [vars(c) for c in sso.calls()]})
        except Refused as refused:
            return refused.response()
        except (ValueError, TypeError, KeyError, HTTPException) as exc:
            return _json({"error": shorten(f"{type(exc).__name__}: {exc}")}, 400)
        return _json({"error": f"no control endpoint {method} {shorten(request.path, 80)}"}, 404)

    # --- endpoints -----------------------------------------------------------------

    def _metadata(self, request: Request) -> Response:
        base = request.host_url.rstrip("/") + request.script_root
        methods = ["client_secret_basic", "client_secret_post"]
        return _json(
            {
                "issuer": self.sso.issuer,
                "authorization_endpoint": f"{base}/v2/oauth/authorize",
                "token_endpoint": f"{base}/v2/oauth/token",
                "response_types_supported": ["code"],
                "jwks_uri": f"{base}/oauth/jwks",
                "revocation_endpoint": f"{base}/v2/oauth/revoke",
                "revocation_endpoint_auth_methods_supported": methods,
                "token_endpoint_auth_methods_supported": methods,
                "code_challenge_methods_supported": ["S256"],
            },
            cache_seconds=300,
        )

    def _jwks(self, request: Request) -> Response:
        return _json(self.sso.jwks(), cache_seconds=self.sso.jwks_max_age)

    def _authorize(self, request: Request) -> Response:
        values = request.args if request.method == "GET" else request.form
        params = {name: values.get(name, "") for name in _AUTHORIZE_FIELDS}
        if params["response_type"] != "code":
            raise OAuthError("unsupported_response_type", "response_type must be 'code'")
        if not params["state"]:
            raise OAuthError("invalid_request", "state is required")
        client = self.sso.clients.get(params["client_id"])
        if client is None:
            raise OAuthError("invalid_client", f"Unknown client_id {params['client_id']!r}", 400)
        if not client.allows_redirect(params["redirect_uri"]):
            raise OAuthError("invalid_request", f"redirect_uri {params['redirect_uri']!r} is not registered")
        if request.method == "GET" and not (values.get("auto") in ("1", "true") or self.sso.auto_consent):
            if client.client_secret is None and not params["code_challenge"]:
                raise OAuthError("invalid_request", "a client without secret must send a code_challenge")
            return _consent_page(self.sso, params)
        character_id = values.get("character_id", type=int)
        code = self.sso.authorize(
            client_id=params["client_id"],
            redirect_uri=params["redirect_uri"],
            scopes=params["scope"],
            code_challenge=params["code_challenge"] or None,
            code_challenge_method=params["code_challenge_method"] or None,
            character_id=character_id,
        )
        location = _add_query(params["redirect_uri"], {"code": code, "state": params["state"]})
        return Response("", 302, headers={"Location": location})

    def _token(self, request: Request) -> Response:
        _require_form(request)
        client_id, client_secret = _client_credentials(request)
        form = request.form
        grant_type = form.get("grant_type")
        if grant_type == "authorization_code":
            if not form.get("code"):
                raise OAuthError("invalid_request", "code is required")
            tokens = self.sso.exchange_code(
                form["code"],
                client_id=client_id,
                client_secret=client_secret,
                code_verifier=form.get("code_verifier"),
                redirect_uri=form.get("redirect_uri"),
            )
        elif grant_type == "refresh_token":
            if not form.get("refresh_token"):
                raise OAuthError("invalid_request", "refresh_token is required")
            tokens = self.sso.refresh(
                form["refresh_token"],
                client_id=client_id,
                client_secret=client_secret,
                scopes=form.get("scope") or None,
            )
        elif not grant_type:
            raise OAuthError("invalid_request", "grant_type is required")
        else:
            raise OAuthError("unsupported_grant_type", f"grant_type {grant_type!r} is not supported")
        response = _json(tokens)
        response.headers["Cache-Control"] = "no-store"
        response.headers["Pragma"] = "no-cache"
        return response

    def _revoke(self, request: Request) -> Response:
        _require_form(request)
        client_id, client_secret = _client_credentials(request)
        token = request.form.get("token")
        if not token:
            raise OAuthError("invalid_request", "token is required")
        self.sso.revoke(
            token,
            client_id=client_id,
            client_secret=client_secret,
            token_type_hint=request.form.get("token_type_hint"),
        )
        return Response(b"", 200)


class _FormRequest(Request):
    """A request whose form is bounded: the SSO's forms are a few hundred bytes."""

    max_content_length = FORM_BODY_LIMIT
    max_form_memory_size = FORM_BODY_LIMIT
    max_form_parts = 50


def _pick(doc: dict[str, Any], *names: str) -> dict[str, Any]:
    """Return the named fields of a control request; refuse unknown ones by name."""
    unknown = set(doc) - set(names)
    if unknown:
        raise ValueError(f"unknown field(s) {', '.join(sorted(unknown))}; known: {', '.join(names)}")
    return {name: doc[name] for name in names if name in doc}


def _client_credentials(request: Request) -> tuple[str | None, str | None]:
    """Return (client_id, client_secret) from HTTP Basic auth, else from the form."""
    auth = request.authorization
    if auth is not None and auth.type == "basic":
        return auth.username, auth.password
    return request.form.get("client_id"), request.form.get("client_secret")


def _require_form(request: Request) -> None:
    if request.mimetype != "application/x-www-form-urlencoded":
        raise OAuthError(
            "invalid_request",
            f"Content-Type must be application/x-www-form-urlencoded, not {request.mimetype!r}",
        )


def _json(body: Any, status: int = 200, *, cache_seconds: int | None = None) -> Response:
    response = Response(json.dumps(body), status, content_type="application/json; charset=utf-8")
    if cache_seconds is not None:
        response.headers["Cache-Control"] = f"public, max-age={cache_seconds}"
    return response


def _add_query(url: str, params: dict[str, str]) -> str:
    parts = urlsplit(url)
    query = f"{parts.query}&{urlencode(params)}" if parts.query else urlencode(params)
    return urlunsplit(parts._replace(query=query))


def _template(name: str) -> Template:
    return Template(
        resources.files("esi_testing.fake").joinpath("templates").joinpath(name).read_text("utf-8")
    )


def _consent_page(sso: FakeSSO, params: dict[str, str]) -> Response:
    chosen = sso.consent_character()
    characters = "\n".join(
        f'<li><label><input type="radio" name="character_id" value="{c.character_id}"'
        f"{' checked' if c.character_id == chosen.character_id else ''}> "
        f"{html.escape(c.name)} ({c.character_id})</label></li>"
        for c in sso.characters.values()
    )
    scopes = parse_scopes(params["scope"])
    body = _template("sso_consent.html").substitute(
        client_id=html.escape(params["client_id"]),
        characters=characters,
        scopes="\n".join(f"<li><code>{html.escape(s)}</code></li>" for s in scopes) or "<li>none</li>",
        hidden="\n".join(
            f'<input type="hidden" name="{name}" value="{html.escape(params[name], quote=True)}">'
            for name in _AUTHORIZE_FIELDS
            if params[name]
        ),
    )
    return Response(body, 200, content_type="text/html; charset=utf-8")


def _error_page(error: OAuthError) -> Response:
    body = _template("sso_error.html").substitute(
        error=html.escape(error.error), description=html.escape(error.description)
    )
    return Response(body, 400, content_type="text/html; charset=utf-8")
