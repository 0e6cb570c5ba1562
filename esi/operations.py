"""The client's resources, operations and the future each call returns.

``client.Universe.get_universe_types(page=2)`` returns an :class:`EsiFuture`:

* ``result(**kw)`` - the first page (or the page asked for);
* ``results(**kw)`` - every page (``X-Pages``, at most ``ESI_PAGES_MAX``), pages
  2..N fetched concurrently by at most ``ESI_PAGES_MAX_WORKERS`` threads,
  concatenated in page order; for
  the OpenAPI operations with ``x-pagination: cursor``, every record, following
  the ``after`` (or ``before``) cursor until a page comes back empty;
* ``results_localized(languages=None, **kw)`` - ``results()`` per language,
  the languages fetched concurrently.

With ``future.request_config.also_return_response = True`` the first two
return ``(data, response)``: the response is that of the last page. Data are
plain JSON (dicts and lists) with ``date-time`` fields as aware datetimes,
checked and converted by :mod:`esi.unmarshal`'s converter compiled once per
response schema (bravado's own response validation is off). With
``future.json_bodies = True`` (what the OpenAPI-era face asks for, to validate
the bytes with pydantic) a page's data are an :class:`esi.unmarshal.JSONBody`
instead, wherever the body can be handed over undecoded.

A ``token=`` given to an operation (an access token string or a Token) is sent
as ``Authorization: Bearer``, never as a query parameter, so it reaches no URL,
no log line and no cache key.

This module imports bravado; :mod:`esi.clients` imports it only when a client
is first built.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterable
from operator import itemgetter
from typing import Any

import requests
from bravado.client import CallableOperation, ResourceDecorator, SwaggerClient
from bravado.config import RequestConfig
from bravado.http_future import HttpFuture, reraise_errors
from bravado.requests_client import Authenticator
from bravado_core.content_type import APP_JSON
from bravado_core.exception import MatchingResponseNotFound

from esi.app_settings import app_settings
from esi.errors import ESILimitError, IncompleteResponseError, ResponseContentError
from esi.http.cache import is_json_media_type
from esi.pages import Concurrently, Generation, map_concurrently, settle
from esi.query import join_nested_arrays
from esi.request_params import construct_params
from esi.spec import PreparedSpec, resource_key
from esi.unmarshal import JSONBody, converter_for_operation, handle_response, json_body, unmarshal_response

#: Cursor pages results() follows at most before it gives up (a guard against a loop).
MAX_CURSOR_PAGES = 10_000

__all__ = [
    "MAX_CURSOR_PAGES",
    "ClientContext",
    "EsiClient",
    "EsiFuture",
    "EsiOperation",
    "EsiResource",
    "TokenAuthenticator",
    "bearer_token",
    "check_content",
    "check_token",
]


class _Unmarshal(HttpFuture):
    """An HttpFuture whose response is checked and converted by esi.unmarshal's compiled converter."""

    #: Hand a 2xx JSON body over undecoded (:meth:`_get_json_body`): set from ``EsiFuture.json_bodies``.
    json_body = False

    @reraise_errors
    def _get_swagger_result(self, incoming_response: Any) -> Any:
        if self.operation is None:
            return None
        check_content(incoming_response, self.operation)
        try:
            handle_response(incoming_response, self.operation, self.request_config.response_callbacks)
        except _JSON_ERRORS as exc:
            if not 200 <= incoming_response.status_code < 300:
                raise
            raise _content_error(
                incoming_response, self.operation, f"JSON that does not parse ({exc})"
            ) from exc
        return incoming_response.swagger_result

    @reraise_errors
    def _get_json_body(self, incoming_response: Any) -> Any:
        """Return a 2xx JSON body as a :class:`~esi.unmarshal.JSONBody`, checked but not decoded.

        Its content type is checked and the response callbacks are called as for
        :meth:`_get_swagger_result`, which returns (or raises) any other answer.
        """
        if self.operation is not None:
            check_content(incoming_response, self.operation)
            convert = functools.partial(self._converted, incoming_response)
            body = json_body(incoming_response, self.operation, convert)
            if body is not None:
                for callback in self.request_config.response_callbacks or ():
                    callback(incoming_response, self.operation)
                return body
        return self._get_swagger_result(incoming_response)

    def _converted(self, incoming_response: Any) -> Any:
        """Return a 2xx JSON body decoded and converted, as :meth:`_get_swagger_result` does."""
        try:
            return unmarshal_response(incoming_response, self.operation)
        except _JSON_ERRORS as exc:
            raise _content_error(
                incoming_response, self.operation, f"JSON that does not parse ({exc})"
            ) from exc


