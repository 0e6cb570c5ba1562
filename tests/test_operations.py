"""result(), results(), results_localized(), tokens and errors, against a loopback ESI."""

from __future__ import annotations

import datetime as dt
import logging

import pytest

from esi.clients import esi_client_factory
from esi.errors import HTTPError, HTTPNotFound
from tests.client_fixtures import ORDERS_PATH, client, loopback, orders  # noqa: F401 - fixtures
from tests.client_fixtures import orders_op as _orders_op

TYPE_PATH = "/latest/universe/types/587/"
ASSETS_PATH = "/latest/characters/90000001/assets/"


def test_result_returns_first_page_with_aware_datetimes(client, loopback):  # noqa: F811
    loopback.route(ORDERS_PATH, pages=[orders(1), orders(2)])
    data = _orders_op(client).result()
    assert [o["order_id"] for o in data] == [1000, 1001, 1002]
    issued = data[0]["issued"]
    assert issued == dt.datetime(2020, 5, 1, 10, 11, 12, tzinfo=dt.timezone.utc)
    assert issued.utcoffset() == dt.timedelta(0)
    assert [r.query.get("page", ["1"]) for r in loopback.requests] == [["1"]]


def test_result_fetches_the_page_asked_for(client, loopback):  # noqa: F811
    loopback.route(ORDERS_PATH, pages=[orders(1), orders(2), orders(3)])
    assert _orders_op(client).result(page=3)[0]["order_id"] == 3000
    op = client.Market.get_markets_region_id_orders(region_id=10000002, order_type="all", page=2)
    assert op.result()[0]["order_id"] == 2000


def test_results_concatenates_every_page_in_order(client, loopback):  # noqa: F811
    loopback.route(ORDERS_PATH, pages=[orders(p) for p in range(1, 8)])
    data = _orders_op(client).results()
    assert [o["order_id"] for o in data] == [p * 1000 + i for p in range(1, 8) for i in range(3)]
    assert sorted(int(r.query["page"][0]) for r in loopback.requests) == list(range(1, 8))


def test_results_fetches_pages_concurrently_within_the_bound(client, loopback, settings):  # noqa: F811
    settings.ESI_PAGES_MAX_WORKERS = 3
    loopback.latency = 0.05
    loopback.route(ORDERS_PATH, pages=[orders(p) for p in range(1, 11)])
    data = _orders_op(client).results()
    assert len(data) == 30
    # Page 1 alone, then pages 2..10 by three threads: concurrent, never more than three.
    assert 2 <= loopback.max_in_flight <= 3


def test_results_of_an_operation_without_pages(client, loopback):  # noqa: F811
    loopback.route(
        TYPE_PATH, {"type_id": 587, "name": "Rifter", "published": True, "description": "", "group_id": 25}
    )
    assert client.Universe.get_universe_types_type_id(type_id=587).results()["name"] == "Rifter"
    assert "page" not in loopback.requests[0].query


def test_also_return_response_gives_data_and_the_last_pages_response(client, loopback):  # noqa: F811
    loopback.route(ORDERS_PATH, pages=[orders(1), orders(2)], headers={"X-Custom": "yes"})
    op = _orders_op(client)
    op.request_config.also_return_response = True
    data, response = op.result()
    assert len(data) == 3 and response.status_code == 200 and response.headers["X-Pages"] == "2"
    data, response = op.results()
    assert len(data) == 6 and response.headers["X-Custom"] == "yes"
    last = max(loopback.requests, key=lambda r: r.ended)
    assert last.query["page"] == ["2"]


def test_results_localized_fetches_every_accepted_language_concurrently(client, loopback):  # noqa: F811
    languages = ["de", "en-us", "fr", "ja", "ru", "zh", "ko"]
    loopback.latency = 0.05
    loopback.route(
        TYPE_PATH,
        by_language={
            lang: {
                "type_id": 587,
                "name": f"Rifter-{lang}",
                "published": True,
                "description": "",
                "group_id": 25,
            }
            for lang in languages
        },
    )
    found = client.Universe.get_universe_types_type_id(type_id=587).results_localized()
    assert list(found) == languages
    assert {lang: found[lang]["name"] for lang in languages} == {lang: f"Rifter-{lang}" for lang in languages}
    assert loopback.max_in_flight > 1


def test_results_localized_given_languages_and_settings(client, loopback, settings):  # noqa: F811
    loopback.route(
        TYPE_PATH,
        by_language={
            lang: {"type_id": 587, "name": lang, "published": True, "description": "", "group_id": 25}
            for lang in ("de", "fr", "ko")
        },
    )
    op = client.Universe.get_universe_types_type_id(type_id=587)
    assert {k: v["name"] for k, v in op.results_localized(["fr", "de", "fr"]).items()} == {
        "fr": "fr",
        "de": "de",
    }
    settings.ESI_LANGUAGES = ["ko"]
    assert list(op.results_localized()) == ["ko"]


def test_results_localized_refuses_an_unknown_language(client, loopback):  # noqa: F811
    op = client.Universe.get_universe_types_type_id(type_id=587)
    with pytest.raises(ValueError, match="'xx'"):
        op.results_localized(["de", "xx"])
    assert loopback.requests == []


def test_result_with_language(client, loopback):  # noqa: F811
    loopback.route(
        TYPE_PATH,
        by_language={
            "ja": {"type_id": 587, "name": "ja", "published": True, "description": "", "group_id": 25}
        },
    )
    assert client.Universe.get_universe_types_type_id(type_id=587).result(language="ja")["name"] == "ja"


