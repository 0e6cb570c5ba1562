"""Check and convert ESI response bodies fast, with the types bravado-core gives.

bravado-core checks a response with jsonschema and then unmarshals it by walking
the schema for every value; on a 1000-order market page that costs some 20
times the HTTP request and JSON decoding together (``bench/per_call.py``). This
module compiles each response schema once
into Python source (one function per object or array schema, primitives inlined)
that checks and converts the decoded JSON *in place*:

* types (``integer``, ``number``, ``string``, ``boolean``, ``array``, ``object``),
  ``required``, ``enum``, ``x-nullable``, ``minimum``/``maximum``,
  ``minItems``/``maxItems``/``uniqueItems``, ``minLength``/``maxLength``,
  ``pattern`` and ``additionalProperties``, as bravado-core's validator does;
* formats as bravado-core unmarshals them: ``date-time`` to an aware
  :class:`~datetime.datetime`, ``date`` to a :class:`~datetime.date`,
  ``float``/``double`` to :class:`float`; other formats through the spec's own
  formatters;
* missing properties filled with their default or ``None`` when the spec's
  ``include_missing_properties`` is on (bravado-core's default);
* a subtree using anything else (``allOf``, ``multipleOf``, ...) is handed to
  bravado-core's own validation and unmarshalling, so results never differ.

A mismatch raises :class:`esi.errors.ResponseValidationError` (where bravado-core
raises jsonschema's ``ValidationError``) naming the JSON path, the expectation
and the value, for example
``response of get_markets_region_id_orders: $[17].price: expected number, got 'abc'``.

Intended differences: a UTC date-time gets ``dateutil.tz.tzutc()`` as its
``tzinfo``. bravado-core's ``dateutil.parser.parse`` gives the same instant, but
with ``tzlocal()`` when the process' local zone is named UTC (as Django makes it
with ``TIME_ZONE = "UTC"``) and ``tzutc()`` otherwise; we give the latter always.
And an error response (non-2xx) whose body breaks its schema raises its HTTP
error, not a validation error (see :func:`handle_response`).

How the client uses it (:mod:`esi.operations` does this): build the bravado
client with ``config={"validate_responses": False, "use_models": False, ...}``
and let the future hand each response to :func:`handle_response` instead of
bravado's ``bravado.http_future.unmarshal_response`` (same signature)::

    from bravado.http_future import HttpFuture, reraise_errors
    from esi.unmarshal import handle_response

    class EsiHttpFuture(HttpFuture):
        @reraise_errors
        def _get_swagger_result(self, incoming_response):
            if self.operation is None:
                return None
            handle_response(incoming_response, self.operation, self.request_config.response_callbacks)
            return incoming_response.swagger_result

:func:`unmarshal_response` is the part that turns one response into data, and
:func:`converter_for_operation` gives the compiled converter itself (cached per
operation and status code; ``converter.source`` shows the generated code). A
converter owns the value it is given: pass freshly decoded JSON, never a value
that is kept elsewhere.

:func:`json_body` is the way round all of it for a caller that validates the
body itself (the OpenAPI-era face, with pydantic's ``validate_json``): a 2xx
UTF-8 JSON body with a schema comes back as a :class:`JSONBody`, its bytes
neither decoded nor converted, with ``convert()`` to do both as above when the
caller cannot use the bytes.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable
from typing import Any

from bravado.http_future import raise_on_expected, raise_on_unexpected
from bravado_core.content_type import APP_JSON, APP_MSGPACK
from bravado_core.exception import MatchingResponseNotFound
from bravado_core.response import get_response_spec
from requests.structures import CaseInsensitiveDict
from requests.utils import get_encoding_from_headers

from esi.errors import ResponseValidationError
from esi.unmarshal.compiler import Converter, compile_converter
from esi.unmarshal.dates import parse_date, parse_date_time

__all__ = [
    "Converter",
    "JSONBody",
    "compile_converter",
    "converter_for_operation",
    "handle_response",
    "json_body",
    "parse_date",
    "parse_date_time",
    "unmarshal_response",
]


_converters: weakref.WeakKeyDictionary[Any, dict[int, Converter | None]] = weakref.WeakKeyDictionary()
_lock = threading.Lock()


def converter_for_operation(operation: Any, status_code: int) -> Converter | None:
    """Return the converter of a bravado-core ``Operation``'s response, or None when it has no schema.

    Compiled on first use, then cached per operation and status code. Raises bravado-core's
    ``MatchingResponseNotFound`` when the spec has no response for ``status_code``.
    """
    try:
        return _converters[operation][status_code]
    except KeyError:
        pass
    response_spec = get_response_spec(status_code, operation)
    converter = None
    if "schema" in response_spec:
        converter = compile_converter(operation.swagger_spec, response_spec["schema"], operation.operation_id)
    with _lock:
        _converters.setdefault(operation, {})[status_code] = converter
    return converter


def unmarshal_response(incoming_response: Any, operation: Any) -> Any:
    """Return the body of a bravado ``IncomingResponse`` as checked, converted data.

    A drop-in for ``bravado.http_future.unmarshal_response_inner`` with bravado-core's
    validation replaced by the compiled converter.
    """
    converter = converter_for_operation(operation, incoming_response.status_code)
    if converter is None:
        return None
    content_type = incoming_response.headers.get("content-type", "").lower()
    if content_type.startswith(APP_JSON):
        return converter(incoming_response.json())
    if content_type.startswith(APP_MSGPACK):
        from msgpack import unpackb

        return converter(unpackb(incoming_response.raw_bytes))
    if content_type.startswith("application"):
        return incoming_response.raw_bytes
    return incoming_response.text


# Not a dataclass: one compiles its methods with exec in every process that imports it (issue 13).
# Not a named tuple either: it is a page's data, where a tuple would pass for data.
class JSONBody:
    """A 2xx JSON body handed over as it came: its bytes, neither decoded nor converted.

    Immutable; two bodies are equal only when they are the same object.
    """

    __slots__ = ("content", "convert")

    #: The body, UTF-8 JSON (not checked yet: a malformed body is found by whoever reads it).
    content: bytes
    #: Return the body decoded and converted, as :func:`unmarshal_response` does (and raise what it raises).
    convert: Callable[[], Any]

    def __init__(self, content: bytes, convert: Callable[[], Any]) -> None:
        object.__setattr__(self, "content", content)
        object.__setattr__(self, "convert", convert)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"cannot assign to field {name!r}: a JSONBody is immutable")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"cannot delete field {name!r}: a JSONBody is immutable")

    def __repr__(self) -> str:
        return f"JSONBody(content={self.content!r}, convert={self.convert!r})"


_UTF8 = ("utf-8", "utf8")


def json_body(incoming_response: Any, operation: Any, convert: Callable[[], Any]) -> JSONBody | None:
    """Return a 2xx response's body as a :class:`JSONBody`, or None when it must be converted.

    Only a body with a schema, of content type ``application/json`` (as
    :func:`unmarshal_response` decodes it) in UTF-8 (no charset, or
    ``charset=utf-8``). Anything else - another status, no schema, another
    charset, msgpack - is for :func:`handle_response`. ``convert`` becomes
    the body's ``convert()``.
    """
    status = incoming_response.status_code
    if not 200 <= status < 300:
        return None
    try:
        if converter_for_operation(operation, status) is None:
            return None
    except MatchingResponseNotFound:
        return None  # handle_response raises the spec's own error for it
    content_type = incoming_response.headers.get("content-type", "")
    if not content_type.lower().startswith(APP_JSON):
        return None
    charset = get_encoding_from_headers(CaseInsensitiveDict({"content-type": content_type})) or "utf-8"
    if charset.lower() not in _UTF8:
        return None
    return JSONBody(incoming_response.raw_bytes, convert)


def handle_response(
    incoming_response: Any,
    operation: Any,
    response_callbacks: list[Callable[[Any, Any], None]] | None = None,
) -> None:
    """Set ``incoming_response.swagger_result``, raising bravado's HTTP errors as bravado does.

    Same signature and behaviour as ``bravado.http_future.unmarshal_response``, with
    :func:`unmarshal_response` doing the unmarshalling; a non-2xx response whose body does
    not match its schema raises its HTTP error, with the body as sent in ``swagger_result``.
    """
    from bravado.exception import make_http_exception

    try:
        raise_on_unexpected(incoming_response)
        try:
            incoming_response.swagger_result = unmarshal_response(incoming_response, operation)
        except ResponseValidationError:
            if 200 <= incoming_response.status_code < 300:
                raise
            # An error whose body breaks its schema is still that HTTP error (bravado-core would
            # raise its ValidationError instead): keep the body as sent.
            incoming_response.swagger_result = _body_as_sent(incoming_response)
    except MatchingResponseNotFound as e:
        raise make_http_exception(response=incoming_response, message=str(e)) from e
    finally:
        for callback in response_callbacks or ():
            callback(incoming_response, operation)
    raise_on_expected(incoming_response)


def _body_as_sent(incoming_response: Any) -> Any:
    try:
        return incoming_response.json()
    except ValueError:
        return incoming_response.text