# requests raises its own (built on simplejson's when that is installed).
_JSON_ERRORS = (json.JSONDecodeError, requests.exceptions.JSONDecodeError)


def check_content(incoming_response: Any, operation: Any) -> None:
    """Raise :class:`~esi.errors.ResponseContentError` when a 2xx body is not the JSON the spec promises.

    An HTML page from a proxy or CDN answering for ESI is the case this is for.
    Only responses with a schema are checked (a 204 has no body to check), and
    only operations whose spec promises a JSON type.
    """
    status = incoming_response.status_code
    if not 200 <= status < 300:
        return
    try:
        if converter_for_operation(operation, status) is None:
            return  # no schema, no body to check
    except MatchingResponseNotFound:
        return  # handle_response raises the spec's own error for it
    if not any(is_json_media_type(p) for p in operation.produces or [APP_JSON]):
        return  # a text/plain or text/html operation (the meta spec's) takes what comes
    if not is_json_media_type(incoming_response.headers.get("content-type")):
        # "application/problem+json" where "application/json" is promised is still JSON.
        raise _content_error(incoming_response, operation, "a body of another content type")


def _content_error(incoming_response: Any, operation: Any, what: str) -> ResponseContentError:
    content_type = incoming_response.headers.get("content-type")
    promised = ", ".join(operation.produces or [APP_JSON])
    return ResponseContentError(
        f"{operation.operation_id}: ESI answered {incoming_response.status_code} with "
        f"{content_type or 'no content type'} and {what}, where the spec promises {promised}; "
        "a proxy or CDN may be answering for ESI",
        operation_id=operation.operation_id,
        content_type=content_type,
        status_code=incoming_response.status_code,
        response=incoming_response,
    )


def check_token(token: Any) -> None:
    """Raise TypeError unless ``token`` is an access token string or has ``valid_access_token()``."""
    if not isinstance(token, str) and not callable(getattr(token, "valid_access_token", None)):
        raise TypeError(
            f"token must be an access token string or have valid_access_token(), not {type(token).__name__}"
        )


def bearer_token(token: Any) -> str:
    """Return the access token to send for ``token``: a string, or a Token (duck-typed)."""
    check_token(token)
    return token if isinstance(token, str) else str(token.valid_access_token())


class TokenAuthenticator(Authenticator):
    """Send a Token's access token as ``Authorization: Bearer`` on every ESI call.

    ``token.valid_access_token()`` is called for each request, so an expired
    token is refreshed (or raises) as in django-esi 2.x. A token given to the
    operation itself wins.
    """

    def __init__(self, token: Any, host: str = "") -> None:
        super().__init__(host)
        self.token = token

    def matches(self, url: str) -> bool:
        # This HTTP client serves one ESI client only: every URL is ESI's.
        return True

    def apply(self, request: Any) -> Any:
        if "Authorization" not in request.headers:
            request.headers["Authorization"] = f"Bearer {bearer_token(self.token)}"
        return request

    def __repr__(self) -> str:
        return "TokenAuthenticator()"  # never the token


# Not a dataclass: one compiles its methods with exec in every process that imports it (issue 13).
class ClientContext:
    """What every call of one client shares: spec, HTTP client and defaults."""

    __slots__ = (
        "prepared",
        "http_client",
        "datasource",
        "compatibility_date",
        "api_url",
        "bravado_limit_errors",
    )

    def __init__(
        self,
        prepared: PreparedSpec,
        http_client: Any,
        datasource: str | None = None,
        compatibility_date: str | None = None,
        api_url: str | None = None,
        bravado_limit_errors: bool = False,
    ) -> None:
        self.prepared = prepared
        self.http_client = http_client
        self.datasource = datasource
        self.compatibility_date = compatibility_date
        #: Base URL of ESI; None reads ``ESI_API_URL`` on each call.
        self.api_url = api_url
        #: Raise limits held back as bravado's HTTP 420 / 429 too (the bravado-era face: esi.bravado_errors).
        self.bravado_limit_errors = bravado_limit_errors

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.__slots__)
        return f"ClientContext({fields})"

    def base_url(self) -> str:
        """Return ESI's base URL, without the trailing slash."""
        return (self.api_url or app_settings.ESI_API_URL).rstrip("/")

    def base_path(self, operation: Any) -> str:
        """Return the basePath of the spec an operation comes from."""
        return (operation.swagger_spec.spec_dict.get("basePath") or "").rstrip("/")


