"""One operation of the OpenAPI-era face: ``result()``, ``results()``, ``results_localized()``.

Every call goes through the engine's operation (:mod:`esi.operations`): the
same request building, HTTP layer (response cache, ETag revalidation, error
and rate limits, retries) and converter as the bravado-era face. On top of it
this module keeps 10.x's behaviour:

* ``use_etag=True`` (the default) remembers, per app and call, the ``ETag`` of
  the last answer handed out; when ESI's answer still carries it (a fresh
  cached copy, or a revalidated one), :class:`~esi.exceptions.HTTPNotModified`
  is raised instead of returning the same data again. ``results()`` raises it
  only when every page is unchanged.
* ``results()`` returns one generation of a listing: the pages are settled by
  :func:`esi.pages.settle`, as the bravado-era face's are (the stragglers
  refetched past the cache, else :class:`~esi.errors.IncompleteResponseError`).
* ``force_refresh=True`` forgets that ETag and skips the fresh cached copy;
  ``use_cache=False`` skips the fresh copy; ``store_cache=False`` keeps the
  answer out of the cache (the request carries ``Cache-Control: no-cache`` /
  ``no-store``, which the HTTP layer honours).
* data are pydantic models (:mod:`esi.openapi_clients.models`), validated from
  the body's bytes with pydantic's ``validate_json``: the engine hands a 2xx
  UTF-8 JSON body over undecoded (``EsiFuture.json_bodies``), so it is parsed
  once, by pydantic, as 10.x parses it (date-times with pydantic's
  ``TzInfo(UTC)``). A body the models refuse (strictly: no string for a
  number) is decoded and converted by the engine as before, and raises what it
  raised before (:class:`~esi.errors.ResponseContentError` for JSON that does
  not parse, :class:`~esi.errors.ResponseValidationError` for a body that does
  not match its schema); another charset or content type takes that path too;
* errors are :mod:`esi.exceptions`' (``HTTPClientError``, ``HTTPServerError``,
  ``ESIErrorLimitException``, ``ESIBucketLimitException``).

The async variant is :mod:`esi.openapi_clients.asynchronous`.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any, NamedTuple

from esi.app_settings import app_settings
from esi.exceptions import (
    ESIBucketLimitException,
    ESIErrorLimitException,
    HTTPClientError,
    HTTPNotModified,
    HTTPServerError,
)

__all__ = ["ETAG_EXPIRY", "EsiOperation", "FaceContext"]

#: Seconds an ETag handed out is remembered (as django-esi 10.x: a week).
ETAG_EXPIRY = 7 * 24 * 3600


# Not dataclasses: one compiles its methods with exec in every process that imports it (issue 13).
class FaceContext:
    """What every operation of one OpenAPI-era client shares."""

    __slots__ = ("engine", "app_name", "token", "cache_alias", "builder")

    def __init__(
        self, engine: Any, app_name: str, token: Any = None, cache_alias: str = "default", builder: Any = None
    ) -> None:
        self.engine = engine  # esi.operations.EsiClient
        self.app_name = app_name
        self.token = token
        self.cache_alias = cache_alias
        self.builder = builder

    def __repr__(self) -> str:
        # As the dataclass it was: every field but the builder (the pydantic models of the spec).
        return (
            f"FaceContext(engine={self.engine!r}, app_name={self.app_name!r}, "
            f"token={self.token!r}, cache_alias={self.cache_alias!r})"
        )

    def _generation_key(self) -> str:
        from esi.http.store import hashed_key

        return hashed_key(self.cache_alias, "openapi-etag-generation", self.app_name)

    def etag_generation(self) -> str:
        """Return the app's current ETag generation (a new one forgets every ETag it was handed)."""
        from esi.http.store import cache_get

        return str(cache_get(self.cache_alias, self._generation_key()) or "")

    def new_etag_generation(self) -> None:
        """Start a new ETag generation for the app."""
        import uuid

        from esi.http.store import cache_set

        cache_set(self.cache_alias, self._generation_key(), uuid.uuid4().hex, None)

    def models(self) -> Any:
        """Return the pydantic model builder of the client's spec (importing pydantic now)."""
        if self.builder is None:
            from esi.lazy_spec import model_spec_of

            from .models import builder_for

            # The definitions of the operations built so far: the whole spec is never read for them.
            self.builder = builder_for(model_spec_of(self.engine.swagger_spec))
        return self.builder


class _Call(NamedTuple):
    params: dict[str, Any]
    bearer: str | None
    key_params: tuple[tuple[str, str], ...]