def test_datasource_default_and_given(loopback, settings):  # noqa: F811
    loopback.route(
        TYPE_PATH, {"type_id": 587, "name": "R", "published": True, "description": "", "group_id": 25}
    )
    esi_client_factory().Universe.get_universe_types_type_id(type_id=587).result()
    esi_client_factory(datasource="singularity").Universe.get_universe_types_type_id(type_id=587).result()
    assert [r.query["datasource"] for r in loopback.requests] == [["tranquility"], ["singularity"]]


class FakeToken:
    """Duck-types esi.models.Token: only valid_access_token() is used."""

    def __init__(self, access_token: str) -> None:
        self.access_token = access_token
        self.calls = 0

    def valid_access_token(self) -> str:
        self.calls += 1
        return self.access_token


def test_operation_token_goes_in_the_header_only(client, loopback, caplog):  # noqa: F811
    secret = "eyJ-operation-token-secret"
    loopback.route(ASSETS_PATH, pages=[[]])
    caplog.set_level(logging.DEBUG)
    client.Assets.get_characters_character_id_assets(character_id=90000001, token=secret).results()
    (request,) = loopback.requests
    assert request.headers["Authorization"] == f"Bearer {secret}"
    assert "token" not in request.query
    assert secret not in caplog.text


def test_operation_accepts_a_token_object(client, loopback):  # noqa: F811
    token = FakeToken("object-token")
    loopback.route(ASSETS_PATH, pages=[[]])
    client.Assets.get_characters_character_id_assets(character_id=90000001, token=token).result()
    assert loopback.requests[0].headers["Authorization"] == "Bearer object-token"
    assert token.calls == 1


def test_factory_token_calls_valid_access_token_for_each_request(loopback, caplog):  # noqa: F811
    token = FakeToken("factory-token-secret")
    caplog.set_level(logging.DEBUG)
    client = esi_client_factory(token=token)  # noqa: F811 - not the fixture
    loopback.route(ASSETS_PATH, pages=[[], []])
    client.Assets.get_characters_character_id_assets(character_id=90000001).results()
    assert [r.headers["Authorization"] for r in loopback.requests] == ["Bearer factory-token-secret"] * 2
    assert all("token" not in r.query for r in loopback.requests)
    assert token.calls >= 2
    assert "factory-token-secret" not in caplog.text
    assert "factory-token-secret" not in repr(client._context.http_client.authenticator)


def test_a_token_of_the_wrong_type_is_refused(client, loopback):  # noqa: F811
    with pytest.raises(TypeError, match="int"):
        client.Assets.get_characters_character_id_assets(character_id=90000001, token=42)


def test_http_errors_carry_status_body_and_headers(client, loopback):  # noqa: F811
    loopback.route(
        TYPE_PATH, {"error": "Type not found"}, status=404, headers={"X-ESI-Error-Limit-Remain": "99"}
    )
    with pytest.raises(HTTPNotFound) as info:
        client.Universe.get_universe_types_type_id(type_id=587).result()
    error = info.value
    assert isinstance(error, HTTPError)
    assert error.status_code == 404
    assert "Type not found" in error.response.text
    assert error.response.headers["X-ESI-Error-Limit-Remain"] == "99"


def test_results_raises_when_a_page_fails(client, loopback):  # noqa: F811
    loopback.route(ORDERS_PATH, pages=[orders(1), orders(2)], headers={"X-Pages": "3"})
    with pytest.raises(HTTPNotFound):
        _orders_op(client).results()


def test_bad_parameters_are_refused_before_sending(client, loopback):  # noqa: F811
    from bravado_core.exception import SwaggerMappingError

    with pytest.raises(SwaggerMappingError, match="nope"):
        client.Universe.get_universe_types_type_id(type_id=587, nope=1)
    assert loopback.requests == []


def test_user_agent_names_the_app_then_django_esi(loopback):  # noqa: F811
    loopback.route(
        TYPE_PATH, {"type_id": 587, "name": "R", "published": True, "description": "", "group_id": 25}
    )
    esi_client_factory(app_info_text="my-app/1.2").Universe.get_universe_types_type_id(type_id=587).result()
    agent = loopback.requests[0].headers["User-Agent"]
    assert agent.startswith("my-app/1.2 django-esi/")
    assert "tests@example.com" in agent


def test_results_localized_in_the_openapi_era_uses_accept_language(loopback):  # noqa: F811
    languages = ["en", "de", "fr", "ja", "ru", "zh", "ko", "es"]
    loopback.route(
        "/universe/types/587",
        by_language={
            lang: {"type_id": 587, "name": lang, "published": True, "description": "", "group_id": 25}
            for lang in languages
        },
    )
    client = esi_client_factory(compatibility_date="2025-12-16")  # noqa: F811 - not the fixture
    found = client.Universe.get_universe_types_type_id(type_id=587).results_localized()
    assert {k: v["name"] for k, v in found.items()} == {lang: lang for lang in languages}
    assert sorted(r.headers["Accept-Language"] for r in loopback.requests) == sorted(languages)
    assert all("language" not in r.query for r in loopback.requests)


def test_responses_are_checked_by_the_compiled_converter(client, loopback):  # noqa: F811
    from esi.errors import ResponseValidationError

    bad = orders(1)
    bad[1]["price"] = "abc"
    loopback.route(ORDERS_PATH, pages=[bad])
    with pytest.raises(ResponseValidationError, match=r"\$\[1\]\.price"):
        _orders_op(client).result()
