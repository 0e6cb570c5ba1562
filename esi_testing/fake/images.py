"""A fake of EVE's image server (``images.evetech.net``): portraits, logos and type icons.

:class:`FakeImageServer` is a WSGI app that answers the image server's paths with a PNG
generated from the id, the same for the same request in every run (an identicon: a
symmetric 8 x 8 pattern in a colour taken from the SHA-256 of the kind and the id)::

    /characters/{id}/portrait?size=64
    /corporations/{id}/logo   /alliances/{id}/logo
    /types/{id}/icon          /types/{id}/render

The sizes are the image server's: 32, 64, 128, 256, 512, 1024 (default 64). An unknown
path or id is a 404, another size a 400 naming the sizes. The fake ESI serves it at
``https://images.evetech.net`` in-process, under ``/images`` of its port as a server
(:attr:`esi_testing.FakeESI.images_url`), and points ``ESI_IMAGE_SERVER_URL`` at it.

The PNG is written with ``zlib`` and ``struct`` (8-bit RGB, one IDAT chunk): no imaging
library is needed for squares of colour.
"""

from __future__ import annotations

import functools
import hashlib
import re
import struct
import zlib
from collections.abc import Iterable
from typing import Any

from werkzeug.wrappers import Request, Response

__all__ = ["IMAGE_KINDS", "SIZES", "FakeImageServer", "identicon_png"]

#: The image server's categories and the variations each serves.
IMAGE_KINDS: dict[str, tuple[str, ...]] = {
    "characters": ("portrait",),
    "corporations": ("logo",),
    "alliances": ("logo",),
    "types": ("icon", "render"),
}
SIZES = (32, 64, 128, 256, 512, 1024)
DEFAULT_SIZE = 64
GRID = 8
_PATH = re.compile(r"\A/(?P<kind>[a-z]+)/(?P<id>[0-9]{1,19})/(?P<variation>[a-z]+)/?\Z")
_MAX_ID = 2**63 - 1


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


@functools.lru_cache(maxsize=256)
def identicon_png(kind: str, entity_id: int, size: int = DEFAULT_SIZE) -> bytes:
    """Return the PNG of an entity: ``size`` x ``size`` pixels, the same for the same arguments."""
    if size not in SIZES:
        raise ValueError(f"size must be one of {', '.join(map(str, SIZES))}, not {size}")
    digest = hashlib.sha256(f"{kind}:{entity_id}".encode()).digest()
    colour = bytes((64 + digest[0] % 160, 64 + digest[1] % 160, 64 + digest[2] % 160))
    background = b"\xf0\xf0\xf0"
    # Half the columns from the digest's bits, mirrored: a symmetric pattern.
    bits = int.from_bytes(digest[3:11], "big")
    half = GRID // 2
    cells = [[bool(bits >> (row * half + column) & 1) for column in range(half)] for row in range(GRID)]
    scale = size // GRID
    rows = []
    for row in cells:
        line = b"".join((colour if on else background) * scale for on in row + row[::-1])
        rows.extend([b"\x00" + line] * scale)  # filter type 0 for each scanline
    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)  # 8-bit RGB
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(b"".join(rows), 9))
        + _chunk(b"IEND", b"")
    )


class FakeImageServer:
    """The WSGI app of the fake image server (see the module docstring)."""

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        return self.answer(Request(environ))(environ, start_response)

    def answer(self, request: Request) -> Response:
        """Return the image a request asks for, or the error the image server would give."""
        if request.method not in ("GET", "HEAD"):
            return _error(405, f"{request.method} is not allowed: the image server answers GET and HEAD")
        match = _PATH.match(request.path)
        if not match or match["variation"] not in IMAGE_KINDS.get(match["kind"], ()):
            return _error(404, f"no such image: {request.path}")
        entity_id = int(match["id"])
        if not 0 < entity_id <= _MAX_ID:
            return _error(404, f"no such image: {request.path}")
        raw = request.args.get("size", str(DEFAULT_SIZE))
        if not raw.isdigit() or int(raw) not in SIZES:
            return _error(400, f"size must be one of {', '.join(map(str, SIZES))}, not {raw[:20]!r}")
        body = identicon_png(match["kind"], entity_id, int(raw))
        response = Response(body, content_type="image/png")
        response.headers["Cache-Control"] = "public, max-age=86400"
        response.set_etag(hashlib.sha256(body).hexdigest()[:32])
        return response.make_conditional(request)


def _error(status: int, message: str) -> Response:
    return Response(message + "\n", status=status, content_type="text/plain; charset=utf-8")
