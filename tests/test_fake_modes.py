"""FakeESI: the same behaviour in-process and as a loopback server; the transports; the CLI."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
import requests
from django.conf import settings
from werkzeug.wrappers import Request, Response

import esi_testing
from esi_testing import FakeESI
from esi_testing.__main__ import build_parser, main
from esi_testing.fake.faked import MODE_ENV, parse_duration
from esi_testing.fake.inprocess import InProcessTransport
from esi_testing.fake.server import FakeESIServer
from esi_testing.fake.sso import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET

CALLBACK = "http://testserver/sso/callback/"


@pytest.fixture(scope="module", params=["inprocess", "server"])
def fake(request: pytest.FixtureRequest) -> Iterator[FakeESI]:
    """A started FakeESI in each mode (built once per module: building reads the specs)."""
    with FakeESI(
        mode=request.param, client_id=DEFAULT_CLIENT_ID, client_secret=DEFAULT_CLIENT_SECRET
    ) as started:
        yield started


@pytest.fixture(autouse=True)
def clean(request: pytest.FixtureRequest) -> None:
    if "fake" in request.fixturenames:
        request.getfixturevalue("fake").reset()


# --- ESI through plain requests ----------------------------------------------------------


def test_status_with_caching_headers_and_304(fake: FakeESI) -> None:
    answer = requests.get(f"{fake.url}/latest/status/", timeout=5)
    assert answer.status_code == 200 and set(answer.json()) >= {"players", "server_version", "start_time"}
    assert "Expires" in answer.headers and answer.headers["ETag"]
    again = requests.get(
        f"{fake.url}/latest/status/", headers={"If-None-Match": answer.headers["ETag"]}, timeout=5
    )
    assert again.status_code == 304 and again.content == b""


def test_recorded_character_and_unknown_route(fake: FakeESI) -> None:
    assert (
        requests.get(f"{fake.url}/latest/characters/90000001/", timeout=5).json()["name"] == "Ada Quickfoot"
    )
    missing = requests.get(f"{fake.url}/latest/no/such/route/", timeout=5)
    assert missing.status_code == 404 and "error" in missing.json()


def test_authorized_call_needs_a_token_of_the_fake_sso(fake: FakeESI) -> None:
    url = f"{fake.url}/latest/characters/90000001/assets/"
    assert requests.get(url, timeout=5).status_code == 401
    tokens = fake.issue_tokens(90000001, ["esi-assets.read_assets.v1"])
    answer = requests.get(url, headers={"Authorization": f"Bearer {tokens['access_token']}"}, timeout=5)
    assert answer.status_code == 200 and isinstance(answer.json(), list)
    assert [e.path for e in fake.journal][-2:] == ["/latest/characters/90000001/assets/"] * 2


def test_esi_faults_reach_the_client(fake: FakeESI) -> None:
    fake.add_fault(path="/latest/status/", status=503, times=1)
    assert requests.get(f"{fake.url}/latest/status/", timeout=5).status_code == 503
    fake.add_fault(path="/latest/status/", drop=True, times=1)
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{fake.url}/latest/status/", timeout=5)
    assert requests.get(f"{fake.url}/latest/status/", timeout=5).status_code == 200


def test_control_endpoints_over_http(fake: FakeESI) -> None:
    record = {
        "operation": "get_status",
        "body": {"players": 7, "server_version": "1", "start_time": "2026-01-01T00:00:00Z"},
    }
    assert requests.post(f"{fake.url}/_fake/data", json=record, timeout=5).status_code == 201
    assert requests.get(f"{fake.url}/latest/status/", timeout=5).json()["players"] == 7
    tokens = requests.post(
        f"{fake.sso_url}/_fake/sso/tokens", json={"character_id": 90000002, "scopes": ["esi-a.v1"]}, timeout=5
    ).json()
    assert fake.sso.verify(tokens["access_token"])["name"] == "Bram Ironside"
    assert requests.post(f"{fake.url}/_fake/reset", json={}, timeout=5).json() == {"reset": True}
    assert requests.get(f"{fake.url}/latest/status/", timeout=5).json()["players"] != 7
    assert not fake.sso.is_live(tokens["refresh_token"])  # /_fake/reset resets the SSO too
    bad = requests.post(f"{fake.sso_url}/_fake/sso/tokens", json={"character": 1}, timeout=5)
    assert bad.status_code == 400 and "unknown field(s) character" in bad.json()["error"]


def test_sso_control_endpoints(fake: FakeESI) -> None:
    base = f"{fake.sso_url}/_fake/sso"
    fault = requests.post(f"{base}/faults", json={"kind": 502, "endpoint": "jwks"}, timeout=5).json()
    assert fault["faults"][0]["kind"] == 502
    assert requests.get(f"{fake.sso_url}/oauth/jwks", timeout=5).status_code == 502
    assert (
        requests.post(f"{base}/characters", json={"character_id": 5, "name": "Eve"}, timeout=5).status_code
        == 201
    )
    assert requests.post(f"{base}/consent", json={"character_id": 5, "auto": True}, timeout=5).json() == {
        "character_id": 5,
        "auto": True,
    }
    journal = requests.get(f"{base}/journal", timeout=5).json()["journal"]
    assert [(c["endpoint"], c["status"]) for c in journal] == [("jwks", 502)]
    assert requests.delete(f"{base}/journal", timeout=5).json() == {"journal": []}
    assert requests.get(f"{base}/nothing", timeout=5).status_code == 404


# --- the SSO flow --------------------------------------------------------------------------


def test_sso_code_flow_and_refresh(fake: FakeESI) -> None:
    metadata = requests.get(f"{fake.sso_url}/.well-known/oauth-authorization-server", timeout=5).json()
    assert metadata["token_endpoint"] == f"{fake.sso_url}/v2/oauth/token"
    fake.sso.set_consent(character_id=90000003, auto=True)
    params = {
        "response_type": "code",
        "client_id": DEFAULT_CLIENT_ID,
        "redirect_uri": CALLBACK,
        "scope": "esi-skills.read_skills.v1",
        "state": "abc",
    }
    redirect = requests.get(
        metadata["authorization_endpoint"], params=params, allow_redirects=False, timeout=5
    )
    code = parse_qs(urlsplit(redirect.headers["Location"]).query)["code"][0]
    tokens = requests.post(
        metadata["token_endpoint"],
        data={"grant_type": "authorization_code", "code": code},
        auth=(DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET),
        timeout=5,
    ).json()
    keys = jwt.PyJWKSet.from_dict(requests.get(metadata["jwks_uri"], timeout=5).json())
    claims = jwt.decode(tokens["access_token"], keys.keys[0].key, algorithms=["RS256"], audience="EVE Online")
    assert (claims["sub"], claims["name"]) == ("CHARACTER:EVE:90000003", "Cyra Voss")
    refreshed = requests.post(
        metadata["token_endpoint"],
        data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
        auth=(DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET),
        timeout=5,
    )
    assert refreshed.status_code == 200
    assert len(fake.sso.calls("token")) == 2


def test_sso_timeout_fault_is_a_read_timeout(fake: FakeESI) -> None:
    fake.sso.inject_fault("timeout", endpoint="token", seconds=2)
    with pytest.raises(requests.ReadTimeout):
        requests.post(f"{fake.sso_url}/v2/oauth/token", data={"grant_type": "refresh_token"}, timeout=0.3)


# --- the django-esi client --------------------------------------------------------------------


def test_django_esi_client_reads_pages_from_the_fake(fake: FakeESI) -> None:
    from django.core.cache import cache

    from esi.clients import esi_client_factory

    cache.clear()  # django-esi caches fresh responses: start without any
    with fake.override_settings():
        client = esi_client_factory()
        assert client.Status.get_status().result()["players"] > 0
        orders = client.Market.get_markets_region_id_orders(region_id=10000002, order_type="all").results()
    pages = [e for e in fake.journal if e.path == "/latest/markets/10000002/orders/"]
    assert len(pages) > 1 and len(orders) > 1000
    assert len({o["order_id"] for o in orders}) == len(orders)


# --- the FakeESI object -----------------------------------------------------------------------


def test_settings_point_at_the_fake_and_override_settings_applies_them(fake: FakeESI) -> None:
    before = settings.ESI_API_URL if hasattr(settings, "ESI_API_URL") else None
    values = fake.settings()
    assert values["ESI_API_URL"] == fake.url + "/"
    assert values["ESI_SSO_TOKEN_URL"] == fake.sso_url + "/v2/oauth/token"
    assert (values["ESI_SSO_CLIENT_ID"], values["ESI_SSO_CLIENT_SECRET"]) == (
        DEFAULT_CLIENT_ID,
        DEFAULT_CLIENT_SECRET,
    )
    with fake.override_settings():
        assert settings.ESI_API_URL == fake.url + "/"
    assert (settings.ESI_API_URL if hasattr(settings, "ESI_API_URL") else None) == before


def test_urls_by_mode() -> None:
    inprocess = FakeESI(mode="inprocess")
    assert (inprocess.url, inprocess.sso_url) == ("https://esi.evetech.net", "https://login.eveonline.com")
    server = FakeESI(mode="server")
    with pytest.raises(RuntimeError, match="start"):
        _ = server.url
    with server:
        assert server.url == server.sso_url and server.url.startswith("http://127.0.0.1:")


def test_mode_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(MODE_ENV, "server")
    assert FakeESI().mode == "server"
    assert FakeESI(mode="inprocess").mode == "inprocess"
    monkeypatch.setenv(MODE_ENV, "cloud")
    with pytest.raises(ValueError, match=r"\$ESI_FAKE_MODE must be one of inprocess, server, not 'cloud'"):
        FakeESI()
    with pytest.raises(ValueError, match="mode must be one of"):
        FakeESI(mode="thread")


@pytest.mark.parametrize("mode", ["inprocess", "server"])
def test_start_stop_idempotent_decorator_and_state_kept_after_stop(mode: str) -> None:
    fake = FakeESI(mode=mode)

    urls: list[str] = []

    @fake
    def call() -> int:
        fake.start()  # already started: no-op
        urls.append(fake.url)
        return requests.get(f"{fake.url}/latest/status/", timeout=5).status_code

    assert call() == 200 and not fake.started
    fake.stop()
    assert [e.status for e in fake.journal] == [200]  # readable after stop
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{urls[0]}/latest/status/", timeout=5)  # nothing answers any more


@pytest.mark.parametrize("mode", ["inprocess", "server"])
def test_latency_delays_answers(mode: str) -> None:
    with FakeESI(mode=mode, latency="150ms") as fake:
        began = time.monotonic()
        requests.get(f"{fake.url}/latest/status/", timeout=5)
        assert time.monotonic() - began >= 0.15


def test_snapshot_date_sets_the_compatibility_date() -> None:
    # settings() of a server needs its port, so these (mode-free) facts are read in-process.
    fake = FakeESI("2025-12-16", mode="inprocess")
    assert fake.settings()["ESI_COMPATIBILITY_DATE"] == "2025-12-16"
    assert FakeESI("latest", mode="inprocess").settings()["ESI_API_VERSION"] == "latest"


def test_project_sso_application_is_registered(settings) -> None:
    settings.ESI_SSO_CLIENT_ID = "my-site"
    settings.ESI_SSO_CLIENT_SECRET = "my-secret"
    settings.ESI_SSO_CALLBACK_URL = "https://my.site/sso/callback/"
    fake = FakeESI(mode="inprocess")
    assert fake.sso.clients["my-site"].client_secret == "my-secret"
    assert fake.settings()["ESI_SSO_CALLBACK_URL"] == "https://my.site/sso/callback/"


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("50ms", 0.05), ("0.2s", 0.2), ("250us", 0.00025), ("1m", 60), ("2", 2), (0.5, 0.5), (None, 0)],
)
def test_parse_duration(text, seconds) -> None:
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["fast", "5 parsecs", "-1", "1h"])
def test_parse_duration_refuses_nonsense(text: str) -> None:
    with pytest.raises(ValueError, match="duration"):
        parse_duration(text)


def test_public_names_are_pinned() -> None:
    assert esi_testing.__all__ == sorted(esi_testing.__all__)
    assert esi_testing.__all__ == [
        "DropConnection",
        "FakeESI",
        "FakeESIServer",
        "FakeSSO",
        "HoldConnection",
        "InProcessTransport",
        "mint_access_token",
        "parse_duration",
    ]
    assert all(getattr(esi_testing, name) for name in esi_testing.__all__)
    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        _ = esi_testing.Nope


# --- InProcessTransport -------------------------------------------------------------------------


@Request.application
def hello(request: Request) -> Response:
    return Response(f"{request.host} {request.script_root}|{request.path}?{request.query_string.decode()}")


def test_in_process_mounts_passes_loopback_through_and_refuses_the_internet() -> None:
    transport = InProcessTransport({"https://api.example.test/base/": hello})
    with FakeESIServer(hello) as server, transport:
        assert (
            requests.get("https://api.example.test/base/x/y?q=1", timeout=5).text
            == "api.example.test /base|/x/y?q=1"
        )
        assert requests.get(server.url + "/live", timeout=5).text.endswith("|/live?")
        with pytest.raises(requests.ConnectionError):
            requests.get("https://example.org/", timeout=5)
    assert not transport.started


def test_in_process_start_stop_are_idempotent() -> None:
    transport = InProcessTransport({"https://api.example.test": hello})
    transport.start()
    transport.start()
    assert requests.get("https://api.example.test/", timeout=5).ok
    transport.stop()
    transport.stop()
    with pytest.raises(ValueError, match="base URL"):
        InProcessTransport({"api.example.test": hello})
    with pytest.raises(ValueError, match="at least one"):
        InProcessTransport({})


def test_in_process_serves_threads_too() -> None:
    results: list[int] = []
    with InProcessTransport({"https://api.example.test": hello}):
        threads = [
            threading.Thread(
                target=lambda: results.append(
                    requests.get("https://api.example.test/", timeout=5).status_code
                )
            )
            for _ in range(8)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert results == [200] * 8


# --- the CLI ---------------------------------------------------------------------------------------


def test_cli_serve_prints_urls_and_settings_and_serves(capsys: pytest.CaptureFixture[str]) -> None:
    from esi_testing.__main__ import serve

    args = build_parser().parse_args(
        ["serve", "--port", "0", "--latency", "1ms", "--snapshot", "latest", "--strict"]
    )
    stop = threading.Event()
    seen: list[int] = []

    def ready(fake: FakeESI) -> None:
        seen.append(requests.get(f"{fake.url}/latest/status/", timeout=5).status_code)
        seen.append(
            requests.get(f"{fake.url}/latest/alliances/1/", timeout=5).status_code
        )  # strict: not recorded
        stop.set()

    assert serve(args, ready=ready, stop=stop) == 0
    out = capsys.readouterr().out
    assert seen == [200, 404]
    assert "Fake ESI:       http://127.0.0.1:" in out and "'ESI_API_URL': 'http://127.0.0.1:" in out


def test_cli_reports_bad_arguments(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--port", "0", "--latency", "soon"]) == 2
    assert "duration" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["nothing"])


def test_resets_keep_the_projects_client_and_the_packs_characters(settings) -> None:
    settings.ESI_SSO_CLIENT_ID = "my-site"
    settings.ESI_SSO_CLIENT_SECRET = "my-secret"
    with FakeESI() as fake:
        for reset in (
            fake.reset,
            lambda: requests.post(f"{fake.url}/_fake/reset", json={}, timeout=5),
            lambda: requests.post(f"{fake.sso_url}/_fake/sso/reset", json={}, timeout=5),
        ):
            fake.sso.add_client("later-app", "x")
            reset()
            assert "my-site" in fake.sso.clients and "later-app" not in fake.sso.clients
            assert fake.sso.characters[90000002].name == "Bram Ironside"


def test_in_process_does_not_keep_every_call() -> None:
    transport = InProcessTransport({"https://api.example.test": hello})
    with transport:
        for _ in range(250):
            requests.get("https://api.example.test/", timeout=5)
        assert transport._mock is not None and len(transport._mock.calls) <= 101
