"""The fake ESI and SSO against hostile input (security issue, items 16-18).

The fake is a test tool, but it listens on a port: every answer is ESI-shaped JSON,
every body has a size and shape limit, and the control endpoints answer only JSON
posts addressed to a loopback name. Each test runs in both modes unless it is about
the socket itself.
"""

from __future__ import annotations

import base64
import json
import re
import socket
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests

from esi_testing import FakeESI
from esi_testing.fake.guard import (
    CONTROL_BODY_LIMIT,
    ESI_BODY_LIMIT,
    JSON_DEPTH_LIMIT,
    JSON_ITEMS_LIMIT,
    MESSAGE_LIMIT,
    is_loopback_host,
)
from esi_testing.fake.routes import Route
from esi_testing.fake.server import FakeESIServer
from esi_testing.fake.sso import mint_access_token

ADA = 90000001  # in the default data pack
SKILLS_SCOPE = "esi-skills.read_skills.v1"
DEEP = b"[" * 1000 + b"]" * 1000
SHORT = 1000  # no error answer is longer than this many bytes


@pytest.fixture(scope="module", params=["inprocess", "server"])
def fake(request: pytest.FixtureRequest) -> Iterator[FakeESI]:
    """A started FakeESI in each mode (built once per module: building reads the specs)."""
    with FakeESI(mode=request.param) as started:
        yield started


@pytest.fixture(autouse=True)
def clean(request: pytest.FixtureRequest) -> None:
    if "fake" in request.fixturenames:
        request.getfixturevalue("fake").reset()


def post_routes(fake: FakeESI) -> list[Route]:
    return [
        r for t in fake.backend.tables for r in t.routes if r.method.upper() == "POST" and not r.alternate
    ]


def call(fake: FakeESI, route: Route, body: bytes) -> requests.Response:
    """POST ``body`` to ``route`` as ADA with every scope it wants."""
    path = route.template.replace("{character_id}", str(ADA))
    path = "/".join("1" if part.startswith("{") else part for part in path.split("/"))
    query = {p.name: _sample(p.schema) for p in route.params if p.location == "query" and p.required}
    headers = {"Content-Type": "application/json"}
    if route.secured:
        headers["Authorization"] = "Bearer " + mint_access_token(ADA, list(route.scopes))
    if route.table.compatibility_date:
        headers["X-Compatibility-Date"] = route.table.compatibility_date
    return requests.post(fake.url + path, params=query, data=body, headers=headers, timeout=30)


def _sample(schema: Any) -> str:
    if schema.get("enum"):
        return str(schema["enum"][0])
    return {"boolean": "true", "string": "x"}.get(schema.get("type"), "1")


def assert_json_error(answer: requests.Response, status: int, *words: str) -> str:
    """Assert an ESI-shaped JSON error with ``status``, short, naming ``words``; return its message."""
    assert answer.status_code == status, (answer.status_code, answer.text[:200])
    assert answer.headers["Content-Type"].startswith("application/json"), answer.headers["Content-Type"]
    assert len(answer.content) <= SHORT, len(answer.content)
    message = answer.json()["error"]
    for word in words:
        assert word in message, message
    return message


# --- 16. bodies: depth, size, items, null, integers; every answer JSON --------------------


def test_a_deeply_nested_body_is_a_400_on_every_post_route(fake: FakeESI) -> None:
    routes = post_routes(fake)
    assert len(routes) > 30  # both the Swagger and the OpenAPI snapshot
    for route in routes:
        answer = call(fake, route, DEEP)
        if route.param("body") or any(p.location == "body" for p in route.params):
            assert_json_error(answer, 400, f"deeper than {JSON_DEPTH_LIMIT}")
        else:  # a route without a body ignores it, as ESI does
            assert answer.status_code < 500 and (not answer.content or answer.json() is not None)
    assert fake.journal[-1].body == DEEP.decode()  # journaled as text, not parsed