class EsiClient(SwaggerClient):
    """A bravado SwaggerClient whose resources answer for their ESI version."""

    def __init__(self, context: ClientContext) -> None:
        super().__init__(context.prepared.spec, also_return_response=False)
        self._context = context

    def _get_resource(self, item: str) -> EsiResource:
        if item.startswith("__"):
            raise AttributeError(item)
        resources = self.swagger_spec.resources
        resource = resources.get(item)
        if resource is None:
            matches = [r for name, r in resources.items() if resource_key(name) == resource_key(item)]
            resource = matches[0] if matches else None
        if resource is None:
            prepared = self._context.prepared
            raise AttributeError(
                f"Resource {item} not found on ESI version {prepared.version_of(item)}. "
                f"Available resources: {', '.join(sorted(resources))}"
            )
        return EsiResource(resource, self._context)

    def __dir__(self) -> list[str]:
        return sorted(self.swagger_spec.resources)

    def __repr__(self) -> str:
        return f"EsiClient({self._context.prepared.label})"


class EsiResource(ResourceDecorator):
    """One resource (``Universe``); its attributes are its operations."""

    def __init__(self, resource: Any, context: ClientContext) -> None:
        super().__init__(resource, also_return_response=False)
        self._context = context

    def __getattr__(self, name: str) -> EsiOperation:
        if name.startswith("__"):
            raise AttributeError(name)
        operations = self.resource.operations
        operation = operations.get(name)
        if operation is None:
            alias = self._context.prepared.aliases.get(self.resource.name, {}).get(name)
            operation = operations.get(alias) if alias else None
        if operation is None:
            version = self._context.prepared.version_of(self.resource.name)
            raise AttributeError(
                f"Operation {name} not found in resource {self.resource.name} on ESI version {version}. "
                f"Available operations: {', '.join(sorted(operations))}"
            )
        return EsiOperation(operation, self._context)

    def __dir__(self) -> list[str]:
        return sorted(self.resource.operations)

    def __repr__(self) -> str:
        return f"EsiResource({self.resource.name})"


class EsiOperation(CallableOperation):
    """One operation; calling it returns an :class:`EsiFuture` (nothing is sent yet)."""

    def __init__(self, operation: Any, context: ClientContext) -> None:
        super().__init__(operation, also_return_response=False)
        self._context = context

    def __call__(self, **op_kwargs: Any) -> EsiFuture:
        return EsiFuture(self.operation, self._context, op_kwargs)


