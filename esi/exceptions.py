"""The exceptions of the OpenAPI-era face (django-esi 8.x ``openapi_clients`` and 10.x).

Every name is a class of the one tree of :mod:`esi.errors`::

    DjangoEsiException
    ├── HTTPError                         ESI answered something that is not data
    │   ├── HTTPNotModified               304: nothing changed since the ETag you saw (use_etag)
    │   ├── HTTPClientError               4xx (``status_code``, ``headers``, ``data``)
    │   └── HTTPServerError               5xx, after the HTTP layer's retries
    └── ESILimitError
        ├── ErrorLimitExceeded
        │   └── ESIErrorLimitException    ESI's error budget is spent; ``reset`` seconds
        ├── RateLimitExceeded
        │   └── ESIBucketLimitException   a rate-limit bucket is spent; ``bucket``, ``reset``
        └── TaskBucketLimitException      a ``rate_limited_task`` ran too often; ``bucket``, ``reset``

The constructors take 10.x's arguments (``HTTPClientError(status_code=404,
headers={}, data={})``, ``ESIBucketLimitException(bucket=None, reset=1.0)``), as
downstream tests build them. These are not bravado's ``HTTPClientError`` of
:mod:`esi.errors`: the bravado-era face keeps raising those.
"""

from __future__ import annotations

from typing import Any

from esi.errors import DjangoEsiException, ErrorLimitExceeded, ESILimitError, RateLimitExceeded

__all__ = [
    "ESIBucketLimitException",
    "ESIErrorLimitException",
    "HTTPClientError",
    "HTTPError",
    "HTTPNotModified",
    "HTTPServerError",
    "TaskBucketLimitException",
]


class HTTPError(DjangoEsiException):
    """ESI answered with a status that carries no data for the caller.

    ``status_code``, ``headers`` and ``data`` (the decoded body, or its text)
    are those of the answer; ``response`` is the :class:`requests.Response`
    when there was one.
    """

    def __init__(
        self,
        status_code: int = 0,
        headers: Any = None,
        data: Any = None,
        response: Any = None,
    ) -> None:
        self.status_code = int(status_code)
        self.headers = headers if headers is not None else {}
        self.data = data
        self.response = response
        super().__init__(status_code, self.headers, data)

    def __str__(self) -> str:
        return f"<{type(self).__name__} {self.status_code} {self.data!r}>"


class HTTPNotModified(HTTPError):
    """ESI's answer has not changed since the ETag this app last saw (``use_etag=True``)."""

    def __init__(
        self, status_code: int = 304, headers: Any = None, data: Any = None, response: Any = None
    ) -> None:
        super().__init__(status_code, headers, data, response)

    def __str__(self) -> str:
        return f"<{type(self).__name__} {self.status_code} {dict(self.headers)}>"


class HTTPClientError(HTTPError):
    """ESI answered 4xx (403 missing scope, 404 unknown id, ...)."""


class HTTPServerError(HTTPError):
    """ESI answered 5xx, after the HTTP layer retried 502/503/504."""


class ESIErrorLimitException(ErrorLimitExceeded):
    """ESI's error budget is spent; no call is sent for ``reset`` seconds."""

    def __init__(self, reset: float | None = None, message: str | None = None) -> None:
        self.reset = reset
        if message is None:
            message = f"ESI Error limited. Reset in {reset} seconds." if reset else "ESI Error limited."
        super().__init__(message, retry_after=reset)
        self.message = message

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.reset, self.message))


class ESIBucketLimitException(RateLimitExceeded):
    """A rate-limit bucket (ESI's group, or a :class:`~esi.rate_limiting.ESIRateLimitBucket`) is spent.

    ``reset`` is the wait in seconds; without one, the bucket's window.
    """

    def __init__(self, bucket: Any = None, reset: float = 0, message: str | None = None) -> None:
        self.bucket = bucket
        self.reset = reset or getattr(bucket, "window", 0)
        if message is None:
            message = f"ESI bucket limit reached for {bucket}."
        group = (
            getattr(bucket, "slug", None) if bucket is not None and not isinstance(bucket, str) else bucket
        )
        super().__init__(message, retry_after=self.reset, group=group)
        self.message = message

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.bucket, self.reset, self.message))


class TaskBucketLimitException(ESILimitError):
    """A task decorated with ``rate_limited_task`` ran more often than its rate; retry after ``reset``."""

    def __init__(self, bucket: Any, reset: float) -> None:
        self.bucket = bucket
        self.reset = reset
        super().__init__(
            f"Task Bucket Limit Exceeded: {bucket} - Retry after {reset} seconds", retry_after=reset
        )

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.bucket, self.reset))