@pytest.mark.parametrize("path", ["/_fake/data", "/_fake/faults", "/_fake/sso/tokens", "/_fake/sso/consent"])
def test_a_deeply_nested_body_is_a_400_on_the_control_endpoints(fake: FakeESI, path: str) -> None:
    answer = requests.post(
        fake.url + path, data=DEEP, headers={"Content-Type": "application/json"}, timeout=30
    )
    assert_json_error(answer, 400, f"deeper than {JSON_DEPTH_LIMIT}")


def test_a_huge_body_is_refused_without_echoing_it(fake: FakeESI) -> None:
    names = next(r for r in post_routes(fake) if r.key == "post_universe_names" and r.table.route_name)
    million = json.dumps(list(range(1_000_000))).encode()
    assert len(million) > ESI_BODY_LIMIT
    assert_json_error(call(fake, names, million), 413, "too large")
    many = json.dumps(list(range(JSON_ITEMS_LIMIT + 1))).encode()
    assert len(many) < ESI_BODY_LIMIT
    assert_json_error(call(fake, names, many), 400, f"at most {JSON_ITEMS_LIMIT}")


def test_a_validation_error_quotes_a_short_excerpt(fake: FakeESI) -> None:
    names = next(r for r in post_routes(fake) if r.key == "post_universe_names" and r.table.route_name)
    too_many = json.dumps(list(range(1, 5000))).encode()  # ESI takes 1000 ids
    message = assert_json_error(call(fake, names, too_many), 400, "Invalid ids")
    assert len(message) <= MESSAGE_LIMIT


def test_a_control_body_over_the_limit_is_a_413(fake: FakeESI) -> None:
    body = b'{"records": [' + b" " * CONTROL_BODY_LIMIT + b"]}"
    answer = requests.post(
        fake.url + "/_fake/data", data=body, headers={"Content-Type": "application/json"}, timeout=30
    )
    assert_json_error(answer, 413, "too large")


@pytest.mark.parametrize("body", [b"null", b"[NaN]", b"[Infinity]", b"[1, 2", b"\xff\xfe"])
def test_a_body_that_is_null_or_not_json_is_a_400(fake: FakeESI, body: bytes) -> None:
    for route in post_routes(fake):
        if route.key == "post_universe_names":
            assert_json_error(call(fake, route, body), 400, "Invalid")


def test_integers_outside_the_spec_format_are_a_400(fake: FakeESI) -> None:
    names = next(r for r in post_routes(fake) if r.key == "post_universe_names" and r.table.route_name)
    assert_json_error(call(fake, names, b"[99999999999]"), 400, "int32")
    too_big = requests.get(f"{fake.url}/latest/characters/99999999999/", timeout=30)
    assert_json_error(too_big, 400, "character_id", "int32")
    assert requests.get(f"{fake.url}/latest/characters/{ADA}/", timeout=30).status_code == 200


def test_a_long_url_and_large_headers_are_json_414_and_431(fake: FakeESI) -> None:
    for length in (40_000, 70_000):  # the app's limits, and http.server's own
        long_url = requests.get(f"{fake.url}/latest/status/?x={'a' * length}", timeout=30)
        assert_json_error(long_url, 414)
        big_header = requests.get(f"{fake.url}/latest/status/", headers={"X-A": "a" * length}, timeout=30)
        assert_json_error(big_header, 431)
    many = {f"X-{i}": "a" for i in range(150)}  # http.server reads 100 at most
    assert requests.get(f"{fake.url}/latest/status/", headers=many, timeout=30).status_code in (200, 431)


# --- 16. the socket: chunked bodies, lengths, deadlines (server mode only) ---------------


@pytest.fixture(scope="module")
def served_fake() -> FakeESI:
    """A fake that is not started: ``served`` serves its app."""
    return FakeESI(mode="server")


