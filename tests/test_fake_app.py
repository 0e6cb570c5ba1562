"""The fake ESI's WSGI app answers as ESI does (through werkzeug's test client)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from werkzeug.http import http_date
from werkzeug.test import Client, TestResponse

from esi_testing.fake import DropConnection, HoldConnection
from esi_testing.fake.app import ERROR_LIMITED, make_app
from esi_testing.fake.backend import FakeBackend
from esi_testing.fake.routes import RouteTable
from esi_testing.fake.sso import FakeSSO, mint_access_token

ASSETS_SCOPE = "esi-assets.read_assets.v1"
ADA = 90000001  # in the default data pack


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1_790_000_000.0  # 2026-09-21

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def backend(clock: Clock) -> FakeBackend:
    return FakeBackend(clock=clock)


@pytest.fixture
def client(backend: FakeBackend) -> Client:
    return Client(make_app(backend))


def bearer(character_id: int = ADA, scopes: Any = (ASSETS_SCOPE,), **kwargs: Any) -> dict[str, str]:
    return {"Authorization": "Bearer " + mint_access_token(character_id, scopes, **kwargs)}


def error_of(response: TestResponse) -> str:
    return response.get_json()["error"]


# --- requests are checked against the spec ------------------------------------------


def test_unknown_route_is_404_with_esi_error_body(client: Client) -> None:
    response = client.get("/latest/no/such/route/")
    assert response.status_code == 404
    assert response.get_json() == {"error": "Not found"}


def test_wrong_type_is_400_naming_the_parameter(client: Client) -> None:
    response = client.get("/latest/universe/types/rifter/")
    assert response.status_code == 400
    assert "type_id" in error_of(response) and "'rifter'" in error_of(response)


def test_out_of_enum_query_is_400_naming_the_parameter(client: Client) -> None:
    response = client.get("/latest/markets/10000002/orders/?order_type=cheap")
    assert response.status_code == 400
    assert "order_type" in error_of(response)


def test_missing_required_parameter_is_400_naming_it(client: Client) -> None:
    response = client.get("/latest/markets/10000002/orders/")
    assert response.status_code == 400
    assert error_of(response) == "Missing required parameter 'order_type'"


def test_datasource_other_than_tranquility_is_400(client: Client) -> None:
    assert client.get("/latest/status/?datasource=tranquility").status_code == 200
    response = client.get("/latest/status/?datasource=serenity")
    assert response.status_code == 400
    assert "datasource" in error_of(response)


def test_body_is_validated_against_its_schema(client: Client) -> None:
    ok = client.post("/latest/universe/names/", json=[ADA, 98000001])
    assert ok.status_code == 200
    bad = client.post("/latest/universe/names/", json=["Ada"])
    assert bad.status_code == 400 and "ids[0]" in error_of(bad)
    missing = client.post("/latest/universe/names/")
    assert missing.status_code == 400 and "ids" in error_of(missing)


def test_both_eras_are_served_with_and_without_trailing_slash(client: Client) -> None:
    assert client.get("/latest/status/").status_code == 200
    assert client.get("/latest/status").status_code == 200
    assert client.get("/status").status_code == 200
    assert client.get("/v1/status/").status_code == 200  # an x-alternate-versions route


# --- compatibility dates ------------------------------------------------------------


def test_compatibility_date_missing_malformed_or_future(client: Client) -> None:
    assert client.get("/status").status_code == 200  # ESI serves its oldest date
    assert client.get("/status", headers={"X-Compatibility-Date": "2025-12-16"}).status_code == 200
    malformed = client.get("/status", headers={"X-Compatibility-Date": "16/12/2025"})
    assert malformed.status_code == 400 and "X-Compatibility-Date" in error_of(malformed)
    future = client.get("/status", headers={"X-Compatibility-Date": "2099-01-01"})
    assert future.status_code == 400 and "future" in error_of(future)


def test_compatibility_date_picks_the_snapshot(shared_specs: Path, clock: Clock) -> None:
    newer = json.loads((shared_specs / "openapi3-2026-08-04-fetched-2026-08-04-esiproxy.json").read_text())
    clock.now = 1_795_000_000.0  # 2026-11-18, after both dates
    backend = FakeBackend(snapshot=("2025-12-16", RouteTable.for_snapshot(newer)), clock=clock)
    client = Client(make_app(backend))
    # Access lists exist from 2026 on: the newer date serves them, the older does not.
    url = f"/characters/{ADA}/access-lists"
    token = bearer(scopes=["esi-access.read_lists.v1"])
    assert client.get(url, headers={**token, "X-Compatibility-Date": "2026-08-04"}).status_code == 200
    assert client.get(url, headers={**token, "X-Compatibility-Date": "2025-12-20"}).status_code == 404
    assert client.get(url, headers=token).status_code == 404  # no date: the oldest


# --- auth ---------------------------------------------------------------------------


def test_secured_route_without_token_is_401(client: Client) -> None:
    response = client.get(f"/latest/characters/{ADA}/assets/")
    assert response.status_code == 401
    assert error_of(response) == "authorization not provided"


def test_token_signed_by_an_unknown_key_is_401(client: Client) -> None:
    response = client.get(f"/latest/characters/{ADA}/assets/", headers=bearer(key_generation=7))
    assert response.status_code == 401
    assert error_of(response).startswith("authorization failed")


def test_expired_token_is_403_token_is_expired(client: Client) -> None:
    response = client.get(
        f"/latest/characters/{ADA}/assets/", headers=bearer(now=time.time() - 3600, expires_in=60)
    )
    assert response.status_code == 403
    assert response.get_json() == {"error": "token is expired", "sso_status": 401}


def test_token_without_the_scope_is_403(client: Client) -> None:
    response = client.get(
        f"/latest/characters/{ADA}/assets/", headers=bearer(scopes=["esi-skills.read_skills.v1"])
    )
    assert response.status_code == 403
    assert error_of(response) == "token not valid for scope"


def test_token_of_another_character_is_403(client: Client) -> None:
    response = client.get(f"/latest/characters/{ADA}/assets/", headers=bearer(character_id=90000002))
    assert response.status_code == 403
    assert "character_id" in error_of(response)


def test_valid_token_in_header_or_query_is_served(client: Client) -> None:
    assert client.get(f"/latest/characters/{ADA}/assets/", headers=bearer()).status_code == 200
    token = mint_access_token(ADA, ASSETS_SCOPE)  # one scope: scp is a single string
    assert client.get(f"/latest/characters/{ADA}/assets/?token={token}").status_code == 200
    several = bearer(scopes=["esi-skills.read_skills.v1", ASSETS_SCOPE], scp_as_string=True)
    assert client.get(f"/latest/characters/{ADA}/assets/", headers=several).status_code == 200


def test_tokens_are_checked_by_the_given_sso(clock: Clock) -> None:
    sso = FakeSSO()
    client = Client(make_app(FakeBackend(sso=sso, clock=clock)))
    tokens = sso.issue_tokens(ADA, [ASSETS_SCOPE])
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert client.get(f"/latest/characters/{ADA}/assets/", headers=headers).status_code == 200


# --- data ---------------------------------------------------------------------------


def test_recorded_data_wins(client: Client) -> None:
    response = client.get("/latest/characters/90000003/")
    assert response.status_code == 200
    assert response.get_json()["name"] == "Cyra Voss"


def test_generated_data_is_deterministic_and_uses_the_path_ids(client: Client) -> None:
    first = client.get("/latest/universe/types/1234/").get_json()
    again = client.get("/latest/universe/types/1234/").get_json()
    other = client.get("/latest/universe/types/1235/").get_json()
    assert first == again and first != other
    assert first["type_id"] == 1234 and other["type_id"] == 1235


def test_generated_data_is_the_same_in_a_new_backend(clock: Clock) -> None:
    one = Client(make_app(FakeBackend(clock=clock))).get("/latest/alliances/99000555/").get_json()
    two = Client(make_app(FakeBackend(clock=clock))).get("/latest/alliances/99000555/").get_json()
    assert one == two


def test_strict_mode_is_404_for_anything_not_recorded(clock: Clock) -> None:
    client = Client(make_app(FakeBackend(strict=True, clock=clock)))
    assert client.get("/latest/characters/90000003/").status_code == 200
    response = client.get("/latest/characters/90000099/")
    assert response.status_code == 404
    assert "get_characters_character_id" in error_of(response)


def test_recorded_error_status_is_served(backend: FakeBackend, client: Client) -> None:
    backend.add_data(
        {
            "operation": "get_characters_character_id",
            "params": {"character_id": 90000404},
            "status": 404,
            "body": {"error": "Character not found"},
        }
    )
    response = client.get("/latest/characters/90000404/")
    assert response.status_code == 404 and error_of(response) == "Character not found"


# --- paging -------------------------------------------------------------------------


def test_long_lists_are_paged_with_x_pages(client: Client) -> None:
    orders = []
    for page in (1, 2, 3):
        response = client.get(f"/latest/markets/10000002/orders/?order_type=all&page={page}")
        assert response.status_code == 200
        assert response.headers["X-Pages"] == "3"
        orders += response.get_json()
    assert [len(p) for p in (orders[:1000], orders[1000:2000], orders[2000:])] == [1000, 1000, 500]
    assert len({o["order_id"] for o in orders}) == 2500


def test_page_past_the_end_is_404(client: Client) -> None:
    response = client.get("/latest/markets/10000002/orders/?order_type=all&page=4")
    assert response.status_code == 404
    assert response.get_json() == {"error": "Requested page does not exist!"}


def test_page_size_is_configurable(clock: Clock) -> None:
    client = Client(make_app(FakeBackend(page_size=100, clock=clock)))
    response = client.get("/latest/markets/10000002/orders/?order_type=all&page=25")
    assert response.headers["X-Pages"] == "25" and len(response.get_json()) == 100


def test_cursor_paging_on_openapi_operations(backend: FakeBackend, client: Client) -> None:
    jobs = [{"id": f"job-{i:02d}", "name": f"Job {i}"} for i in range(25)]
    backend.add_data({"operation": "GetFreelanceJobsListing", "body": {"freelance_jobs": jobs}})
    first = client.get("/freelance-jobs?limit=10&after=0").get_json()
    assert [j["id"] for j in first["freelance_jobs"]] == [f"job-{i:02d}" for i in range(10)]
    second = client.get(f"/freelance-jobs?limit=10&after={first['cursor']['after']}").get_json()
    assert second["freelance_jobs"][0]["id"] == "job-10"
    last = client.get("/freelance-jobs?limit=10&before=0").get_json()
    assert [j["id"] for j in last["freelance_jobs"]] == [f"job-{i:02d}" for i in range(15, 25)]
    earlier = client.get(f"/freelance-jobs?limit=10&before={last['cursor']['before']}").get_json()
    assert earlier["freelance_jobs"][-1]["id"] == "job-14"
    done = client.get(f"/freelance-jobs?limit=10&after={last['cursor']['after']}").get_json()
    assert done["freelance_jobs"] == [] and done["cursor"]["after"] == last["cursor"]["after"]


# --- localization -------------------------------------------------------------------


def test_language_query_selects_the_localized_record(client: Client) -> None:
    response = client.get("/latest/universe/types/587/?language=ja")
    assert response.get_json()["name"] == "リフター"
    assert response.headers["Content-Language"] == "ja"


def test_accept_language_header_selects_the_localized_record(client: Client) -> None:
    response = client.get("/universe/types/587", headers={"Accept-Language": "fr-FR, fr;q=0.9"})
    assert response.get_json()["description"].startswith("Le Rifter")
    assert response.headers["Content-Language"] == "fr"
    english = client.get("/latest/universe/types/587/", headers={"Accept-Language": "en-us"})
    assert english.get_json()["name"] == "Rifter"


def test_any_language_or_none_gets_the_default(client: Client) -> None:
    for headers in ({"Accept-Language": "*"}, {}):
        swagger = client.get("/latest/universe/types/587/", headers=headers)
        assert swagger.headers["Content-Language"] == "en-us"  # the spec's default
        assert client.get("/universe/types/587", headers=headers).headers["Content-Language"] == "en"


def test_unknown_language_is_400(client: Client) -> None:
    assert client.get("/latest/universe/types/587/?language=tlh").status_code == 400
    response = client.get("/universe/types/587", headers={"Accept-Language": "tlh"})
    assert response.status_code == 400 and "Accept-Language" in error_of(response)


# --- caching headers ----------------------------------------------------------------


def test_caching_headers_from_the_spec(client: Client, clock: Clock) -> None:
    response = client.get("/latest/status/")
    assert response.headers["Cache-Control"] == "public, max-age=30"
    assert response.headers["Expires"] == http_date(clock.now + 30)  # x-cached-seconds of the route
    assert response.headers["Last-Modified"]
    etag = response.headers["ETag"]
    assert client.get("/latest/status/").headers["ETag"] == etag


def test_if_none_match_is_304_with_caching_headers(client: Client) -> None:
    etag = client.get("/latest/status/").headers["ETag"]
    response = client.get("/latest/status/", headers={"If-None-Match": etag})
    assert response.status_code == 304
    assert response.get_data() == b""
    assert response.headers["ETag"] == etag and "Expires" in response.headers
    assert client.get("/latest/status/", headers={"If-None-Match": '"other"'}).status_code == 200


# --- limits -------------------------------------------------------------------------


def test_error_limit_then_420_until_the_window_resets(clock: Clock) -> None:
    client = Client(make_app(FakeBackend(error_limit=3, error_window=60, clock=clock)))
    remains = [client.get("/latest/nope/").headers["X-ESI-Error-Limit-Remain"] for _ in range(3)]
    assert remains == ["2", "1", "0"]
    limited = client.get("/latest/status/")
    assert limited.status_code == 420 and error_of(limited) == ERROR_LIMITED
    assert limited.headers["X-ESI-Error-Limit-Reset"] == "60"
    clock.now += 60
    back = client.get("/latest/status/")
    assert back.status_code == 200 and back.headers["X-ESI-Error-Limit-Remain"] == "3"


def test_rate_limit_headers_and_429_with_retry_after(clock: Clock) -> None:
    client = Client(make_app(FakeBackend(rate_limits={"status": (5, 60)}, clock=clock)))
    first = client.get("/status")
    assert first.status_code == 200
    assert first.headers["X-Ratelimit-Group"] == "status"
    assert first.headers["X-Ratelimit-Limit"] == "5/60s"
    assert (first.headers["X-Ratelimit-Used"], first.headers["X-Ratelimit-Remaining"]) == ("2", "3")
    assert "X-ESI-Error-Limit-Remain" not in first.headers  # the two schemes exclude each other
    clock.now += 10
    assert client.get("/status").headers["X-Ratelimit-Remaining"] == "1"
    clock.now += 10
    assert client.get("/status").status_code == 200  # 1 token left: still allowed
    limited = client.get("/status")
    assert limited.status_code == 429 and limited.headers["Retry-After"] == "40"
    clock.now += 40  # the first request's tokens come back
    assert client.get("/status").status_code == 200


def test_rate_limit_uses_the_spec_budget_by_default(client: Client) -> None:
    assert client.get("/status").headers["X-Ratelimit-Limit"] == "600/15m"


# --- faults -------------------------------------------------------------------------


def test_fault_status_for_n_calls(backend: FakeBackend, client: Client) -> None:
    backend.add_fault(operation="get_status", status=503, times=2)
    statuses = [client.get("/latest/status/").status_code for _ in range(3)]
    assert statuses == [503, 503, 200]
    assert client.get("/latest/universe/types/587/").status_code == 200


def test_fault_504_body_as_esi(backend: FakeBackend, client: Client) -> None:
    backend.add_fault(path="/latest/markets/*", status=504)
    response = client.get("/latest/markets/10000002/orders/?order_type=all")
    assert response.status_code == 504
    assert response.get_json() == {"error": "Timeout contacting tranquility", "timeout": 10}


def test_fault_for_a_fraction_of_calls_is_seeded(clock: Clock) -> None:
    def run() -> list[int]:
        backend = FakeBackend(clock=clock, seed=3)
        backend.add_fault(operation="get_status", status=500, fraction=0.5)
        client = Client(make_app(backend))
        return [client.get("/latest/status/").status_code for _ in range(40)]

    first = run()
    assert first == run()
    assert 5 < first.count(500) < 35


def test_fault_drop_and_timeout_raise_transport_faults(backend: FakeBackend, client: Client) -> None:
    backend.add_fault(operation="get_status", drop=True, times=1)
    with pytest.raises(DropConnection):
        client.get("/latest/status/")
    backend.add_fault(operation="get_status", timeout=5.0, times=1)
    with pytest.raises(HoldConnection) as info:
        client.get("/latest/status/")
    assert info.value.seconds == 5.0
    assert client.get("/latest/status/").status_code == 200


def test_fault_latency_waits_before_answering(
    backend: FakeBackend, client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    slept: list[float] = []
    monkeypatch.setattr(time, "sleep", slept.append)
    backend.add_fault(operation="get_status", latency=0.25)
    assert client.get("/latest/status/").status_code == 200
    assert slept == [0.25]


def test_fault_needs_an_effect() -> None:
    with pytest.raises(ValueError, match="needs a status"):
        FakeBackend(data=None).add_fault(operation="get_status")


# --- journal and control endpoints --------------------------------------------------


def test_journal_records_requests_without_the_token(backend: FakeBackend, client: Client) -> None:
    client.get(f"/latest/characters/{ADA}/assets/", headers=bearer())
    client.get("/latest/nope/")
    first, second = backend.journal
    assert (first.method, first.operation, first.status, first.character_id) == (
        "GET",
        "get_characters_character_id_assets",
        200,
        ADA,
    )
    assert first.source == "recorded"
    assert "Authorization" not in first.headers
    assert (second.status, second.operation) == (404, None)


def test_control_endpoints_match_the_python_methods(backend: FakeBackend, client: Client) -> None:
    record = {
        "operation": "get_status",
        "body": {"players": 7, "server_version": "1", "start_time": "2026-01-01T11:00:00Z"},
    }
    assert client.post("/_fake/data", json={"records": [record]}).status_code == 201
    assert client.get("/latest/status/").get_json()["players"] == 7
    assert any(r["body"] == record["body"] for r in client.get("/_fake/data").get_json()["records"])

    added = client.post("/_fake/faults", json={"operation": "get_status", "status": 502, "times": 1})
    assert added.status_code == 201 and backend.faults[0].status == 502
    assert client.get("/_fake/faults").get_json()["faults"][0]["status"] == 502
    assert client.get("/latest/status/").status_code == 502
    client.delete("/_fake/faults")
    assert backend.faults == []

    journal = client.get("/_fake/journal").get_json()["journal"]
    assert [e["status"] for e in journal] == [200, 502]

    assert client.post("/_fake/reset", json={}).status_code == 200
    assert backend.journal == []
    assert client.get("/latest/status/").get_json()["players"] == 23456  # the default pack again


def test_control_endpoints_refuse_bad_input(client: Client) -> None:
    bad = client.post("/_fake/faults", json={"operation": "get_status", "colour": "red"})
    assert bad.status_code == 400 and "colour" in error_of(bad)
    bad_record = client.post("/_fake/data", json={"records": [{"params": {}}]})
    assert bad_record.status_code == 400 and "operation" in error_of(bad_record)
    assert client.get("/_fake/nothing").status_code == 404


def test_delete_data_leaves_only_generated_answers(backend: FakeBackend, client: Client) -> None:
    client.delete("/_fake/data")
    assert len(backend.data) == 0
    assert client.get("/latest/characters/90000003/").get_json()["name"] != "Cyra Voss"


def test_routes_that_expire_daily_expire_at_the_next_downtime(clock: Clock) -> None:
    client = Client(make_app(FakeBackend(clock=clock, daily_expiry=True)))
    # 2026-09-21 13:33:20 UTC; the route "expires daily at 11:05".
    response = client.get("/latest/universe/types/587/")
    assert response.headers["Expires"] == "Tue, 22 Sep 2026 11:05:00 GMT"
    assert response.headers["Cache-Control"] == f"public, max-age={int(1790075100 - clock.now)}"


def test_daily_expiry_is_off_by_default(client: Client) -> None:
    response = client.get("/latest/universe/types/587/")
    assert "Expires" not in response.headers and "ETag" in response.headers


def test_the_specs_are_served_where_esi_serves_them(client: Client, backend: FakeBackend) -> None:
    swagger = client.get("/latest/swagger.json")
    assert swagger.status_code == 200 and swagger.get_json()["basePath"] == "/latest"
    openapi = client.get("/meta/openapi.json?compatibility_date=2025-12-16")
    assert openapi.get_json()["info"]["version"] == "2025-12-16"
    assert openapi.get_json() == backend.table_for_date("2025-12-16").source_spec
    assert client.get("/v9/swagger.json").status_code == 404


def test_meta_compatibility_dates_lists_the_served_dates(client: Client) -> None:
    response = client.get("/meta/compatibility-dates", headers={"X-Compatibility-Date": "2025-12-16"})
    assert response.get_json() == {"compatibility_dates": ["2025-12-16"]}


def test_corporation_roles_from_the_data_pack_are_required(backend: FakeBackend, client: Client) -> None:
    url = "/latest/corporations/98000001/wallets/"  # x-required-roles: Accountant, Junior_Accountant
    scope = "esi-wallet.read_corporation_wallets.v1"
    assert backend.tables[0].find("get_corporations_corporation_id_wallets").required_roles
    # No roles recorded for Ada: she is taken to hold them.
    assert client.get(url, headers=bearer(scopes=[scope])).status_code == 200
    roles = {"operation": "get_characters_character_id_roles", "params": {"character_id": ADA}}
    backend.add_data({**roles, "body": {"roles": ["Station_Manager"]}})
    refused = client.get(url, headers=bearer(scopes=[scope]))
    assert refused.status_code == 403 and error_of(refused) == "Character does not have required role(s)"
    backend.add_data({**roles, "body": {"roles": ["Junior_Accountant"]}})
    assert client.get(url, headers=bearer(scopes=[scope])).status_code == 200


def test_backend_repr_names_snapshots_and_data(backend: FakeBackend) -> None:
    assert repr(backend) == f"<FakeBackend latest, 2025-12-16: {len(backend.data)} records>"


def test_a_recorded_page_is_served_the_same_after_newer_data(backend: FakeBackend, client: Client) -> None:
    url = "/latest/markets/10000002/orders/?order_type=all&page=2"
    first = client.get(url)
    assert client.get(url).get_data() == first.get_data()
    backend.add_data(
        {"operation": "get_markets_region_id_orders", "params": {"region_id": 10000002}, "body": []}
    )
    assert client.get(url).status_code == 404  # the newer, empty list has one page
    assert client.get("/latest/markets/10000002/orders/?order_type=all").get_json() == []
