"""The fake image server: deterministic PNGs where images.evetech.net has them, in both modes."""

from __future__ import annotations

import struct
import zlib

import pytest
import requests
from werkzeug.test import Client

from esi_testing import FakeESI
from esi_testing.fake.images import SIZES, FakeImageServer, identicon_png


def decode(png: bytes) -> tuple[int, int, bytes]:
    """Return width, height and the raw scanlines of an 8-bit RGB PNG, checking every chunk's CRC."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    at, chunks = 8, {}
    while at < len(png):
        (length,) = struct.unpack(">I", png[at : at + 4])
        kind, data = png[at + 4 : at + 8], png[at + 8 : at + 8 + length]
        (crc,) = struct.unpack(">I", png[at + 8 + length : at + 12 + length])
        assert crc == zlib.crc32(kind + data), kind
        chunks[kind] = data
        at += 12 + length
    width, height, depth, colour, *_ = struct.unpack(">IIBBBBB", chunks[b"IHDR"])
    assert (depth, colour) == (8, 2) and b"IEND" in chunks
    return width, height, zlib.decompress(chunks[b"IDAT"])


@pytest.mark.parametrize("size", SIZES)
def test_a_portrait_is_a_valid_png_of_the_size_asked(size: int) -> None:
    width, height, rows = decode(identicon_png("characters", 90000001, size))
    assert (width, height) == (size, size)
    assert len(rows) == size * (1 + 3 * size)


def test_the_same_request_gets_the_same_image_and_ids_differ() -> None:
    one = identicon_png("characters", 90000001, 64)
    identicon_png.cache_clear()
    assert identicon_png("characters", 90000001, 64) == one
    assert identicon_png("characters", 90000002, 64) != one
    assert identicon_png("types", 90000001, 64) != one


def test_the_image_servers_paths_answer() -> None:
    client = Client(FakeImageServer())
    for path in (
        "/characters/90000001/portrait",
        "/corporations/98000001/logo?size=128",
        "/alliances/99000001/logo?size=32",
        "/types/587/icon?size=64",
        "/types/587/render?size=512",
    ):
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.headers["Content-Type"] == "image/png"
        assert decode(response.data)[0] == int(path.partition("size=")[2] or 64)


@pytest.mark.parametrize(
    ("path", "status", "says"),
    [
        ("/characters/90000001/logo", 404, "no such image"),
        ("/ships/587/icon", 404, "no such image"),
        ("/characters/abc/portrait", 404, "no such image"),
        ("/characters/0/portrait", 404, "no such image"),
        ("/characters/99999999999999999999/portrait", 404, "no such image"),
        ("/characters/1/portrait?size=100", 400, "size must be one of 32, 64"),
        ("/characters/1/portrait?size=-1", 400, "size must be one of"),
    ],
)
def test_what_the_image_server_has_not_is_an_error_saying_why(path: str, status: int, says: str) -> None:
    response = Client(FakeImageServer()).get(path)
    assert response.status_code == status
    assert says in response.text


def test_head_etag_and_methods() -> None:
    client = Client(FakeImageServer())
    first = client.get("/types/34/icon")
    assert client.head("/types/34/icon").data == b""
    again = client.get("/types/34/icon", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    assert client.post("/types/34/icon").status_code == 405


def test_the_fake_serves_it_in_process_at_the_real_host() -> None:
    with FakeESI(mode="inprocess") as fake:
        assert fake.images_url == "https://images.evetech.net"
        assert fake.settings()["ESI_IMAGE_SERVER_URL"] == fake.images_url
        response = requests.get(f"{fake.images_url}/characters/90000001/portrait?size=64", timeout=5)
    assert response.status_code == 200 and response.content == identicon_png("characters", 90000001, 64)


def test_the_fake_serves_it_under_images_on_its_port() -> None:
    with FakeESI(mode="server") as fake:
        assert fake.images_url == fake.url + "/images"
        assert fake.settings()["ESI_IMAGE_SERVER_URL"] == fake.images_url
        response = requests.get(f"{fake.images_url}/types/587/icon?size=32", timeout=5)
        status = requests.get(f"{fake.url}/latest/status/", timeout=5)  # ESI is still there
    assert response.status_code == 200 and decode(response.content)[:2] == (32, 32)
    assert status.status_code == 200
