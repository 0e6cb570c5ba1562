"""EsiSession: requests' environment settings (proxies, CA bundle), read once per host, never stale."""

from __future__ import annotations

from unittest import mock

import pytest
import requests

from esi.http import EsiRequestsClient, EsiSession, build_session
from esi.http import session as session_module

from .test_http_loopback import LoopbackESI

ESI = "https://esi.evetech.net/latest/markets/10000002/orders/?page=3"
LOOPBACK = "http://127.0.0.1:8000/latest/status/"
OTHER = "https://login.eveonline.com/v2/oauth/token"


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch):
    """No proxy or CA bundle variable from the machine, and no settings remembered from other tests."""
    for name in session_module.PROXY_ENVIRONMENT:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("ftp_proxy", raising=False)
    session_module._proxy_memo.clear()
    yield
    session_module._proxy_memo.clear()


ENVIRONMENTS = [
    {},
    {"HTTPS_PROXY": "http://proxy.example:3128"},
    {"https_proxy": "http://lower.example:3128", "HTTPS_PROXY": "http://upper.example:3128"},
    {"HTTP_PROXY": "http://proxy.example:3128", "HTTPS_PROXY": "http://proxy.example:3129"},
    {"ALL_PROXY": "socks5://proxy.example:1080"},
    {"HTTPS_PROXY": "http://proxy.example:3128", "NO_PROXY": "esi.evetech.net"},
    {"HTTPS_PROXY": "http://proxy.example:3128", "no_proxy": ".evetech.net,127.0.0.0/8"},
    {"HTTP_PROXY": "http://proxy.example:3128", "NO_PROXY": "127.0.0.1:8000"},
    {"HTTP_PROXY": "http://proxy.example:3128", "REQUEST_METHOD": "GET"},
    {"HTTPS_PROXY": "http://proxy.example:3128", "ftp_proxy": "http://ftp.example:21"},
    {"REQUESTS_CA_BUNDLE": "/etc/ssl/esi.pem"},
    {"CURL_CA_BUNDLE": "/etc/ssl/curl.pem"},
    {"REQUESTS_CA_BUNDLE": "/etc/ssl/esi.pem", "CURL_CA_BUNDLE": "/etc/ssl/curl.pem"},
]


@pytest.mark.parametrize("environment", ENVIRONMENTS, ids=lambda e: ",".join(e) or "empty")
@pytest.mark.parametrize("url", [ESI, LOOPBACK, OTHER])
@pytest.mark.parametrize(
    ("proxies", "verify", "cert"),
    [
        ({}, True, None),
        ({}, None, None),
        ({}, False, None),
        ({"https": "http://mine:1"}, "/mine.pem", "c.pem"),
    ],
)
def test_the_settings_are_requests_own_in_every_environment(
    monkeypatch, environment, url, proxies, verify, cert
):
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    ours, theirs = EsiSession(), requests.Session()
    for _ in range(2):  # read from the environment, then remembered
        expected = theirs.merge_environment_settings(url, dict(proxies), None, verify, cert)
        assert ours.merge_environment_settings(url, dict(proxies), None, verify, cert) == expected


def test_the_session_settings_still_apply(monkeypatch):
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    ours, theirs = EsiSession(), requests.Session()
    for session in (ours, theirs):
        session.proxies = {"http": "http://session.example:1"}
        session.verify = "/session.pem"
        session.stream = True
    assert ours.merge_environment_settings(ESI, {}, None, None, None) == theirs.merge_environment_settings(
        ESI, {}, None, None, None
    )


