"""esi.http: session, User-Agent, headers, timeouts and retries."""

from __future__ import annotations

import datetime as dt

import pytest
import requests
import responses
from bravado.client import SwaggerClient
from django.test import override_settings
from requests.adapters import HTTPAdapter

import esi
from esi import errors
from esi.http import EsiHTTPAdapter, EsiRequestsClient, build_session, tenant_for_datasource, user_agent

from .http_helpers import RecordingTransport, Sleeps

pytest_plugins = ["tests.http_fixtures"]


# -- User-Agent and ESI headers ---------------------------------------------------


def test_user_agent_puts_the_app_first_then_django_esi_with_contact():
    agent = user_agent("MyApp/1.2 (admin@myapp.example)")
    assert agent == (
        f"MyApp/1.2 (admin@myapp.example) django-esi/{esi.__version__} (tests@example.com; +{esi.__url__})"
    )


def test_user_agent_without_app_or_contact():
    with override_settings(ESI_USER_CONTACT_EMAIL=None):
        assert user_agent() == f"django-esi/{esi.__version__} (+{esi.__url__})"


@responses.activate
def test_session_sends_user_agent_compatibility_date_and_tenant(esi_url):
    responses.get(esi_url + "status/", json={"players": 1})
    session = build_session("MyApp/1.0", compatibility_date=dt.date(2025, 12, 16), datasource="singularity")
    session.get(esi_url + "status/")
    sent = responses.calls[0].request.headers
    assert sent["User-Agent"].startswith("MyApp/1.0 django-esi/")
    assert sent["X-Compatibility-Date"] == "2025-12-16"
    assert sent["X-Tenant"] == "singularity"


@responses.activate
def test_swagger_era_session_sends_no_compatibility_headers(esi_url):
    responses.get(esi_url + "status/", json={})
    build_session().get(esi_url + "status/")
    sent = responses.calls[0].request.headers
    assert "X-Compatibility-Date" not in sent
    assert "X-Tenant" not in sent


@pytest.mark.parametrize("date", ["newest", "2025-13-01", "16/12/2025"])
def test_a_compatibility_date_that_is_not_a_date_is_refused(date):
    with pytest.raises(ValueError, match=f"YYYY-MM-DD, not '{date}'"):
        build_session(compatibility_date=date)


def test_tenant_follows_the_datasource_and_refuses_unknown_ones():
    assert tenant_for_datasource("tranquility") == "tranquility"
    assert tenant_for_datasource("Singularity") == "singularity"
    with override_settings(ESI_API_DATASOURCE="singularity"):
        assert tenant_for_datasource() == "singularity"
    with pytest.raises(ValueError, match="'duality'"):
        tenant_for_datasource("duality")


def test_client_owns_one_pooled_session_with_the_adapter_on_both_schemes():
    with override_settings(ESI_CONNECTION_POOL_MAXSIZE=17):
        client = EsiRequestsClient(app_info_text="MyApp/1.0", compatibility_date="2025-12-16")
    adapter = client.session.get_adapter("https://esi.evetech.net/")
    assert isinstance(adapter, EsiHTTPAdapter)
    assert client.session.get_adapter("http://127.0.0.1/") is adapter
    assert adapter._pool_maxsize == 17
    assert client.session.headers["X-Tenant"] == "tranquility"


# -- timeouts ---------------------------------------------------------------------


def test_timeouts_come_from_settings_unless_the_request_gives_one(esi_url):
    transport = RecordingTransport([200, 200, 200])
    session = build_session(transport=transport)
    with override_settings(ESI_REQUESTS_CONNECT_TIMEOUT=3, ESI_REQUESTS_READ_TIMEOUT=45):
        session.get(esi_url + "a/")
        session.get(esi_url + "b/", timeout=7)
        session.get(esi_url + "c/", timeout=(2, None))
    assert [call["timeout"] for call in transport.calls] == [(3.0, 45.0), 7, (2, 45.0)]


