"""The OpenAPI face validates a body's bytes with pydantic (``validate_json``), skipping the engine's conversion.

Compared on the same bytes with the face's former path (``EsiOperation.json_bodies
= False``: the engine decodes and converts, pydantic validates the result): the
models are equal field by field, date-times by value; a body the models refuse
raises what it raised before; the response cache, ETags and other charsets work;
the bravado-era face is untouched.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from dateutil.tz import tzutc
from pydantic import BaseModel

from bench.per_call import orders_page
from esi.clients import EsiClientProvider
from esi.errors import ResponseContentError, ResponseValidationError
from esi.exceptions import HTTPNotModified
from esi.openapi_clients import ESIClientProvider
from esi.openapi_clients.operation import EsiOperation
from esi.operations import EsiFuture
from esi.unmarshal import JSONBody
from tests.client_fixtures import ORDER, loopback  # noqa: F401 - fixtures
from tests.test_openapi_face_pages import builds  # noqa: F401 - a fixture: what the engine hands the face

DATE = "2025-12-16"
ORDERS_PATH = "/markets/10000002/orders"
#: One order with every property the schema requires.
GOOD = {**ORDER, "order_id": 6_800_000_001}

pytestmark = pytest.mark.esi_snapshot(DATE)


def _market_page(count: int = 1000, seed: int = 7) -> list[dict[str, Any]]:
    """Return ``count`` orders shaped like ESI's (bench/per_call.py's), every tenth price an integer."""
    page = orders_page(count, seed)
    for order in page[::10]:
        order["price"] = 100
    return page


def _client() -> Any:
    return ESIClientProvider(DATE, ua_appname="FaceJSON", ua_version="1.0").client


def _orders(json_bodies: bool) -> EsiOperation:
    operation = _client().Market.GetMarketsRegionIdOrders(region_id=10000002, order_type="all")
    operation.json_bodies = json_bodies
    return operation


def assert_same(new: Any, old: Any, where: str = "$") -> None:
    """Assert that ``new`` equals ``old`` field by field, with the same types; date-times by value."""
    if isinstance(old, BaseModel):
        assert type(new) is type(old), where
        assert (new.model_extra or {}).keys() == (old.model_extra or {}).keys(), where
        for name in [*type(old).model_fields, *(old.model_extra or {})]:
            assert_same(getattr(new, name), getattr(old, name), f"{where}.{name}")
    elif isinstance(old, list):
        assert isinstance(new, list) and len(new) == len(old), where
        for i, (a, b) in enumerate(zip(new, old, strict=True)):
            assert_same(a, b, f"{where}[{i}]")
    elif isinstance(old, dict):
        assert isinstance(new, dict) and new.keys() == old.keys(), where
        for key in old:
            assert_same(new[key], old[key], f"{where}.{key}")
    else:
        assert type(new) is type(old), f"{where}: {type(new).__name__} is not {type(old).__name__}"
        assert new == old, where
        if isinstance(old, dt.datetime):
            assert new.utcoffset() == old.utcoffset() is not None, where


# --- the same models as before ---------------------------------------------------------


def test_a_market_page_gives_the_models_of_the_converted_path_field_by_field(loopback, builds) -> None:  # noqa: F811
    loopback.route(ORDERS_PATH, _market_page())
    new = _orders(True).result(use_etag=False)
    old = _orders(False).result(use_etag=False)
    assert [type(raw) for raw in builds] == [JSONBody, list]
    assert len(new) == 1000
    assert_same(new, old)
    assert isinstance(new[0].price, float) and any(o.price == 100 for o in new)


@pytest.mark.parametrize(
    ("path", "response"),
    [
        ("/markets/prices", "markets-prices-TRIMMED-everef.json"),
        ("/universe/types/189", "universe-types-189.en-us-everef.json"),
        ("/universe/types/189", "universe-types-189.fr-everef.json"),
    ],
)
def test_real_esi_bodies_give_the_models_of_the_converted_path(
    loopback,  # noqa: F811
    builds,  # noqa: F811
    shared_specs,
    path: str,
    response: str,
) -> None:
    loopback.route(path, (shared_specs / "responses" / response).read_bytes())
    client = _client()
    operation = client.Market.GetMarketsPrices if "prices" in path else client.Universe.GetUniverseTypesTypeId
    found = []
    for json_bodies in (True, False):
        call = operation() if "prices" in path else operation(type_id=189)
        call.json_bodies = json_bodies
        found.append(call.result(use_etag=False))
    assert [type(raw) for raw in builds][0] is JSONBody and type(builds[1]) is not JSONBody
    assert_same(*found)


def test_date_times_are_pydantics_utc_as_in_10x_equal_by_value_to_the_engines(loopback) -> None:  # noqa: F811
    loopback.route(ORDERS_PATH, [GOOD])
    new = _orders(True).result(use_etag=False)[0].issued
    old = _orders(False).result(use_etag=False)[0].issued
    assert new == old == dt.datetime(2020, 5, 1, 10, 11, 12, tzinfo=dt.timezone.utc)
    assert type(new.tzinfo).__module__.startswith("pydantic")  # pydantic's TzInfo, as 10.x returns
    assert old.tzinfo == tzutc()  # the engine's, which the face returned before
    assert new.utcoffset() == dt.timedelta(0)


def test_results_of_every_page_give_the_models_of_the_converted_path(loopback, builds) -> None:  # noqa: F811
    loopback.route(ORDERS_PATH, pages=[_market_page(50, seed=page) for page in range(1, 5)])
    new = _orders(True).results(use_etag=False)
    assert [type(raw) for raw in builds] == [JSONBody] * 4
    old = _orders(False).results(use_etag=False)
    assert len(new) == 200
    assert_same(new, old)


def test_a_schema_default_fills_a_property_left_out_as_the_engine_does(loopback) -> None:  # noqa: F811
    loopback.route("/characters/90000001/mail/labels", {"labels": [{"label_id": 1, "name": "x"}]})
    client = _client()
    found = []
    for json_bodies in (True, False):
        call = client.Mail.GetCharactersCharacterIdMailLabels(character_id=90000001)
        call.json_bodies = json_bodies
        call.required_scopes = lambda: []  # type: ignore[method-assign] - no token in this test
        found.append(call.result(use_etag=False))
    assert found[0].labels[0].color == "#ffffff"  # the spec's default
    assert_same(*found)


# --- what the models refuse raises what it raised before -------------------------------------


def _error_of(json_bodies: bool, paged: bool = False) -> BaseException:
    operation = _orders(json_bodies)
    with pytest.raises(ResponseValidationError) as caught:
        operation.results(use_etag=False) if paged else operation.result(use_etag=False)
    return caught.value


BAD_BODIES = {
    "not JSON": (b"<html>busy</html>", ResponseContentError),
    "JSON cut short": (b'[{"duration": 90, "is_buy_', ResponseContentError),
    "empty": (b"", ResponseContentError),
    "a string for a number": (json.dumps([{**GOOD, "price": "abc"}]).encode(), ResponseValidationError),
    "a numeric string for an integer": (
        json.dumps([{**GOOD, "type_id": "34"}]).encode(),
        ResponseValidationError,
    ),
    "a required property missing": (
        json.dumps([{k: v for k, v in GOOD.items() if k != "price"}]).encode(),
        ResponseValidationError,
    ),
    "a date-time without its offset": (
        json.dumps([{**GOOD, "issued": "2020-05-01T10:11:12"}]).encode(),
        ResponseValidationError,
    ),
    "an object for a list": (json.dumps({"orders": []}).encode(), ResponseValidationError),
}


@pytest.mark.parametrize("name", sorted(BAD_BODIES))
def test_a_body_the_models_refuse_raises_the_error_it_raised_before(loopback, name: str) -> None:  # noqa: F811
    body, kind = BAD_BODIES[name]
    loopback.route(ORDERS_PATH, body)
    new, old = _error_of(True), _error_of(False)
    assert type(new) is type(old) and isinstance(new, kind)
    assert str(new) == str(old)
    operation_id = _orders(True).operation.operation_id
    assert operation_id in str(new)


def test_a_bad_page_among_good_ones_raises_what_it_raised_before(loopback) -> None:  # noqa: F811
    bad = [{**GOOD, "price": "abc"}]
    loopback.route(ORDERS_PATH, pages=[_market_page(5), _market_page(5, seed=2), bad, _market_page(5)])
    new, old = _error_of(True, paged=True), _error_of(False, paged=True)
    assert type(new) is type(old) is ResponseValidationError
    assert str(new) == str(old)


def test_html_served_as_html_is_refused_before_any_model_is_built(loopback, builds) -> None:  # noqa: F811
    loopback.route(ORDERS_PATH, b"<html>busy</html>", headers={"Content-Type": "text/html"})
    new = _error_of(True)
    assert isinstance(new, ResponseContentError) and new.content_type == "text/html"
    assert builds == []


# --- other charsets, the cache, ETags -------------------------------------------------------


def test_a_body_in_another_charset_takes_the_converted_path(loopback, builds, shared_specs) -> None:  # noqa: F811
    data = json.loads((shared_specs / "responses" / "universe-types-189.en-us-everef.json").read_bytes())
    body = json.dumps({**data, "name": "Munition à phase"}, ensure_ascii=False).encode("latin-1")
    path = "/universe/types/189"
    loopback.route(path, body, headers={"Content-Type": "application/json; charset=ISO-8859-1"})
    found = []
    for json_bodies in (True, False):
        call = _client().Universe.GetUniverseTypesTypeId(type_id=189)
        call.json_bodies = json_bodies
        found.append(call.result(use_etag=False))
    assert [type(raw) for raw in builds] == [dict, dict]  # decoded by requests in its charset, converted
    assert found[0].name == "Munition à phase"
    assert_same(*found)


def test_the_fields_set_are_the_properties_esi_sent_as_in_10x(loopback) -> None:  # noqa: F811
    sent = {"labels": [{"label_id": 1, "name": "x"}]}
    loopback.route("/characters/90000001/mail/labels", sent)
    call = _client().Mail.GetCharactersCharacterIdMailLabels(character_id=90000001)
    call.required_scopes = lambda: []  # type: ignore[method-assign] - no token in this test
    labels = call.result(use_etag=False)
    assert labels.model_dump(exclude_unset=True) == sent  # 10.x validated the decoded body as it came
    assert labels.total_unread_count is None and labels.labels[0].color == "#ffffff"


def test_a_byte_order_mark_is_decoded_as_before(loopback, builds) -> None:  # noqa: F811
    # pydantic's parser refuses the mark; the engine's decoding (requests') takes it, as before.
    loopback.route(ORDERS_PATH, b"\xef\xbb\xbf" + json.dumps([GOOD]).encode())
    new = _orders(True).result(use_etag=False)
    assert type(builds[0]) is JSONBody and new[0].order_id == GOOD["order_id"]
    assert_same(new, _orders(False).result(use_etag=False))


def test_a_body_from_the_response_cache_gives_the_same_models(loopback, builds, settings) -> None:  # noqa: F811
    settings.ESI_CACHE_RESPONSE = True
    loopback.route(ORDERS_PATH, _market_page(20), headers={"Cache-Control": "max-age=300", "ETag": '"v1"'})
    first, response = _orders(True).result(use_etag=False, return_response=True)
    again, cached = _orders(True).result(use_etag=False, return_response=True)
    assert len(loopback.requests) == 1  # the second answer came from the cache
    assert getattr(cached._delegate, "from_cache", False) and not getattr(
        response._delegate, "from_cache", False
    )
    assert [type(raw) for raw in builds] == [JSONBody, JSONBody]
    assert_same(again, first)
    assert_same(_orders(False).result(use_etag=False), first)
    assert len(_orders(True).result()) == 20  # use_etag: the ETag is remembered
    with pytest.raises(HTTPNotModified):  # and the cached answer still carries it
        _orders(True).result()


def test_an_unchanged_answer_builds_no_model_and_raises_not_modified(loopback, builds) -> None:  # noqa: F811
    loopback.route(ORDERS_PATH, _market_page(20), headers={"ETag": '"v1"'})
    assert len(_orders(True).result()) == 20
    builds.clear()
    with pytest.raises(HTTPNotModified):
        _orders(True).result()
    assert builds == []


# --- the engine's hook; the bravado-era face untouched ------------------------------------


def test_the_engine_hands_the_bytes_only_when_asked(loopback) -> None:  # noqa: F811
    body = json.dumps(_market_page(5)).encode()
    loopback.route("/latest/markets/10000002/orders/", body)
    operation = EsiClientProvider().client.Market.get_markets_region_id_orders
    assert EsiFuture.json_bodies is False
    converted = operation(region_id=10000002, order_type="all").result()
    future = operation(region_id=10000002, order_type="all")
    future.json_bodies = True
    handed = future.result()
    assert isinstance(handed, JSONBody) and handed.content == body
    assert handed.convert() == converted
    assert isinstance(converted, list) and isinstance(converted[0]["issued"], dt.datetime)
    assert converted[0]["issued"].tzinfo == tzutc()  # the bravado-era face keeps the engine's datetimes


def test_the_engines_results_still_concatenate_converted_pages_under_json_bodies(loopback) -> None:  # noqa: F811
    loopback.route("/latest/markets/10000002/orders/", pages=[_market_page(3, seed=p) for p in range(1, 4)])
    operation = EsiClientProvider().client.Market.get_markets_region_id_orders
    converted = operation(region_id=10000002, order_type="all").results()
    future = operation(region_id=10000002, order_type="all")
    future.json_bodies = True
    assert future.results() == converted and len(converted) == 9


def test_the_fake_esis_answers_take_the_bytes_path_in_either_mode(fake_esi: Any, builds) -> None:  # noqa: F811
    # In-process (responses) or as a server (ESI_FAKE_MODE=server): the same models either way.
    client = _client()
    found = []
    for json_bodies in (True, False):
        call = client.Character.GetCharactersCharacterId(character_id=90000001)
        call.json_bodies = json_bodies
        found.append(call.result(use_etag=False))
    assert [type(raw) for raw in builds] == [JSONBody, dict]
    assert found[0].name == "Ada Quickfoot"
    assert_same(*found)