@pytest.fixture(scope="module")
def served(served_fake: FakeESI) -> Iterator[FakeESIServer]:
    """The fake on loopback with a short body deadline."""
    with FakeESIServer(served_fake.app, body_deadline=0.5) as server:
        yield server


def exchange(server: FakeESIServer, raw: bytes) -> tuple[int, dict[str, str], bytes]:
    """Send raw bytes, return (status, headers, body) of the answer read to the end."""
    host, port = server.url.rsplit("/", 1)[1].rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=20) as sock:
        try:
            sock.sendall(raw)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server may stop reading a body it refuses; its answer is still there
        data = b""
        while True:
            try:
                piece = sock.recv(65536)
            except ConnectionResetError:
                break
            if not piece:
                break
            data += piece
            head, _, rest = data.partition(b"\r\n\r\n")
            fields = dict(
                line.split(": ", 1) for line in head.decode("latin-1").split("\r\n")[1:] if ": " in line
            )
            if "Content-Length" in fields and len(rest) >= int(fields["Content-Length"]):
                break
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:] if ": " in line)
    return int(lines[0].split(" ")[1]), headers, body


def request_head(path: str, *fields: str) -> bytes:
    return "\r\n".join([f"POST {path} HTTP/1.1", "Host: 127.0.0.1", *fields, "", ""]).encode()


NAMES = "/latest/universe/names/"


def test_a_chunked_body_is_read_and_answered(served: FakeESIServer, served_fake: FakeESI) -> None:
    head = request_head(NAMES, "Content-Type: application/json", "Transfer-Encoding: chunked")
    status, headers, body = exchange(
        served, head + b"4\r\n[ADA\r\n1\r\n]\r\n0\r\n\r\n".replace(b"ADA", b"587")
    )
    assert status == 200 and headers["Content-Type"].startswith("application/json")
    assert isinstance(json.loads(body), list) and headers["Connection"] == "close"
    assert served_fake.journal[-1].body == [587]


def test_a_chunked_body_that_never_ends_is_cut_at_the_deadline(served: FakeESIServer) -> None:
    head = request_head(NAMES, "Content-Type: application/json", "Transfer-Encoding: chunked")
    status, headers, body = exchange(served, head + b"4\r\n[587\r\n")
    assert status == 408 and "deadline" in json.loads(body)["error"]
    assert headers["Connection"] == "close"


def test_a_body_shorter_than_its_length_is_cut_at_the_deadline(served: FakeESIServer) -> None:
    head = request_head(NAMES, "Content-Type: application/json", "Content-Length: 100")
    status, _, body = exchange(served, head + b"[587")
    assert status == 408 and "deadline" in json.loads(body)["error"]