def _http_error(exc: Any) -> Exception:
    """Return the esi.exceptions error for a bravado HTTPError (or a limit error of the HTTP layer)."""
    response = getattr(exc, "response", None)
    status = int(getattr(exc, "status_code", 0) or 0)
    headers = dict(getattr(response, "headers", None) or {})
    data: Any = getattr(exc, "swagger_result", None)
    if data is None and response is not None:
        try:
            data = response.json()
        except Exception:
            data = getattr(response, "text", None)
    if status == 304:
        return HTTPNotModified(304, headers, None, response)
    if status == 420:
        reset = headers.get("X-ESI-Error-Limit-Reset") or headers.get("X-RateLimit-Reset")
        return ESIErrorLimitException(reset=float(reset) if reset else None)
    kind = HTTPServerError if status >= 500 else HTTPClientError
    return kind(status, headers, data, response)


class EsiOperation:
    """One ESI operation of the OpenAPI-era face; call it with its parameters, then ``result()``."""

    #: Validate a 2xx JSON body's bytes with ``validate_json``; False validates the engine's
    #: converted data with ``validate_python`` instead (the way of 10.1.0 before it; a
    #: benchmark's and a test's point of comparison).
    json_bodies: bool = True

    def __init__(self, engine_operation: Any, context: FaceContext) -> None:
        self._engine = engine_operation
        self._context = context
        #: bravado's operation (``operation_id``, ``op_spec``, ``params``).
        self.operation = engine_operation.operation
        self.token: Any = context.token
        self._kwargs: dict[str, Any] = {}

    def __call__(self, *args: Any, **kwargs: Any) -> EsiOperation:
        if args:
            raise TypeError(f"{self.operation.operation_id}() takes keyword arguments only")
        self._kwargs = dict(kwargs)
        return self

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.operation.operation_id}>"

    # -- what the operation needs ------------------------------------------------

    def required_scopes(self) -> list[str]:
        """Return the scopes this operation needs (empty for a public one)."""
        scopes: list[str] = []
        for requirement in self.operation.op_spec.get("security") or ():
            for names in requirement.values():
                scopes.extend(n for n in names if n not in scopes)
        return scopes

    def _param_name(self, name: str) -> str:
        params = self.operation.params
        if name in params:
            return name
        wanted = name.replace("-", "_").lower()
        for known in params:
            if known.replace("-", "_").lower() == wanted:
                return known
        if wanted == "accept_language":
            return "language"  # the engine maps it to the operation's language parameter
        return name

    def _body_name(self) -> str | None:
        return next((n for n, p in self.operation.params.items() if p.location == "body"), None)

    def _prepare(self, extra: Mapping[str, Any]) -> _Call:
        """Return the call's parameters and access token (this may refresh the token: database)."""
        kwargs = {**self._kwargs, **extra}
        token = kwargs.pop("token", None) or self.token
        body = kwargs.pop("body", None)
        params = {self._param_name(k): v for k, v in kwargs.items()}
        if body is not None:
            name = self._body_name()
            if name is None:
                raise ValueError(f"{self.operation.operation_id} takes no request body")
            params[name] = body
        key_params = tuple(sorted((k, repr(v)) for k, v in params.items()))
        return _Call(params, self._bearer(token), key_params)

    def _bearer(self, token: Any) -> str | None:
        if token is None:
            return None
        required = self.required_scopes()
        if not required:
            from django.conf import settings

            if not settings.DEBUG:
                raise ValueError(f"Token provided on public endpoint {self.operation.operation_id}")
            return None
        if isinstance(token, str):
            warnings.warn(
                "Passing an access token string is deprecated: its scopes cannot be checked. Pass a Token.",
                DeprecationWarning,
                stacklevel=4,
            )
            return token
        scopes = getattr(token, "scopes", None)
        if scopes is not None and hasattr(scopes, "values_list"):
            have = set(scopes.values_list("name", flat=True))
            missing = [s for s in required if s not in have]
            if missing:
                raise ValueError(f"Token Missing Scopes - {missing}")
        return str(token.valid_access_token())

    # -- sending -----------------------------------------------------------------

    @staticmethod
    def _headers(use_cache: bool, store_cache: bool, last_modified: datetime | None) -> dict[str, str]:
        headers: dict[str, str] = {}
        directives = [d for d, on in (("no-cache", not use_cache), ("no-store", not store_cache)) if on]
        if directives:
            headers["Cache-Control"] = ", ".join(directives)
        if last_modified is not None:
            headers["If-Modified-Since"] = last_modified.strftime("%a, %d %b %Y %H:%M:%S GMT")
        return headers

    def _fetch(self, call: _Call, headers: Mapping[str, str], **overrides: Any) -> tuple[Any, Any]:
        """Send one request through the engine; return ``(raw data, response)``."""
        return self._engine_call("result", call, headers, overrides)

    def _engine_call(
        self,
        method: str,
        call: _Call,
        headers: Mapping[str, str],
        overrides: Mapping[str, Any],
        run: Callable[[Any], Any] | None = None,
    ) -> Any:
        """Call the engine future's ``result`` or ``results`` (or ``run(future)``); raise esi.exceptions' errors."""
        from bravado.exception import HTTPError

        from esi.errors import ErrorLimitExceeded, RateLimitExceeded

        params = {**call.params, **overrides}
        try:
            future = self._engine(**params, token=call.bearer, _request_options={"headers": dict(headers)})
            future.request_config.also_return_response = True
            future.json_bodies = self.json_bodies
            return run(future) if run is not None else getattr(future, method)()
        except (ESIErrorLimitException, ESIBucketLimitException):
            raise
        except HTTPError as exc:
            raise _http_error(exc) from exc
        except ErrorLimitExceeded as exc:
            raise ESIErrorLimitException(reset=exc.retry_after, message=str(exc)) from exc
        except RateLimitExceeded as exc:
            raise ESIBucketLimitException(
                bucket=exc.group, reset=exc.retry_after or 0, message=str(exc)
            ) from exc

    def _etag_key(self, call: _Call, page: Any = None) -> str:
        from esi.http.store import hashed_key

        return hashed_key(
            self._context.cache_alias,
            "openapi-etag",
            self._context.app_name,
            self._context.etag_generation(),
            self.operation.operation_id,
            repr(call.key_params),
            "" if page is None else str(page),
        )

    def _seen(self, call: _Call, response: Any, page: Any = None) -> bool:
        """Remember the answer's ETag; return True when it is the one handed out last time."""
        from esi.http.store import cache_get, cache_set

        etag = response.headers.get("ETag")
        if not etag:
            return False
        key = self._etag_key(call, page)
        seen = cache_get(self._context.cache_alias, key) == etag
        cache_set(self._context.cache_alias, key, etag, ETAG_EXPIRY)
        return seen

    def _forget(self, call: _Call, page: Any = None) -> None:
        from esi.http.store import cache_set

        cache_set(self._context.cache_alias, self._etag_key(call, page), None, 1)

    def _convert(self, raw: Any) -> Any:
        """Return ``raw`` (the engine's data, or a JSONBody) as the pydantic models of the response schema."""
        from pydantic import ValidationError

        from esi.errors import ResponseValidationError
        from esi.unmarshal import JSONBody

        adapter = self._adapter()
        if adapter is None:
            return raw.convert() if isinstance(raw, JSONBody) else raw
        if isinstance(raw, JSONBody):
            try:
                return adapter.validate_json(raw.content, strict=True)
            except ValidationError:
                # Decoded and checked by the engine: what the models refuse raises as before.
                raw = raw.convert()
        try:
            return adapter.validate_python(raw)
        except ValidationError as exc:
            raise ResponseValidationError(f"{self.operation.operation_id}: {exc}") from exc

    def _adapter(self) -> Any:
        """Return the TypeAdapter of the operation's response schema (None when it has none)."""
        schema = self._response_schema()
        if schema is None:
            return None
        ref = schema.get("$ref", "")
        name = ref.rsplit("/", 1)[-1] if ref else f"{self.operation.operation_id}Response"
        return self._context.models().adapter(schema, name)

    def _response_schema(self) -> Mapping[str, Any] | None:
        responses = self.operation.op_spec.get("responses") or {}
        for status in sorted(responses):
            if str(status).startswith("2") and isinstance(responses[status], Mapping):
                schema = responses[status].get("schema")
                return schema if isinstance(schema, Mapping) else None
        return None

    def _is_paged(self) -> bool:
        return "page" in self.operation.params

    def _is_cursor(self) -> bool:
        return self.operation.op_spec.get("x-pagination") == "cursor"

    # -- the calls, on a prepared token ------------------------------------------

    def _result(
        self, call: _Call, use_etag: bool, force_refresh: bool, headers: Mapping[str, str]
    ) -> tuple[Any, Any]:
        if force_refresh:
            self._forget(call)
        raw, response = self._fetch(call, headers)
        if use_etag and self._seen(call, response):
            raise HTTPNotModified(304, dict(response.headers), None, response)
        return self._convert(raw), response

    def _remembered(self, call: _Call, response: Any, page: int) -> bool:
        """Return True when the answer's ETag is the one handed out last time (remembering nothing)."""
        from esi.http.store import cache_get

        etag = response.headers.get("ETag")
        return bool(etag) and cache_get(self._context.cache_alias, self._etag_key(call, page)) == etag

    def _paged(
        self, call: _Call, headers: Mapping[str, str], use_etag: bool, force_refresh: bool
    ) -> tuple[list[Any], Any]:
        """Return the models of every page of one generation, and the last page's response.

        The engine fetches the pages (pages 2..N concurrently, settled by
        :func:`esi.pages.settle`); each page's models are built in the calling
        thread as the page arrives, while the others are on their way. Under
        ``use_etag``, as long as every page so far carries the ETag handed out
        last time (HTTPNotModified coming), none is built until one does not.
        HTTPNotModified is raised only when every page is unchanged.
        """
        models: dict[int, tuple[Any, Any]] = {}  # page: (its raw data, its models)
        waiting: dict[int, Any] = {}  # pages arrived whose models are not built yet
        eager = [not use_etag or force_refresh]

        def on_page(number: int, raw: Any, response: Any) -> None:
            waiting[number] = raw
            if not eager[0] and not self._remembered(call, response, number):
                eager[0] = True
            if eager[0]:
                for page, data in waiting.items():
                    models[page] = (data, self._convert(data))
                waiting.clear()

        settled = self._engine_call(
            "results",
            call,
            headers,
            {},
            run=lambda future: future._settled_pages({}, None, on_page),
        )
        pages = [settled[n][:2] for n in sorted(settled)]
        if force_refresh:
            for page in range(1, len(pages) + 1):
                self._forget(call, page)
        if use_etag:
            unchanged = [self._seen(call, response, n) for n, (_, response) in enumerate(pages, 1)]
            if all(unchanged):
                response = pages[-1][1]
                raise HTTPNotModified(304, dict(response.headers), None, response)
        items: list[Any] = []
        for number, (raw, _) in enumerate(pages, 1):
            known = models.get(number)
            converted = known[1] if known is not None and known[0] is raw else self._convert(raw)
            items.extend(converted if isinstance(converted, list) else [converted])
        return items, pages[-1][1]

    def _cursor(self, call: _Call, headers: Mapping[str, str]) -> tuple[list[Any], Any]:
        raw, response = self._engine_call("results", call, headers, {})
        converted = self._convert(raw)
        return (converted if isinstance(converted, list) else [converted]), response

    def _accepted_languages(self) -> list[str]:
        from esi.operations import _language_param

        name = _language_param(self.operation.params)
        if name is None:
            raise ValueError(f"{self.operation.operation_id} has no language parameter")
        spec = self.operation.swagger_spec.deref(self.operation.params[name].param_spec)
        return [str(e) for e in spec.get("enum") or (spec.get("items") or {}).get("enum") or []]

    def _languages(self, languages: Iterable[str] | str | None) -> list[str]:
        allowed = list(app_settings.ESI_LANGUAGES or self._accepted_languages())
        if not languages:
            return allowed
        wanted = [languages] if isinstance(languages, str) else list(dict.fromkeys(languages))
        for language in wanted:
            if language not in allowed:
                raise ValueError(f"Invalid or Not Supported Language Code: {language}")
        return wanted

    # -- public ------------------------------------------------------------------

    def result(
        self,
        use_etag: bool = True,
        return_response: bool = False,
        force_refresh: bool = False,
        use_cache: bool = True,
        store_cache: bool = True,
        last_modified: datetime | None = None,
        **extra: Any,
    ) -> Any:
        """Return the answer as models; ``(data, response)`` with ``return_response=True``.

        Raise HTTPNotModified under ``use_etag`` when the answer is the one
        handed out last time, HTTPClientError / HTTPServerError for 4xx / 5xx,
        ESIErrorLimitException / ESIBucketLimitException when a limit is spent.
        """
        headers = self._headers(use_cache and not force_refresh, store_cache, last_modified)
        data, response = self._result(self._prepare(extra), use_etag, force_refresh, headers)
        return (data, response) if return_response else data

    def results(
        self,
        use_etag: bool = True,
        return_response: bool = False,
        force_refresh: bool = False,
        use_cache: bool = True,
        store_cache: bool = True,
        last_modified: datetime | None = None,
        **extra: Any,
    ) -> Any:
        """Return every page's items as one list (a non-paged answer is a list of one).

        Pages 2..N (``X-Pages``) are fetched concurrently; HTTPNotModified only
        when every page is unchanged under ``use_etag``.
        """
        call = self._prepare(extra)
        headers = self._headers(use_cache and not force_refresh, store_cache, last_modified)
        if self._is_cursor():
            items, response = self._cursor(call, headers)
        elif self._is_paged():
            items, response = self._paged(call, headers, use_etag, force_refresh)
        else:
            data, response = self._result(call, use_etag, force_refresh, headers)
            items = data if isinstance(data, list) else [data]
        return (items, response) if return_response else items

    def results_localized(
        self, languages: Iterable[str] | str | None = None, **kwargs: Any
    ) -> dict[str, Any]:
        """Return ``results()`` for each language (default ``ESI_LANGUAGES``), fetched concurrently."""
        from esi.pages import map_concurrently

        wanted = self._languages(languages)
        found = map_concurrently(lambda lang: self.results(accept_language=lang, **kwargs), wanted)
        return dict(zip(wanted, found, strict=True))
