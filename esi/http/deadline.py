"""The total deadline of a request, kept while its body is read.

Connect and read timeouts bound each wait for the network, not a request: a
server that sends one byte every few seconds never trips a read timeout. So
every request also gets a :class:`Deadline` (``ESI_REQUESTS_TOTAL_TIMEOUT``
seconds, on a monotonic clock) that covers all its attempts, the waits between
them and the reading of the body:

- each attempt's connect and read timeouts are clipped to the time left;
- the body is read with urllib3's ``read1()`` (at most one ``recv`` each), the
  socket's timeout set to the time left before each read, so the last byte
  arrives before the deadline or the request fails with
  :class:`DeadlineExceeded`;
- no retry or rate-limit wait is started that would end after the deadline.

What the deadline cannot shorten is a server trickling its status line or
headers: each byte of those waits at most the read timeout (and http.client
caps their length).
"""

from __future__ import annotations

import time
from typing import Any

import requests
from urllib3.exceptions import DecodeError, ProtocolError, ReadTimeoutError
from urllib3.exceptions import SSLError as Urllib3SSLError
from urllib3.response import HTTPResponse

from .identity import redact_url

__all__ = ["CHUNK_SIZE", "Deadline", "DeadlineExceeded", "read_body"]

#: The most bytes one read of a body asks for (no more than the body has left is allocated).
#: One ``recv`` takes all that has arrived: a 1000-order page (266 KiB) is usually one or two
#: reads, not five. Each read gives the GIL away and waits to get it back, which the threads
#: of a listing's other pages paid for while the caller converted pages (about 25 fewer
#: futex waits per page at 40 pages).
CHUNK_SIZE = 1024 * 1024


class DeadlineExceeded(requests.exceptions.ReadTimeout):
    """A request did not complete within ``ESI_REQUESTS_TOTAL_TIMEOUT``; it is not retried.

    A :class:`requests.exceptions.ReadTimeout`, so bravado raises it as its
    ``BravadoTimeoutError``, as for any other timeout.
    """


class Deadline:
    """The moment by which a request must be complete."""

    def __init__(self, seconds: float | None, method: str, url: str) -> None:
        """Start the deadline: ``seconds`` from now (``None``: none)."""
        self.seconds = seconds
        self.at = None if seconds is None else time.monotonic() + seconds
        self.method = method
        self.url = url

    def remaining(self) -> float:
        """Return the seconds left (``inf`` without a deadline)."""
        return float("inf") if self.at is None else self.at - time.monotonic()

    def allows(self, seconds: float) -> bool:
        """Return True when waiting ``seconds`` still ends before the deadline."""
        return seconds < self.remaining()

    def check(self) -> None:
        """Raise :class:`DeadlineExceeded` once the deadline has passed."""
        if self.remaining() <= 0:
            raise self.exceeded()

    def exceeded(self, request: Any = None) -> DeadlineExceeded:
        """Return the error of a missed deadline."""
        return DeadlineExceeded(
            f"ESI {self.method} {redact_url(self.url)}: no complete answer within "
            f"ESI_REQUESTS_TOTAL_TIMEOUT={self.seconds:g} s (retries, waits and reading the body included)",
            request=request,
        )

    def clip(self, timeout: Any) -> Any:
        """Return a requests ``timeout`` (a number or a ``(connect, read)`` tuple) cut to the time left."""
        if self.at is None:
            return timeout
        left = max(self.remaining(), 0.001)
        if isinstance(timeout, tuple):
            return tuple(left if part is None else min(float(part), left) for part in timeout)
        return left if timeout is None else min(float(timeout), left)


def read_body(response: requests.Response, deadline: Deadline, read_timeout: float | None) -> None:
    """Read the whole body of ``response`` before ``deadline``, as requests would read it.

    The content is decoded (gzip, deflate) and kept in ``response.content``.
    On failure the connection is closed and requests' own exception for it is
    raised (:class:`DeadlineExceeded` for the deadline). A response that is not
    urllib3's (vcrpy's replay, some test transports) is left for requests to read.
    """
    raw = response.raw
    if response._content_consumed or not isinstance(raw, HTTPResponse):
        return
    sock = getattr(getattr(raw, "connection", None), "sock", None)
    chunks: list[bytes] = []
    try:
        while True:
            left = deadline.remaining()
            if left <= 0:
                raise deadline.exceeded(response.request)
            if sock is not None:
                # One read1() is at most one recv(), and each recv waits at most this long.
                sock.settimeout(left if read_timeout is None else min(read_timeout, left))
            chunk = raw.read1(CHUNK_SIZE, decode_content=True)
            if not chunk:
                break
            chunks.append(chunk)
    except DeadlineExceeded:
        response.close()
        raise
    except (ReadTimeoutError, TimeoutError) as exc:
        response.close()
        if deadline.remaining() <= 0:
            raise deadline.exceeded(response.request) from exc
        # What requests raises for a read timeout in the body.
        raise requests.exceptions.ConnectionError(exc, request=response.request) from exc
    except ProtocolError as exc:
        response.close()
        raise requests.exceptions.ChunkedEncodingError(exc, request=response.request) from exc
    except DecodeError as exc:
        response.close()
        raise requests.exceptions.ContentDecodingError(exc, request=response.request) from exc
    except Urllib3SSLError as exc:
        response.close()
        raise requests.exceptions.SSLError(exc, request=response.request) from exc
    response._content = b"".join(chunks)
    response._content_consumed = True