class EsiFuture(_Unmarshal):
    """The pending call of one operation, with ``result()``, ``results()`` and ``results_localized()``.

    Every fetch builds its own request from the operation's arguments, so
    pages and languages are fetched concurrently without sharing state.
    ``request_config``, ``operation`` and ``future`` are bravado's, as 2.x
    code expects.
    """

    #: Hand each 2xx page whose body is UTF-8 JSON with a schema over as an
    #: :class:`esi.unmarshal.JSONBody` (its bytes, not decoded, not converted)
    #: from ``result()`` and :meth:`_settled_pages`. Everything else is as without
    #: it: the request, the cache, the limits, the checks of the content type and
    #: of the pages' consistency. ``results()`` and ``results_localized()`` still
    #: return converted data (they concatenate pages or follow cursors).
    json_bodies: bool = False

    def __init__(self, operation: Any, context: ClientContext, op_kwargs: dict[str, Any]) -> None:
        op_kwargs = dict(op_kwargs)
        self._request_options: dict[str, Any] = dict(op_kwargs.pop("_request_options", None) or {})
        self._token = op_kwargs.pop("token", None)
        self._context = context
        self._op_kwargs = op_kwargs
        self._first: Any = None
        if self._token is not None:
            check_token(self._token)
        self._op: Any = operation  # typed loosely: bravado types it Optional
        # Built now so that bad arguments raise here, as bravado does.
        self._first_request = self._build({})
        request_config = RequestConfig(self._request_options, also_return_response_default=False)
        super().__init__(None, context.http_client.response_adapter_class, operation, request_config)  # type: ignore[arg-type]

    @property
    def future(self) -> Any:
        """Return bravado's FutureAdapter of the first request (built on first access)."""
        if self._first is None:
            self._first = self._send(self._first_request, self.request_config).future
        return self._first

    @future.setter
    def future(self, value: Any) -> None:
        self._first = value

    # --- requests -------------------------------------------------------------

    def _build(self, overrides: dict[str, Any]) -> dict[str, Any]:
        """Return the request for the operation's arguments with ``overrides`` (validated)."""
        context, operation = self._context, self._op
        kwargs = {**self._op_kwargs, **overrides}
        params = operation.params
        if "datasource" in params and "datasource" not in kwargs:
            kwargs["datasource"] = context.datasource or app_settings.ESI_API_DATASOURCE
        if "language" in kwargs and "language" not in params:
            header = _language_param(params)
            if header is not None:
                kwargs[header] = kwargs.pop("language")
        options = self._request_options
        headers = dict(options.get("headers") or {})
        if "datasource" in kwargs and "datasource" not in params:
            # OpenAPI operations have no datasource: ESI takes it as the tenant header.
            from esi.http import tenant_for_datasource

            headers["X-Tenant"] = tenant_for_datasource(kwargs.pop("datasource"))
        request: dict[str, Any] = {
            "method": operation.http_method.upper(),
            "url": context.base_url() + context.base_path(operation) + operation.path_name,
            "params": {},
            "headers": headers,
            "connect_timeout": options.get("connect_timeout", app_settings.ESI_REQUESTS_CONNECT_TIMEOUT),
            "timeout": options.get("timeout", app_settings.ESI_REQUESTS_READ_TIMEOUT),
        }
        construct_params(operation, request, kwargs)
        join_nested_arrays(operation, request, kwargs)  # bravado writes inner arrays as "[1, 2]"
        return request

    def _send(self, request: dict[str, Any], request_config: RequestConfig) -> _Unmarshal:
        """Return a future for ``request`` (nothing is sent until its result is asked for)."""
        # Fresh dicts: the authenticator and requests write into them, and the
        # first request is reused for every page.
        request = {**request, "headers": dict(request["headers"]), "params": dict(request["params"])}
        if self._token is not None:
            request["headers"]["Authorization"] = f"Bearer {bearer_token(self._token)}"
        sent = self._context.http_client.request(request, operation=self._op, request_config=request_config)
        unmarshal = _Unmarshal(sent.future, sent.response_adapter, sent.operation, sent.request_config)
        unmarshal.json_body = self.json_bodies
        return unmarshal

    def _fetch(
        self, overrides: dict[str, Any], timeout: float | None = None, *, refetch: bool = False
    ) -> tuple[Any, Any]:
        """Send one request; return ``(data, response)`` (data as :meth:`_convert` gives them).

        ``refetch`` asks past a fresh cached copy (``Cache-Control: no-cache``:
        a cached copy with an ETag is revalidated, not served).
        """
        return self._convert(*self._receive(overrides, timeout, refetch=refetch))

    def _receive(
        self, overrides: dict[str, Any], timeout: float | None = None, *, refetch: bool = False
    ) -> tuple[_Unmarshal, Any]:
        """Send one request and read its answer; return the future and the response, not yet converted.

        The two halves of bravado's ``HttpFuture.result()``: this one waits on the
        network, :meth:`_convert` checks and converts the body.
        """
        config = RequestConfig(self._request_options, also_return_response_default=True)
        config.also_return_response = True
        request = self._request_for(overrides)
        if refetch:
            request = {**request, "headers": _past_the_cache(request["headers"])}
        sent = self._send(request, config)
        try:
            return sent, sent._get_incoming_response(timeout)
        except ESILimitError as exc:
            if not self._context.bravado_limit_errors:
                raise
            from esi.bravado_errors import as_http_error

            raise as_http_error(exc) from exc

    @staticmethod
    def _convert(sent: _Unmarshal, incoming: Any) -> tuple[Any, Any]:
        """Return ``(data, response)`` of a response :meth:`_receive` read (bravado's HTTP errors raised).

        Data are a :class:`~esi.unmarshal.JSONBody` where the future's :attr:`json_bodies` asks for one.
        """
        if sent.json_body:
            return sent._get_json_body(incoming), incoming
        return sent._get_swagger_result(incoming), incoming

    def _request_for(self, overrides: dict[str, Any]) -> dict[str, Any]:
        """Return the request with ``overrides``, reusing the validated first request for a page."""
        if not overrides:
            return self._first_request
        page = self._op.params.get("page")
        if set(overrides) == {"page"} and page is not None and page.location == "query":
            # Pages of results() only differ in a number we generate: skip re-validating the rest.
            page_number = overrides["page"]
            if isinstance(page_number, int) and not isinstance(page_number, bool) and page_number >= 1:
                request = dict(self._first_request)
                request["params"] = {**request["params"], "page": page_number}
                return request
        return self._build(overrides)

    def _split(self, kwargs: dict[str, Any]) -> tuple[dict[str, Any], float | None]:
        """Split result() keywords into operation overrides and the timeout."""
        kwargs = dict(kwargs)
        timeout = kwargs.pop("timeout", None)
        kwargs.pop("ignore_cache", None)  # the response cache lives in the HTTP layer
        kwargs.pop("retries", None)  # retries live in the HTTP layer
        if "token" in kwargs:
            raise TypeError("pass token= to the operation, not to result()")
        return kwargs, timeout

    def _answer(self, data: Any, response: Any) -> Any:
        return (data, response) if self.request_config.also_return_response else data

    # --- public ---------------------------------------------------------------

    def result(self, **kwargs: Any) -> Any:  # type: ignore[override]
        """Return the first page (or ``page=N``) of the result.

        Keywords: any operation parameter (``page``, ``language``, ...) and
        ``timeout``; ``(data, response)`` with ``request_config.also_return_response``.
        """
        overrides, timeout = self._split(kwargs)
        return self._answer(*self._fetch(overrides, timeout))

    def results(self, **kwargs: Any) -> Any:
        """Return every page (``X-Pages``), concatenated in page order.

        Pages 2..N are fetched concurrently by at most ``ESI_PAGES_MAX_WORKERS``
        threads. Every page must come from the same generation of the listing
        (:mod:`esi.pages`); the pages that do not are fetched again, at most
        ``ESI_PAGES_CONSISTENCY_RETRIES`` times, and when no consistent snapshot
        comes of it :class:`~esi.errors.IncompleteResponseError` says which pages
        disagreed. With ``also_return_response`` the response is the last page's.
        """
        overrides, timeout = self._split(kwargs)
        if self._op.op_spec.get("x-pagination") == "cursor":
            return self._answer(*self._cursor_results(overrides, timeout))
        if "page" not in self._op.params:
            return self._answer(*_decoded(*self._fetch(overrides, timeout)))
        fetched = self._settled_pages(overrides, timeout)
        if len(fetched) == 1:
            return self._answer(*_decoded(*fetched[1][:2]))
        combined: list[Any] = []
        for number in sorted(fetched):
            combined.extend(_decoded(*fetched[number][:2])[0])
        return self._answer(combined, fetched[max(fetched)][1])

    def _settled_pages(
        self,
        overrides: dict[str, Any],
        timeout: float | None,
        on_page: Callable[[int, Any, Any], None] | None = None,
    ) -> dict[int, tuple[Any, Any, Generation]]:
        """Return every page of one generation: ``{number: (data, response, generation)}``.

        Page 1 alone when it announces no other page or its data are no list
        (a :class:`~esi.unmarshal.JSONBody` under :attr:`json_bodies`: then its
        schema is no array, or the pages would have been asked for already).
        ``on_page(number, data, response)`` is called in the calling thread as
        each page is converted (the OpenAPI face builds its models meanwhile).
        """
        overrides = {**overrides, "page": 1}
        sent, incoming = self._receive(overrides, timeout)
        first_generation = Generation.of(incoming.headers)
        # Pages 2..N are asked for as soon as page 1's X-Pages is read, while page 1 is converted.
        count = self._count_before_conversion(incoming)
        rest = Concurrently(self._receiver(overrides, timeout), range(2, count + 1)) if count > 1 else None
        try:
            if rest is not None:
                rest.wait_started(timeout=0.05)  # their requests go out before page 1 holds the GIL
            data, response = self._convert(sent, incoming)
            fetched = {1: (data, response, first_generation)}
            if rest is None:
                count = self._page_count(response.headers.get("X-Pages"))
                if count <= 1 or not isinstance(data, list):
                    return fetched
                rest = Concurrently(self._receiver(overrides, timeout), range(2, count + 1))
            if on_page is not None:
                on_page(1, data, response)
            # Converted here as they arrive: the threads are free for the next page meanwhile.
            _convert_as_received(rest, fetched, on_page)
        finally:
            if rest is not None:
                rest.close()
        return self._one_generation(fetched, overrides, timeout, on_page)

    def _count_before_conversion(self, incoming: Any) -> int:
        """Return the pages page 1 announces when they can be asked for before page 1 is converted, else 0.

        So only for a 2xx JSON answer whose schema is a list and whose ``X-Pages``
        is accepted; otherwise page 1 is converted first (its errors come first,
        and no other page is asked for) and its data decide whether there are more.
        """
        from bravado_core.response import get_response_spec

        if not 200 <= incoming.status_code < 300:
            return 0
        try:
            check_content(incoming, self._op)
            schema = get_response_spec(incoming.status_code, self._op).get("schema")
        except (MatchingResponseNotFound, ResponseContentError):
            return 0
        if schema is None or self._op.swagger_spec.deref(schema).get("type") != "array":
            return 0
        try:
            return self._page_count(incoming.headers.get("X-Pages"))
        except IncompleteResponseError:
            return 0  # raised again after page 1 is converted

    def _receiver(
        self, overrides: dict[str, Any], timeout: float | None, refetch: bool = False
    ) -> Callable[[int], tuple[_Unmarshal, Any, Generation]]:
        """Return a function receiving one page: its future, response (not converted) and generation."""

        def receive(number: int) -> tuple[_Unmarshal, Any, Generation]:
            sent, incoming = self._receive({**overrides, "page": number}, timeout, refetch=refetch)
            if not 200 <= incoming.status_code < 300:
                self._convert(sent, incoming)  # raises its HTTP error here: no page is started after it
            return sent, incoming, Generation.of(incoming.headers)

        return receive

    def _one_generation(
        self,
        fetched: dict[int, tuple[Any, Any, Generation]],
        overrides: dict[str, Any],
        timeout: float | None,
        on_page: Callable[[int, Any, Any], None] | None = None,
    ) -> dict[int, tuple[Any, Any, Generation]]:
        """Return the pages once all come from the newest generation (:func:`esi.pages.settle`)."""

        def refetch(wanted: list[int]) -> list[tuple[Any, Any, Generation]]:
            pages: dict[int, tuple[Any, Any, Generation]] = {}
            with Concurrently(self._receiver(overrides, timeout, refetch=True), wanted) as received:
                _convert_as_received(received, pages, on_page)
            return [pages[n] for n in wanted]

        return settle(
            fetched,
            generation_of=itemgetter(2),
            page_count=self._page_count,
            refetch=refetch,
            operation=self._op.operation_id,
        )

    def _page_count(self, x_pages: str | None) -> int:
        """Return the pages ``X-Pages`` announces (none: 1); raise when it cannot be trusted.

        A value that is no page count, or more pages than ``ESI_PAGES_MAX``, raises
        :class:`~esi.errors.IncompleteResponseError` before page 2 is asked for:
        returning page 1 alone would silently lose data, fetching them all could
        send thousands of requests.
        """
        if x_pages is None or not x_pages.strip():
            return 1
        text = x_pages.strip()
        limit = int(app_settings.ESI_PAGES_MAX)
        operation = self._op.operation_id
        # Checked on the text: int() refuses (ValueError) a header of more than 4300 digits.
        if not text.isascii() or not text.isdigit():
            raise IncompleteResponseError(
                f"{operation}: X-Pages {x_pages[:40]!r} is not a page count; only page 1 was fetched"
            )
        if len(text.lstrip("0")) > len(str(limit)) or int(text) > limit:
            raise IncompleteResponseError(
                f"{operation}: X-Pages {text[:40]} announces more than ESI_PAGES_MAX={limit} pages; "
                "only page 1 was fetched"
            )
        return int(text)

    def _cursor_results(self, overrides: dict[str, Any], timeout: float | None) -> tuple[Any, Any]:
        """Return every record of a cursor-paged listing, and the last response.

        ESI's cursors walk in time: ``after="0"`` starts from the beginning and
        each page's ``cursor.after`` continues forwards until a page comes back
        empty (``before`` walks backwards the same way). The records are returned
        oldest first in the listing's own shape; its ``cursor`` is the last page's,
        whose ``after`` fetches only newer records next time.
        """
        given = {**self._op_kwargs, **overrides}
        if given.get("before") is not None and given.get("after") is not None:
            raise TypeError("give before= or after=, not both: they walk in opposite directions")
        direction = "before" if given.get("before") is not None else "after"
        overrides[direction] = given.get(direction) or "0"
        # The cursors are read from the data: each page is decoded, even under json_bodies.
        data, response = _decoded(*self._fetch(overrides, timeout))
        key = _listing_key(data)
        if key is None:
            return data, response
        records = list(data[key] or [])
        for _ in range(MAX_CURSOR_PAGES):
            cursor = (data.get("cursor") or {}).get(direction)
            if not data[key] or not cursor or cursor == overrides[direction]:
                break
            overrides = {**overrides, direction: cursor}
            data, response = _decoded(*self._fetch(overrides, timeout))
            page = list(data.get(key) or [])
            records = page + records if direction == "before" else records + page
        else:
            raise IncompleteResponseError(
                f"{self._op.operation_id}: still more records after {MAX_CURSOR_PAGES} cursor pages"
            )
        return {**data, key: records}, response

    def results_localized(self, languages: Iterable[str] | None = None, **kwargs: Any) -> dict[str, Any]:
        """Return ``results()`` for each language, as a dict by language code.

        ``languages`` defaults to ``ESI_LANGUAGES`` or, when unset, every
        language the operation accepts. An unknown code raises ValueError.
        """
        accepted = self._accepted_languages()
        if languages is None:
            wanted = list(app_settings.ESI_LANGUAGES or accepted)
        elif isinstance(languages, str):
            wanted = [languages]
        else:
            wanted = list(dict.fromkeys(languages))
        for language in wanted:
            if language not in accepted:
                raise ValueError(
                    f"Invalid language code: {language!r}; {self._op.operation_id} accepts "
                    f"{', '.join(accepted)}"
                )
        found = map_concurrently(lambda lang: self.results(language=lang, **kwargs), wanted)
        return dict(zip(wanted, found, strict=True))

    def _accepted_languages(self) -> list[str]:
        name = _language_param(self._op.params)
        if name is None:
            raise ValueError(f"{self._op.operation_id} has no language parameter")
        spec = self._op.swagger_spec.deref(self._op.params[name].param_spec)
        enum = spec.get("enum") or (spec.get("items") or {}).get("enum") or []
        return [str(e) for e in enum]


