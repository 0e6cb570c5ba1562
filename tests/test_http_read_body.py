"""esi.http.deadline.read_body: the whole body, in as few reads as the bytes that have arrived allow."""

from __future__ import annotations

import gzip
import io
from unittest import mock

import pytest
import requests
from urllib3.response import HTTPResponse

from esi.http.deadline import CHUNK_SIZE, Deadline, read_body


def response_of(body: bytes, **headers: str) -> requests.Response:
    response = requests.Response()
    response.status_code = 200
    response.raw = HTTPResponse(
        body=io.BytesIO(body),
        headers={"Content-Length": str(len(body)), **headers},
        preload_content=False,
        decode_content=False,
    )
    response.request = requests.Request("GET", "https://esi.test/latest/markets/1/orders/").prepare()
    return response


def reads_of(response: requests.Response) -> int:
    calls = 0
    read1 = response.raw.read1

    def counting(*args, **kwargs):
        nonlocal calls
        calls += 1
        return read1(*args, **kwargs)

    with mock.patch.object(response.raw, "read1", counting):
        read_body(response, Deadline(30, "GET", response.request.url), 10)
    return calls


def test_a_page_of_esi_size_that_has_arrived_is_one_read():
    body = b"[" + b",".join(b'{"order_id": %d, "price": 5.5}' % i for i in range(10_000)) + b"]"
    assert 256 * 1024 < len(body) < CHUNK_SIZE
    response = response_of(body)
    assert reads_of(response) == 2  # the body, then the end of it
    assert response.content == body


@pytest.mark.parametrize("size", [0, 1, CHUNK_SIZE - 1, CHUNK_SIZE, CHUNK_SIZE + 1, 3 * CHUNK_SIZE + 7])
def test_every_byte_is_read_whatever_the_size(size):
    body = bytes(i % 251 for i in range(size))
    response = response_of(body)
    assert reads_of(response) == -(-size // CHUNK_SIZE) + 1
    assert response.content == body


def test_a_gzip_body_is_decoded():
    body = b'{"players": 12345}' * 50_000
    response = response_of(gzip.compress(body), **{"Content-Encoding": "gzip"})
    read_body(response, Deadline(30, "GET", response.request.url), 10)
    assert response.content == body