def test_a_changed_variable_is_seen_on_the_next_request(monkeypatch):
    session = EsiSession()
    assert session.merge_environment_settings(ESI, {}, None, True, None)["proxies"] == {}
    monkeypatch.setenv("HTTPS_PROXY", "http://one.example:3128")
    assert session.merge_environment_settings(ESI, {}, None, True, None)["proxies"]["https"] == (
        "http://one.example:3128"
    )
    monkeypatch.setenv("HTTPS_PROXY", "http://two.example:3128")
    assert session.merge_environment_settings(ESI, {}, None, True, None)["proxies"]["https"] == (
        "http://two.example:3128"
    )
    monkeypatch.setenv("NO_PROXY", "evetech.net")
    assert session.merge_environment_settings(ESI, {}, None, True, None)["proxies"] == {}
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/ssl/esi.pem")
    assert session.merge_environment_settings(ESI, {}, None, True, None)["verify"] == "/etc/ssl/esi.pem"


def test_the_environment_is_read_once_per_host_while_it_stays_the_same(monkeypatch):
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    session = EsiSession()
    with mock.patch.object(
        session_module, "get_environ_proxies", wraps=session_module.get_environ_proxies
    ) as read:
        for page in range(1, 6):
            session.merge_environment_settings(f"{ESI[:-1]}{page}", {}, None, True, None)
        assert read.call_count == 1
        session.merge_environment_settings(OTHER, {}, None, True, None)
        assert read.call_count == 2
        # Another session on the same host shares what was read.
        EsiSession().merge_environment_settings(ESI, {}, None, True, None)
        assert read.call_count == 2


def test_the_settings_are_read_again_after_the_recheck_interval(monkeypatch):
    session = EsiSession()
    with mock.patch.object(
        session_module, "get_environ_proxies", wraps=session_module.get_environ_proxies
    ) as read:
        session.merge_environment_settings(ESI, {}, None, True, None)
        session.merge_environment_settings(ESI, {}, None, True, None)
        assert read.call_count == 1
        # The system's own proxy settings (no variable shows them) are read again in time.
        monkeypatch.setattr(session_module, "PROXY_RECHECK", 0.0)
        session.merge_environment_settings(ESI, {}, None, True, None)
        assert read.call_count == 2


def test_a_returned_proxies_dict_cannot_change_what_is_remembered(monkeypatch):
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    session = EsiSession()
    first = session.merge_environment_settings(ESI, {}, None, True, None)
    first["proxies"]["https"] = "http://changed.example:1"
    first["proxies"]["http"] = "http://added.example:1"
    assert session.merge_environment_settings(ESI, {}, None, True, None)["proxies"] == {
        "https": "http://proxy.example:3128"
    }


def test_trust_env_off_and_an_explicit_no_proxy_are_requests_own(monkeypatch):
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/ssl/esi.pem")
    ours = EsiSession()
    ours.trust_env = False
    assert ours.merge_environment_settings(ESI, {}, None, True, None) == {
        "proxies": {},
        "stream": False,
        "verify": True,
        "cert": None,
    }
    ours.trust_env = True
    given = {"no_proxy": "esi.evetech.net"}
    assert ours.merge_environment_settings(ESI, dict(given), None, True, None) == (
        requests.Session().merge_environment_settings(ESI, dict(given), None, True, None)
    )


def test_every_esi_session_is_one():
    assert isinstance(build_session(), EsiSession)
    assert isinstance(EsiRequestsClient().session, EsiSession)


def test_a_request_goes_through_the_proxy_the_environment_names(monkeypatch):
    """End to end: the proxy of ``HTTP_PROXY`` gets the request, then a new one once the variable changes."""
    with LoopbackESI() as proxy, LoopbackESI() as other:
        proxy.handler = lambda request, n: (200, {"Content-Type": "application/json"}, b'{"via": "proxy"}')
        other.handler = lambda request, n: (200, {"Content-Type": "application/json"}, b'{"via": "other"}')
        monkeypatch.setenv("HTTP_PROXY", proxy.url.removesuffix("latest/"))
        session = build_session()
        url = "http://esi.invalid/latest/status/"
        assert session.get(url).json() == {"via": "proxy"}
        # A proxy is sent the whole URL.
        assert proxy.requests[0]["path"] == url
        monkeypatch.setenv("HTTP_PROXY", other.url.removesuffix("latest/"))
        assert session.get(url).json() == {"via": "other"}
        assert [r["path"] for r in other.requests] == [url]