def _convert_as_received(
    received: Concurrently,
    into: dict[int, tuple[Any, Any, Generation]],
    on_page: Callable[[int, Any, Any], None] | None,
) -> None:
    """Convert each page of ``received`` (an :meth:`EsiFuture._receiver`'s) as it arrives, into ``into``.

    ``on_page(number, data, response)`` is called after each, in this thread.
    """
    for number, (sent, incoming, generation) in received:
        data, response = EsiFuture._convert(sent, incoming)
        into[number] = (data, response, generation)
        if on_page is not None:
            on_page(number, data, response)


def _decoded(data: Any, response: Any) -> tuple[Any, Any]:
    """Return ``(data, response)`` with a :class:`~esi.unmarshal.JSONBody` decoded and converted."""
    return (data.convert() if isinstance(data, JSONBody) else data), response


def _past_the_cache(headers: dict[str, Any]) -> dict[str, Any]:
    """Return ``headers`` with ``no-cache`` added to their ``Cache-Control`` (a ``no-store`` kept)."""
    directives = [d.strip() for d in str(headers.get("Cache-Control", "")).split(",") if d.strip()]
    return {**headers, "Cache-Control": ", ".join(dict.fromkeys([*directives, "no-cache"]))}


def _listing_key(data: Any) -> str | None:
    """Return the name of the record list of a cursor-paged body (``projects``, ``freelance_jobs``)."""
    if not isinstance(data, dict):
        return None
    return next((k for k, v in data.items() if k != "cursor" and isinstance(v, list)), None)


def _language_param(params: dict[str, Any]) -> str | None:
    """Return the name of an operation's language parameter: ``language``, else its Accept-Language header."""
    # bravado keys parameters by their sanitized name (Accept_Language).
    for name in ("language", "Accept_Language", "Accept-Language"):
        if name in params:
            return name
    return None
