"""esi.http.jsonbody: orjson decodes ESI's bodies when installed; without it, requests' json() as before."""

from __future__ import annotations

import decimal
import json
from typing import Any

import pytest
import requests

from esi.http import jsonbody
from esi.http.jsonbody import fast_json
from tests.conftest import require_module

#: What the tests that decode with orjson need (the ``fast`` extra; ``dev`` has it).
ORJSON = ("orjson", "the optional decoder of the fast extra")

ORDERS = [
    {"order_id": i, "price": 5.5 + i, "issued": "2020-05-01T11:12:13Z", "name": "Tritanium é"}
    for i in range(50)
]


def _response(body: bytes, content_type: str = "application/json; charset=UTF-8") -> requests.Response:
    response = requests.Response()
    response.status_code = 200
    response._content = body
    response.headers["Content-Type"] = content_type
    response.encoding = requests.utils.get_encoding_from_headers(response.headers)
    return response


def test_orjson_decodes_a_utf8_body_to_what_requests_decodes() -> None:
    require_module(*ORJSON)
    assert jsonbody.HAVE_ORJSON
    body = json.dumps(ORDERS, ensure_ascii=False).encode()
    response = fast_json(_response(body))
    assert response.json() == ORDERS == _response(body).json()
    assert fast_json(response) is response and response.json() == ORDERS  # wrapped once


def test_a_body_orjson_refuses_raises_requests_error_as_before() -> None:
    response = fast_json(_response(b"<html>a proxy</html>"))
    with pytest.raises(requests.exceptions.JSONDecodeError):
        response.json()


def test_a_byte_order_mark_and_other_charsets_go_to_requests() -> None:
    body = json.dumps(ORDERS, ensure_ascii=False)
    assert fast_json(_response(b"\xef\xbb\xbf" + body.encode())).json() == ORDERS
    latin = fast_json(_response(body.encode("latin-1"), "application/json; charset=ISO-8859-1"))
    assert latin.json() == ORDERS


def test_keyword_arguments_go_to_requests() -> None:
    response = fast_json(_response(b'{"price": 5.5}'))
    assert response.json(parse_float=decimal.Decimal) == {"price": decimal.Decimal("5.5")}


def test_without_orjson_requests_json_is_left_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(jsonbody, "_orjson_loads", None)
    response = _response(json.dumps(ORDERS).encode())
    json_method = response.json
    assert fast_json(response).json == json_method
    assert response.json() == ORDERS


@pytest.mark.parametrize("orjson", [True, False], ids=["orjson", "stdlib"])
def test_a_client_call_decodes_with_orjson_when_installed_and_returns_the_same_data(
    orjson: bool, monkeypatch: pytest.MonkeyPatch, fake_esi: Any
) -> None:
    from esi.clients import esi_client_factory

    if orjson:
        require_module(*ORJSON)
    decoded = []

    def counting(body: bytes) -> Any:
        decoded.append(len(body))
        return real(body)

    real = jsonbody._orjson_loads
    monkeypatch.setattr(jsonbody, "_orjson_loads", counting if orjson else None)
    data = esi_client_factory().Universe.get_universe_types_type_id(type_id=587).result()
    assert data["type_id"] == 587 and isinstance(data["name"], str)
    assert len(decoded) == (1 if orjson else 0)