# -- retries ----------------------------------------------------------------------


@pytest.mark.parametrize("status", [502, 503, 504])
def test_gateway_errors_are_retried_with_exponential_backoff(esi_url, status):
    transport = RecordingTransport([status, status, 200])
    sleeps = Sleeps()
    session = build_session(transport=transport, sleep=sleeps)
    with override_settings(ESI_SERVER_ERROR_BACKOFF_FACTOR=0.5, ESI_SERVER_ERROR_MAX_RETRIES=3):
        response = session.get(esi_url + "status/")
    assert response.status_code == 200
    assert len(transport.calls) == 3
    assert sleeps == [0.5, 1.0]


def test_the_last_gateway_error_is_returned_after_the_retries(esi_url):
    transport = RecordingTransport([503] * 5)
    sleeps = Sleeps()
    session = build_session(transport=transport, sleep=sleeps)
    with override_settings(ESI_SERVER_ERROR_BACKOFF_FACTOR=0.2, ESI_SERVER_ERROR_MAX_RETRIES=2):
        response = session.get(esi_url + "status/")
    assert response.status_code == 503
    assert len(transport.calls) == 3
    assert sleeps == [0.2, 0.4]


@pytest.mark.parametrize("status", [400, 404, 500])
def test_other_errors_are_not_retried(esi_url, status):
    transport = RecordingTransport([status, 200])
    session = build_session(transport=transport, sleep=Sleeps())
    assert session.get(esi_url + "status/").status_code == status
    assert len(transport.calls) == 1


@pytest.mark.parametrize(
    "error",
    [
        requests.exceptions.ConnectionError,
        requests.exceptions.ReadTimeout,
        requests.exceptions.ConnectTimeout,
    ],
)
def test_connection_errors_and_timeouts_are_retried_then_raised(esi_url, error):
    transport = RecordingTransport([error("boom")] * 4)
    sleeps = Sleeps()
    session = build_session(transport=transport, sleep=sleeps)
    with override_settings(ESI_CONNECTION_ERROR_MAX_RETRIES=2, ESI_SERVER_ERROR_BACKOFF_FACTOR=1):
        with pytest.raises(error):
            session.get(esi_url + "status/")
    assert len(transport.calls) == 3
    assert sleeps == [1, 2]


def test_a_connection_error_then_success(esi_url):
    transport = RecordingTransport([requests.exceptions.ConnectionError("reset"), 200])
    session = build_session(transport=transport, sleep=Sleeps())
    assert session.get(esi_url + "status/").status_code == 200


def test_tls_errors_are_not_retried(esi_url):
    transport = RecordingTransport([requests.exceptions.SSLError("bad certificate"), 200])
    session = build_session(transport=transport, sleep=Sleeps())
    with pytest.raises(requests.exceptions.SSLError):
        session.get(esi_url + "status/")
    assert len(transport.calls) == 1


@responses.activate
def test_retries_work_under_responses(esi_url):
    responses.get(esi_url + "status/", status=502)
    responses.get(esi_url + "status/", json={"players": 7})
    sleeps = Sleeps()
    response = build_session(sleep=sleeps).get(esi_url + "status/")
    assert response.json() == {"players": 7}
    assert len(responses.calls) == 2
    assert sleeps == [0.2]


def test_the_transport_can_be_any_http_adapter(esi_url):
    transport = RecordingTransport([200])
    assert isinstance(transport, HTTPAdapter)
    response = build_session(transport=transport).get(esi_url + "x/")
    assert response.status_code == 200
    assert transport.calls[0]["url"] == esi_url + "x/"


def test_sleep_is_patchable_on_the_class(esi_url, monkeypatch):
    sleeps = Sleeps()
    monkeypatch.setattr(EsiHTTPAdapter, "sleep", staticmethod(sleeps))
    session = build_session(transport=RecordingTransport([504, 200]))
    assert session.get(esi_url + "x/").status_code == 200
    assert sleeps == [0.2]


# -- through bravado ----------------------------------------------------------------

