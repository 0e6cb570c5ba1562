"""Exceptions of django-esi.

The tree::

    DjangoEsiException
    ├── TokenError
    │   ├── TokenInvalidError            the token was revoked, or its character sold
    │   ├── TokenExpiredError            expired and could not be refreshed
    │   └── NotRefreshableTokenError     expired and has no refresh token
    ├── IncompleteResponseError          results() cannot return every page (X-Pages untrustworthy)
    ├── SpecError                        a spec cannot be found, read or built
    ├── ESILimitError
    │   ├── ErrorLimitExceeded           ESI's error budget is spent; calls resume after the reset
    │   └── RateLimitExceeded            a 429 whose Retry-After is longer than we may wait
    ├── ResponseValidationError          a response does not match its schema
    │   └── ResponseContentError         a 2xx body is not the JSON the spec promises (HTML, broken JSON)
    └── SSOError                         EVE SSO refused or failed a request
        ├── SSOUnavailable               network error, timeout or 5xx: no token is touched
        ├── InvalidGrant                 ``invalid_grant``: the refresh token is dead
        └── InvalidJWT                   a JWT with a bad signature, issuer, audience or expiry
    CallbackError (SuspiciousOperation)  a forged or broken SSO callback: Django answers 400

10.x names: ``SSOUnavailableError`` is :class:`SSOUnavailable`, ``SSOOAuthError``
is :class:`SSOError`; the OpenAPI face's HTTP and limit exceptions are in
:mod:`esi.exceptions`, subclasses of the classes above.

HTTP errors from ESI are bravado's (``HTTPNotFound``, ``HTTPForbidden``, ...),
re-exported here, as django-esi 2.x code catches them; they carry
``status_code``, ``response.text`` and ``response.headers``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.core.exceptions import SuspiciousOperation

if TYPE_CHECKING:
    from bravado.exception import (
        BravadoConnectionError,
        BravadoTimeoutError,
        HTTPBadGateway,
        HTTPBadRequest,
        HTTPClientError,
        HTTPError,
        HTTPForbidden,
        HTTPGatewayTimeout,
        HTTPInternalServerError,
        HTTPNotFound,
        HTTPServerError,
        HTTPServiceUnavailable,
        HTTPTooManyRequests,
        HTTPUnauthorized,
    )

__all__ = [
    "BravadoConnectionError",
    "BravadoTimeoutError",
    "CallbackError",
    "DjangoEsiException",
    "ESILimitError",
    "ErrorLimitExceeded",
    "HTTPBadGateway",
    "HTTPBadRequest",
    "HTTPClientError",
    "HTTPError",
    "HTTPForbidden",
    "HTTPGatewayTimeout",
    "HTTPInternalServerError",
    "HTTPNotFound",
    "HTTPServerError",
    "HTTPServiceUnavailable",
    "HTTPTooManyRequests",
    "HTTPUnauthorized",
    "IncompleteResponseError",
    "InvalidGrant",
    "InvalidJWT",
    "NotRefreshableTokenError",
    "RateLimitExceeded",
    "ResponseContentError",
    "ResponseValidationError",
    "SSOError",
    "SSOOAuthError",
    "SSOUnavailable",
    "SSOUnavailableError",
    "SpecError",
    "TokenError",
    "TokenExpiredError",
    "TokenInvalidError",
]

# bravado's exceptions are re-exported on first use: importing bravado.exception
# pulls in bravado-core and jsonschema, which every Django start-up would pay.
_BRAVADO_NAMES = frozenset(n for n in __all__ if n.startswith(("HTTP", "Bravado")))


def __getattr__(name: str) -> Any:
    if name in _BRAVADO_NAMES:
        import bravado.exception

        value = getattr(bravado.exception, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'esi.errors' has no attribute {name!r}")


class DjangoEsiException(Exception):
    """Base of every exception django-esi raises itself."""


class TokenError(DjangoEsiException):
    """A token cannot be used."""


class TokenInvalidError(TokenError):
    """The token is no longer valid (revoked, or its character changed owner)."""


class TokenExpiredError(TokenError):
    """The access token expired and could not be refreshed."""


class NotRefreshableTokenError(TokenError):
    """The access token expired and there is no refresh token."""


class IncompleteResponseError(DjangoEsiException):
    """``results()`` could not fetch every page; the message says why.

    ``X-Pages`` that is no page count or announces more than ``ESI_PAGES_MAX``
    pages, or a cursor listing that does not end.
    """


class SpecError(DjangoEsiException):
    """A spec cannot be found, read or built."""


class ESILimitError(DjangoEsiException):
    """A call was not sent (or not retried) to stay within ESI's limits."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        #: Seconds until calls may be sent again, when known.
        self.retry_after = retry_after


class ErrorLimitExceeded(ESILimitError):
    """ESI's error budget is (nearly) spent; no call is sent until it resets."""


class RateLimitExceeded(ESILimitError):
    """ESI answered 429 and asked us to wait longer than ``ESI_RATE_LIMIT_MAX_WAIT``."""

    def __init__(self, message: str, retry_after: float | None = None, group: str | None = None) -> None:
        super().__init__(message, retry_after)
        #: The rate-limit group (``X-Ratelimit-Group``) whose budget is spent, when known.
        self.group = group


class ResponseValidationError(DjangoEsiException):
    """A response body does not match the operation's response schema."""


class ResponseContentError(ResponseValidationError):
    """A successful answer whose body is not the JSON its spec promises.

    An HTML page from a proxy or CDN, an empty body, or JSON cut short. Such an
    answer is never cached, so the next call asks ESI again.
    """

    def __init__(
        self,
        message: str,
        *,
        operation_id: str | None = None,
        content_type: str | None = None,
        status_code: int | None = None,
        response: Any = None,
    ) -> None:
        super().__init__(message)
        #: The operation called (``get_universe_types_type_id``).
        self.operation_id = operation_id
        #: The ``Content-Type`` of the answer, when it had one.
        self.content_type = content_type
        #: The answer's HTTP status.
        self.status_code = status_code
        #: The :class:`requests.Response` (or bravado's adapter of it).
        self.response = response


class SSOError(DjangoEsiException):
    """EVE SSO refused or failed a request.

    ``response`` is the :class:`requests.Response` when there was one.
    """

    def __init__(self, message: str, response: Any = None) -> None:
        super().__init__(message)
        self.response = response


class SSOUnavailable(SSOError):
    """EVE SSO could not be reached or answered 5xx. No token is changed."""


class InvalidGrant(SSOError):
    """EVE SSO answered ``invalid_grant``: the refresh token or code is dead."""


class InvalidJWT(SSOError):
    """An access token failed validation (signature, issuer, audience, expiry)."""


class CallbackError(SuspiciousOperation):
    """A forged or broken SSO callback. Django turns it into a 400; nothing is stored."""


# The names django-esi 10.x code imports.
SSOUnavailableError = SSOUnavailable
SSOOAuthError = SSOError
