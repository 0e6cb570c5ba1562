"""The limit errors as the bravado-era face raises them: also bravado's HTTP errors 420 and 429.

When the HTTP layer holds a call back to keep within ESI's limits it raises
:class:`~esi.errors.ErrorLimitExceeded` or :class:`~esi.errors.RateLimitExceeded`.
Code written for django-esi 2.x-8.x never saw those: ESI answered 420 or 429 and
bravado raised its ``HTTPError``, which such code catches, reading ``status_code``
and the ``X-ESI-Error-Limit-Reset`` / ``Retry-After`` headers to retry later
(allianceauth-app-utils' ``retry_task_on_esi_error_and_offline`` does). So
:mod:`esi.clients`' clients raise these subclasses, which are both::

    except HTTPError as exc:              # 2.x-8.x code
        exc.status_code                   # 420
        exc.response.headers["X-ESI-Error-Limit-Reset"]
    except ErrorLimitExceeded as exc:     # this package's name
        exc.retry_after

The OpenAPI-era face raises :mod:`esi.exceptions`' names instead.
"""

from __future__ import annotations

import math
from typing import Any

from bravado.exception import HTTPError, HTTPTooManyRequests, status_map
from bravado_core.response import IncomingResponse

from esi.errors import ErrorLimitExceeded, ESILimitError, RateLimitExceeded

__all__ = ["ErrorLimitHTTPError", "RateLimitHTTPError", "as_http_error"]

_registered = dict(status_map)  # bravado registers every HTTPError subclass by status: ours stay out


class _HeldBackResponse(IncomingResponse):
    """The response ESI would have given to a call the HTTP layer held back."""

    def __init__(self, status_code: int, reason: str, text: str, headers: dict[str, str]) -> None:
        self.status_code = status_code
        self.reason = reason
        self.text = text
        self.raw_bytes = text.encode()
        self.headers = headers

    def json(self, **kwargs: Any) -> Any:
        return {"error": self.text}


class ErrorLimitHTTPError(ErrorLimitExceeded, HTTPError):
    """ESI's error budget is spent: an :class:`~esi.errors.ErrorLimitExceeded` that is an HTTP 420."""

    def __init__(self, exc: ErrorLimitExceeded) -> None:
        reset = (
            {} if exc.retry_after is None else {"X-ESI-Error-Limit-Reset": str(math.ceil(exc.retry_after))}
        )
        headers = {"X-ESI-Error-Limit-Remain": "0", **reset}
        # bravado's __init__ does not chain up: the message and retry_after are set here
        HTTPError.__init__(self, _HeldBackResponse(420, "Error Limited", str(exc), headers), message=str(exc))
        self.args = (str(exc),)
        self.retry_after = exc.retry_after

    def __str__(self) -> str:
        return str(self.args[0])

    def __reduce__(self) -> Any:  # pickled by Celery's result backends
        return as_http_error, (ErrorLimitExceeded(str(self), self.retry_after),)


class RateLimitHTTPError(RateLimitExceeded, HTTPTooManyRequests):
    """A rate-limit group is spent: a :class:`~esi.errors.RateLimitExceeded` that is an HTTP 429."""

    def __init__(self, exc: RateLimitExceeded) -> None:
        headers = {} if exc.retry_after is None else {"Retry-After": str(math.ceil(exc.retry_after))}
        if exc.group:
            headers["X-Ratelimit-Group"] = exc.group
        response = _HeldBackResponse(429, "Too Many Requests", str(exc), headers)
        HTTPTooManyRequests.__init__(self, response, message=str(exc))
        self.args = (str(exc),)
        self.retry_after = exc.retry_after
        self.group = exc.group

    def __str__(self) -> str:
        return str(self.args[0])

    def __reduce__(self) -> Any:
        return as_http_error, (RateLimitExceeded(str(self), self.retry_after, self.group),)


status_map.clear()
status_map.update(_registered)


def as_http_error(exc: ESILimitError) -> Exception:
    """Return ``exc`` as the bravado-era face raises it (unchanged when it is no limit it knows)."""
    if isinstance(exc, ErrorLimitExceeded) and not isinstance(exc, HTTPError):
        return ErrorLimitHTTPError(exc)
    if isinstance(exc, RateLimitExceeded) and not isinstance(exc, HTTPError):
        return RateLimitHTTPError(exc)
    return exc