MINI_SPEC = {
    "swagger": "2.0",
    "info": {"title": "mini", "version": "1"},
    "host": "HOST",
    "basePath": "/latest",
    "schemes": ["https"],
    "paths": {
        "/status/": {
            "get": {
                "operationId": "get_status",
                "tags": ["Status"],
                "responses": {
                    "200": {
                        "description": "ok",
                        "schema": {"type": "object", "properties": {"players": {"type": "integer"}}},
                    }
                },
            }
        }
    },
}


def mini_client(esi_url: str, http_client: EsiRequestsClient) -> SwaggerClient:
    spec = dict(MINI_SPEC, host=esi_url.split("/")[2])
    return SwaggerClient.from_spec(
        spec,
        http_client=http_client,
        config={"validate_swagger_spec": False, "use_models": False},
    )


@responses.activate
def test_bravado_raises_http_error_with_status_body_and_headers_after_retries(esi_url):
    for _ in range(4):
        responses.get(
            esi_url + "status/", status=502, json={"error": "bad gateway"}, headers={"X-Esi-Request-Id": "r1"}
        )
    client = mini_client(esi_url, EsiRequestsClient(sleep=Sleeps()))
    with pytest.raises(errors.HTTPBadGateway) as caught:
        client.Status.get_status().result()
    assert caught.value.status_code == 502
    assert caught.value.response.text == '{"error": "bad gateway"}'
    assert caught.value.response.headers["X-Esi-Request-Id"] == "r1"
    assert len(responses.calls) == 4


@responses.activate
def test_bravado_result_goes_through_the_adapter(esi_url):
    responses.get(esi_url + "status/", json={"players": 30000})
    client = mini_client(esi_url, EsiRequestsClient(app_info_text="MyApp/2"))
    assert client.Status.get_status().result() == {"players": 30000}
    assert responses.calls[0].request.headers["User-Agent"].startswith("MyApp/2 django-esi/")


# -- which methods are repeated ---------------------------------------------------------


@pytest.mark.parametrize(
    "failure", [504, requests.exceptions.ReadTimeout("slow"), requests.exceptions.ConnectionError("reset")]
)
def test_retry_methods_keep_a_post_the_server_may_have_acted_on_from_being_repeated(esi_url, failure):
    transport = RecordingTransport([failure, 200])
    session = build_session(transport=transport, retry_methods=("GET",), sleep=Sleeps())
    if isinstance(failure, Exception):
        with pytest.raises(type(failure)):
            session.post(esi_url + "oauth/token")
    else:
        assert session.post(esi_url + "oauth/token").status_code == failure
    assert len(transport.calls) == 1
    # GET keeps its retries.
    transport = RecordingTransport([failure, 200])
    session = build_session(transport=transport, retry_methods=("GET",), sleep=Sleeps())
    assert session.get(esi_url + "jwks").status_code == 200


def test_a_connection_never_made_is_retried_whatever_the_method(esi_url):
    transport = RecordingTransport([requests.exceptions.ConnectTimeout("no route"), 200])
    session = build_session(transport=transport, retry_methods=("GET",), sleep=Sleeps())
    assert session.post(esi_url + "oauth/token").status_code == 200
    assert len(transport.calls) == 2


def test_every_method_is_retried_by_default(esi_url):
    transport = RecordingTransport([502, 200])
    session = build_session(transport=transport, sleep=Sleeps())
    assert session.post(esi_url + "universe/names/", json=[587]).status_code == 200
    assert len(transport.calls) == 2


def test_public_names_are_pinned():
    import esi.http

    assert esi.http.__all__ == [
        "DeadlineExceeded",
        "EsiHTTPAdapter",
        "EsiRequestsClient",
        "EsiSession",
        "RETRY_STATUSES",
        "TENANTS",
        "build_session",
        "clear_state",
        "tenant_for_datasource",
        "user_agent",
    ]
    assert sorted(esi.http.__all__) == esi.http.__all__
