"""The client and its cache against an attacker or a hostile upstream (docs/security.rst).

Private data only to a token that could fetch it; a non-JSON 200 is an error, never
data and never cached; cache lifetimes are bounded; ``X-Pages`` is bounded; every
request has a total deadline, enforced while its body is read.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import jwt
import pytest
import responses

from esi.clients import EsiClientProvider
from esi.errors import (
    HTTPForbidden,
    HTTPUnauthorized,
    IncompleteResponseError,
    RateLimitExceeded,
    ResponseContentError,
)
from esi.http import DeadlineExceeded, EsiHTTPAdapter, build_session
from esi.http.cache import freshness_lifetime
from esi_testing import FakeESI, mint_access_token

from .client_fixtures import ORDERS_PATH, loopback, orders  # noqa: F401 - fixtures
from .http_helpers import Clock, RecordingTransport, Sleeps, bearer, caching_headers, http_date, make_jwt

pytest_plugins = ["tests.http_fixtures"]

CHARACTER = 90000001
ASSETS = "esi-assets.read_assets.v1"


# -- 1. private responses are served only to the token that fetched them ------------------


@pytest.fixture
def fake() -> Iterator[FakeESI]:
    """Return a started fake ESI that django-esi points at."""
    with FakeESI(snapshot="latest") as fake, fake.override_settings():
        yield fake


def assets(fake: FakeESI, token: str) -> list:
    client = EsiClientProvider().client
    return client.Assets.get_characters_character_id_assets(character_id=CHARACTER, token=token).result()


def asked_esi(fake: FakeESI) -> int:
    return sum(1 for entry in fake.journal if entry.operation == "get_characters_character_id_assets")


def forged() -> str:
    claims = jwt.decode(mint_access_token(CHARACTER, [ASSETS]), options={"verify_signature": False})
    return jwt.encode(claims, "any key at all, as long as it is not the key of EVE SSO", algorithm="HS256")


def expired() -> str:
    return mint_access_token(CHARACTER, [ASSETS], expires_in=60, now=1_000_000_000)


def unscoped() -> str:
    return mint_access_token(CHARACTER, ["esi-skills.read_skills.v1"])


def revoked(fake: FakeESI) -> str:
    token = fake.issue_tokens(CHARACTER, [ASSETS])["access_token"]
    fake.sso.revoke(token, client_id=fake.client_id, client_secret=fake.client_secret)
    return token


@pytest.mark.parametrize(
    ("make_token", "refused"),
    [
        pytest.param(lambda fake: forged(), HTTPUnauthorized, id="forged"),
        pytest.param(lambda fake: expired(), HTTPForbidden, id="expired"),
        pytest.param(revoked, HTTPUnauthorized, id="revoked"),
        pytest.param(lambda fake: unscoped(), HTTPForbidden, id="unscoped"),
    ],
)
def test_a_cached_private_response_goes_only_to_the_token_that_fetched_it(fake, make_token, refused):
    real = fake.issue_tokens(CHARACTER, [ASSETS])["access_token"]
    data = assets(fake, real)
    assert data and assets(fake, real) == data
    assert asked_esi(fake) == 1, "the real token's second call is served from the cache"
    with pytest.raises(refused):
        assets(fake, make_token(fake))
    assert asked_esi(fake) == 2, "the other token reached ESI, which refused it"
    assert assets(fake, real) == data
    assert asked_esi(fake) == 2, "the real token's entry is still served"


def test_a_new_token_of_the_same_character_asks_esi(fake):
    first = fake.issue_tokens(CHARACTER, [ASSETS])["access_token"]
    refreshed = fake.issue_tokens(CHARACTER, [ASSETS])["access_token"]
    assert assets(fake, first) == assets(fake, refreshed)
    assert asked_esi(fake) == 2


def make_session(clock: Clock, transport: RecordingTransport):
    session = build_session(sleep=Sleeps(), transport=transport)
    adapter = session.get_adapter("https://")
    assert isinstance(adapter, EsiHTTPAdapter)
    adapter.clock = clock
    return session


def test_an_expired_token_gets_nothing_from_the_cache_not_even_its_own_entry(esi_url, clock):
    token = make_jwt(1, exp=int(clock.now) + 60)
    transport = RecordingTransport([(200, caching_headers(clock.now, 300), {"n": n}) for n in (1, 2)])
    session = make_session(clock, transport)
    url = esi_url + "characters/1/assets/"
    assert session.get(url, headers=bearer(token)).json() == {"n": 1}
    clock.advance(30)
    assert session.get(url, headers=bearer(token)).json() == {"n": 1}
    clock.advance(31)
    assert session.get(url, headers=bearer(token)).json() == {"n": 2}
    assert len(transport.calls) == 2


def test_a_token_revalidates_its_own_entry_with_its_etag(esi_url, clock):
    token = make_jwt(1)
    headers = caching_headers(clock.now, 60, etag='"v1"')
    transport = RecordingTransport(
        [(200, headers, {"n": 1}), (304, caching_headers(clock.now + 61, 60), b"")]
    )
    session = make_session(clock, transport)
    url = esi_url + "characters/1/assets/"
    session.get(url, headers=bearer(token))
    clock.advance(61)
    again = session.get(url, headers=bearer(token))
    assert again.json() == {"n": 1} and again.from_cache
    assert transport.calls[1]["headers"]["If-None-Match"] == '"v1"'


# -- 2. a body that is not the JSON the spec promises is an error, never data, never cached --


@pytest.fixture
def upstream(settings, esi_url) -> Iterator[responses.RequestsMock]:
    """Return a ``responses`` mock standing for a hostile ESI (or what sits before it)."""
    settings.ESI_API_URL = esi_url.removesuffix("latest/")
    with responses.RequestsMock() as mock:
        yield mock


def type_587():
    return EsiClientProvider().client.Universe.get_universe_types_type_id(type_id=587)


@pytest.mark.parametrize(
    ("content_type", "body", "named"),
    [
        pytest.param("text/html", b"<html><body>502 Bad Gateway</body></html>", "text/html", id="html"),
        pytest.param("application/json", b'{"type_id": 587, "name": "Rif', "application/json", id="broken"),
        pytest.param(None, b"", "no content type", id="empty"),
    ],
)
def test_a_200_that_is_not_json_raises_naming_operation_and_content_type(
    upstream, esi_url, clock, content_type, body, named
):
    headers = caching_headers(time.time(), 3600)
    url = esi_url + "universe/types/587/"
    upstream.get(url, body=body, headers=headers, content_type=content_type)
    for _ in range(2):
        with pytest.raises(ResponseContentError) as caught:
            type_587().result()
        assert "get_universe_types_type_id" in str(caught.value)
        assert named in str(caught.value)
        assert caught.value.operation_id == "get_universe_types_type_id"
        assert caught.value.status_code == 200
    assert len(upstream.calls) == 2, "neither answer was cached"


def test_the_http_layer_stores_only_well_formed_json(esi_url, clock):
    headers = caching_headers(clock.now, 300)
    transport = RecordingTransport(
        [
            (200, {**headers, "Content-Type": "text/html"}, b"<html></html>"),
            (200, headers, b"{broken"),
            (200, headers, {"ok": True}),
            (200, headers, {"ok": False}),
        ]
    )
    session = make_session(clock, transport)
    url = esi_url + "status/"
    assert session.get(url).text == "<html></html>"
    assert session.get(url).text == "{broken"
    assert session.get(url).json() == {"ok": True}
    assert session.get(url).json() == {"ok": True}
    assert len(transport.calls) == 3


# -- 3. cache lifetimes: a negative Age is 0, every lifetime is capped ---------------------


@pytest.mark.parametrize(
    ("headers", "lifetime"),
    [
        pytest.param({"Cache-Control": "max-age=300", "Age": "-100000000"}, 300, id="negative-age"),
        pytest.param({"Cache-Control": "max-age=300", "Age": "-inf"}, 300, id="age-minus-infinity"),
        pytest.param({"Cache-Control": "max-age=300", "Age": "nan"}, 300, id="age-nan"),
        pytest.param({"Cache-Control": "max-age=300", "Age": "100"}, 200, id="age-counts"),
        pytest.param({"Cache-Control": "max-age=-50"}, 0, id="negative-max-age"),
        pytest.param({"Cache-Control": "max-age=nan"}, 0, id="max-age-nan"),
        pytest.param({"Cache-Control": "max-age=999999999999"}, 7200, id="max-age-capped"),
        pytest.param(
            {"Date": http_date(1_000), "Expires": http_date(1_000 + 50 * 365 * 86400)},
            7200,
            id="expires-capped",
        ),
        pytest.param({"Expires": "Fri, 31 Dec 99999 23:59:59 GMT"}, 0, id="expires-garbage"),
    ],
)
def test_a_lifetime_is_never_stretched_and_never_beyond_the_cap(settings, headers, lifetime):
    settings.ESI_CACHE_MAX_SECONDS = 7200
    assert freshness_lifetime(headers, 1_000) == lifetime


def test_a_negative_age_does_not_keep_a_response_beyond_its_max_age(esi_url, clock):
    headers = {"Cache-Control": "public, max-age=300", "Age": "-100000000"}
    transport = RecordingTransport([(200, headers, {"n": 1}), (200, headers, {"n": 2})])
    session = make_session(clock, transport)
    url = esi_url + "status/"
    session.get(url)
    clock.advance(301)
    assert session.get(url).json() == {"n": 2}


def test_a_far_expires_is_kept_no_longer_than_the_cap(settings, esi_url, clock):
    settings.ESI_CACHE_MAX_SECONDS = 600
    headers = caching_headers(clock.now, 10 * 365 * 86400)
    transport = RecordingTransport([(200, headers, {"n": 1}), (200, headers, {"n": 2})])
    session = make_session(clock, transport)
    url = esi_url + "status/"
    session.get(url)
    clock.advance(599)
    assert session.get(url).json() == {"n": 1}
    clock.advance(2)
    assert session.get(url).json() == {"n": 2}


# -- 4. X-Pages is bounded, and garbage in it is an error, not one page --------------------


def market_orders():
    client = EsiClientProvider().client
    return client.Market.get_markets_region_id_orders(region_id=10000002, order_type="all")


@pytest.mark.parametrize(
    ("x_pages", "reason"),
    [
        pytest.param("100000", "more than ESI_PAGES_MAX=1000", id="too-many"),
        pytest.param("1e20", "'1e20' is not a page count", id="float-notation"),
        pytest.param("abc", "'abc' is not a page count", id="word"),
        pytest.param("-3", "'-3' is not a page count", id="negative"),
        pytest.param("2.5", "'2.5' is not a page count", id="fraction"),
        pytest.param("9" * 400, "more than ESI_PAGES_MAX=1000", id="huge"),
    ],
)
def test_results_refuses_an_x_pages_it_cannot_trust(settings, loopback, x_pages, reason):  # noqa: F811
    settings.ESI_PAGES_MAX = 1000
    loopback.route(ORDERS_PATH, pages=[orders(1), orders(2)], headers={"X-Pages": x_pages})
    with pytest.raises(IncompleteResponseError) as caught:
        market_orders().results()
    assert "get_markets_region_id_orders" in str(caught.value)
    assert reason in str(caught.value)
    assert len(loopback.requests) == 1


def test_results_fetches_every_page_up_to_the_bound(settings, loopback):  # noqa: F811
    settings.ESI_PAGES_MAX = 3
    loopback.route(ORDERS_PATH, pages=[orders(p) for p in (1, 2, 3)])
    assert [o["order_id"] // 1000 for o in market_orders().results()] == [1] * 3 + [2] * 3 + [3] * 3


# -- 5. every request has a total deadline, kept while its body is read --------------------


class TrickleServer:
    """A loopback HTTP server that sends its headers at once, then its body one byte at a time."""

    def __init__(self, body_size: int = 200, gap: float = 0.1, chunked: bool = False) -> None:
        self.body_size, self.gap, self.chunked = body_size, gap, chunked
        self.sent: list[int] = []  # body bytes sent per connection before it ended
        self._stop = threading.Event()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.1)
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}/"
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self) -> TrickleServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(10)
        self._listener.close()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            with conn:
                self.sent.append(self._answer(conn))

    def _answer(self, conn: socket.socket) -> int:
        conn.settimeout(5)
        request = b""
        while b"\r\n\r\n" not in request:
            request += conn.recv(4096) or b"\r\n\r\n"
        framing = b"Transfer-Encoding: chunked" if self.chunked else b"Content-Length: %d" % self.body_size
        sent = 0
        try:
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n" + framing + b"\r\n\r\n")
            if self.chunked:
                conn.sendall(b"%x\r\n" % self.body_size)
            while sent < self.body_size and not self._stop.wait(self.gap):
                conn.sendall(b" ")
                sent += 1
            if self.chunked and sent == self.body_size:
                conn.sendall(b"\r\n0\r\n\r\n")
        except OSError:  # the client hung up: what it was waiting for is told by ``sent``
            pass
        return sent


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_a_trickled_body_is_cut_at_the_total_deadline(settings, chunked):
    settings.ESI_REQUESTS_TOTAL_TIMEOUT = 1
    settings.ESI_REQUESTS_READ_TIMEOUT = 5
    settings.ESI_CONNECTION_ERROR_MAX_RETRIES = 3
    # 200 bytes, one per 0.1 s: 20 s to send it all, each gap far within the read timeout.
    with TrickleServer(chunked=chunked) as server:
        session = build_session(sleep=Sleeps())
        with pytest.raises(DeadlineExceeded, match="ESI_REQUESTS_TOTAL_TIMEOUT=1"):
            session.get(server.url + "latest/status/")
        session.close()
    assert len(server.sent) == 1, "a missed deadline is not retried"
    assert server.sent[0] < 100, "the client gave up long before the body was complete"


def test_the_deadline_reaches_the_caller_as_bravados_timeout(settings):
    from bravado.exception import BravadoTimeoutError

    settings.ESI_REQUESTS_TOTAL_TIMEOUT = 1
    with TrickleServer() as server:
        settings.ESI_API_URL = server.url
        settings.ESI_CACHE_RESPONSE = False
        with pytest.raises(BravadoTimeoutError):
            EsiClientProvider().client.Status.get_status().result()
    assert server.sent and server.sent[0] < 100


def test_a_body_within_the_deadline_arrives_whole(settings):
    settings.ESI_REQUESTS_TOTAL_TIMEOUT = 30
    with TrickleServer(body_size=3, gap=0.01) as server:
        assert build_session().get(server.url).content == b"   "
    assert server.sent == [3]


def test_a_rate_limit_wait_beyond_the_deadline_raises_at_once(settings, esi_url, clock):
    settings.ESI_REQUESTS_TOTAL_TIMEOUT = 10
    settings.ESI_RATE_LIMIT_MAX_WAIT = 60
    transport = RecordingTransport([(429, {"Retry-After": "30", "X-Ratelimit-Group": "status"}, {})])
    session = build_session(sleep=(sleeps := Sleeps()), transport=transport)
    with pytest.raises(RateLimitExceeded, match="ESI_REQUESTS_TOTAL_TIMEOUT"):
        session.get(esi_url + "status/")
    assert sleeps == []