def test_a_chunked_body_over_the_limit_is_a_413(served: FakeESIServer) -> None:
    head = request_head("/_fake/data", "Content-Type: application/json", "Transfer-Encoding: chunked")
    chunk = b" " * (1024 * 1024)
    raw = head + b"".join(
        b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(CONTROL_BODY_LIMIT // len(chunk) + 1)
    )
    status, _, body = exchange(served, raw)
    assert status == 413 and "too large" in json.loads(body)["error"]


def test_a_declared_length_over_the_limit_is_refused_unread(served: FakeESIServer) -> None:
    head = request_head(
        "/_fake/data", "Content-Type: application/json", f"Content-Length: {10 * CONTROL_BODY_LIMIT}"
    )
    status, headers, body = exchange(served, head)
    assert status == 413 and headers["Connection"] == "close"


@pytest.mark.parametrize(
    "raw", [b"GET /latest/status/ HTTP/1.1 extra\r\n\r\n", b"BREW /latest/status/ HTTP/1.1\r\n\r\n"]
)
def test_answers_of_the_http_layer_are_json(served: FakeESIServer, raw: bytes) -> None:
    status, headers, body = exchange(served, raw)
    assert status >= 400 and headers["Content-Type"].startswith("application/json")
    assert "error" in json.loads(body)


def test_a_failing_app_answers_json_500() -> None:
    def broken(environ: dict[str, Any], start_response: Any) -> Any:
        raise RuntimeError("a bug")

    with FakeESIServer(broken) as server:
        answer = requests.get(server.url + "/", timeout=30)
    assert_json_error(answer, 500, "Internal server error")


# --- 17. control endpoints: JSON posts, loopback Host -------------------------------------


CONTROL_POSTS = [
    ("/_fake/reset", b"{}"),
    ("/_fake/data", b'{"records": []}'),
    ("/_fake/faults", b'{"operation": "get_status", "status": 502}'),
    ("/_fake/sso/reset", b"{}"),
    ("/_fake/sso/tokens", b'{"character_id": 90000001}'),
    ("/_fake/sso/consent", b'{"auto": true}'),
]


@pytest.mark.parametrize("path,body", CONTROL_POSTS)
@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", None])
def test_control_posts_must_be_json(fake: FakeESI, path: str, body: bytes, content_type: str | None) -> None:
    tokens = fake.sso.issue_tokens(ADA, ["esi-skills.read_skills.v1"])
    headers = {"Content-Type": content_type} if content_type else {}
    session = requests.Session()
    answer = session.post(fake.url + path, data=body, headers=headers, timeout=30)
    assert_json_error(answer, 415, "application/json")
    assert not fake.backend.faults and fake.sso.is_live(tokens["refresh_token"])  # nothing happened
    assert not fake.sso.auto_consent


@pytest.mark.parametrize("path,body", CONTROL_POSTS)
def test_control_posts_in_json_still_work(fake: FakeESI, path: str, body: bytes) -> None:
    answer = requests.post(
        fake.url + path, data=body, headers={"Content-Type": "application/json"}, timeout=30
    )
    assert answer.status_code in (200, 201), answer.text


def test_a_cross_site_origin_is_refused(fake: FakeESI) -> None:
    answer = requests.post(
        fake.url + "/_fake/faults",
        json={"operation": "get_status", "status": 502},
        headers={"Origin": "http://evil.example"},
        timeout=30,
    )
    assert_json_error(answer, 403, "evil.example")
    assert not fake.backend.faults
    same = requests.get(fake.url + "/_fake/journal", headers={"Origin": "http://127.0.0.1:8000"}, timeout=30)
    assert same.status_code == 200


@pytest.mark.parametrize("path", ["/_fake/journal", "/_fake/data", "/_fake/sso/journal"])
@pytest.mark.parametrize(
    "host", ["evil.example", "evil.example:8080", "127.0.0.1.evil.example", "localhost.evil"]
)
def test_a_foreign_host_is_refused_by_the_server(path: str, host: str, served: FakeESIServer) -> None:
    answer = requests.get(served.url + path, headers={"Host": host}, timeout=30)
    assert_json_error(answer, 403, "loopback Host")


def test_esi_routes_still_answer_any_host(served: FakeESIServer) -> None:
    assert requests.get(served.url + "/latest/status/", headers={"Host": "evil.example"}, timeout=30).ok


@pytest.mark.parametrize(
    "host,loopback",
    [
        ("127.0.0.1", True),
        ("127.0.0.1:8080", True),
        ("127.1.2.3:1", True),
        ("localhost", True),
        ("LOCALHOST:80", True),
        ("[::1]", True),
        ("[::1]:8080", True),
        ("::1", False),
        ("[127.0.0.1]", False),
        ("128.0.0.1", False),
        ("0.0.0.0:8080", False),
        ("10.0.0.1", False),
        ("localhost.evil", False),
        ("127.0.0.1.evil", False),
        ("evil.example", False),
        ("127.0.0.1:port", False),
        ("", False),
    ],
)
def test_loopback_hosts(host: str, loopback: bool) -> None:
    assert is_loopback_host(host) is loopback


# --- 18. a recorded login leaves no secret in the cassette --------------------------------


@pytest.mark.django_db
def test_a_recorded_login_leaves_no_secret_in_the_cassette(client: Any, tmp_path: Any) -> None:
    from esi.models import Token
    from esi_testing.recording import use_cassette

    cassette = tmp_path / "login.yaml"
    browser = requests.Session()  # the developer's browser at the SSO, recorded
    with FakeESI(mode="server") as fake, fake.override_settings():
        # The site answers through Django's test client (vcrpy records no in-process call),
        # its calls to the SSO are recorded with the browser's.
        login = client.get("/sso/login/", {"scopes": SKILLS_SCOPE, "next": "/done/"})
        with use_cassette(cassette, record_mode="all"):
            consent = browser.get(login["Location"], allow_redirects=False)  # the HTML page
            form = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', consent.text))
            form["character_id"] = str(ADA)
            authorize = browser.post(login["Location"], data=form, allow_redirects=False)
            callback = urlsplit(authorize.headers["Location"])
            back = client.get(f"{callback.path}?{callback.query}")
            first = Token.objects.get()
            first_access, first_refresh = first.access_token, first.refresh_token
            first.refresh()  # a refresh too: the rotated refresh token goes both ways
        client_secret = fake.client_secret
    assert back.status_code == 302 and back["Location"] == "/done/"
    token = Token.objects.get()
    secrets = {
        "state": _query(login["Location"])["state"],
        "code": _query(authorize.headers["Location"])["code"],
        "client secret": client_secret,
        "first access token": first_access,
        "first refresh token": first_refresh,
        "access token": token.access_token,
        "refresh token": token.refresh_token,
        "basic auth": base64.b64encode(f"{fake.client_id}:{client_secret}".encode()).decode(),
    }
    text = cassette.read_text()
    for where in ("/v2/oauth/authorize", "/v2/oauth/token", "/oauth/jwks", "refresh_token", "<form"):
        assert where in text, f"{where} was not recorded"
    assert all(len(value) >= 8 for value in secrets.values())
    leaked = [name for name, value in secrets.items() if value in text]
    assert not leaked, f"{', '.join(leaked)} reached the cassette"


def test_the_sites_redirects_and_cookies_are_scrubbed() -> None:
    from esi_testing.recording import scrub_request, scrub_response

    class Recorded:  # what vcrpy hands to the scrubbers
        uri = "http://site/sso/callback/?code=the-code-123456&state=the-state-123456"
        headers = {
            "Referer": "http://sso/v2/oauth/authorize?state=the-state-123456&x=1",
            "Cookie": "sid=s3cr3t-cookie",
        }
        body = None

    scrub_request(Recorded())
    answer = scrub_response(
        {
            "status": {"code": 302, "message": "Found"},
            "headers": {
                "Location": ["http://site/next/?token=leaked-token-1#access_token=leaked-token-2&x=1"],
                "Refresh": ["0; url=/x/?state=leaked-state-3"],
                "Set-Cookie": ["sessionid=leaked-session-4; HttpOnly"],
                "X-Echo": ["the-code-123456"],
            },
            "body": {
                "string": b"<a href='/back/?code=leaked-code-5&amp;state=leaked-state-6'>back</a> the-state-123456"
            },
        }
    )
    text = json.dumps(answer["headers"]) + answer["body"]["string"].decode()
    for leaked in (
        "leaked-token-1",
        "leaked-token-2",
        "leaked-state-3",
        "leaked-session-4",
        "leaked-code-5",
        "leaked-state-6",
        "the-state-123456",
    ):
        assert leaked not in text, leaked
    assert "the-code-123456" not in text  # what the request carried, wherever it comes back
    assert "x=1" in answer["headers"]["Location"][0]
    assert "the-state-123456" not in json.dumps(Recorded.headers) and "s3cr3t" not in json.dumps(
        Recorded.headers
    )


def _query(url: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(url).query))
