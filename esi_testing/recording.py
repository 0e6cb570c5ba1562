"""Record real ESI and EVE SSO traffic into vcrpy cassettes, secrets scrubbed.

Recording goes through vcrpy; this module is its configuration for ESI:

* the default record mode is ``"none"``: a test replays its cassette and never
  reaches the network, and a missing cassette fails with
  :class:`CassetteNotFound`, whose message says how to record it;
* every secret is scrubbed *before* anything is written, and the same scrubbing
  runs on each request before it is matched, so replay still matches:

  - request headers ``Authorization``, ``Cookie``, ``X-CSRFToken``; response
    ``Set-Cookie``;
  - query parameters and form fields ``code``, ``client_secret``,
    ``code_verifier``, ``token``, ``refresh_token``, ``access_token``,
    ``state``, ``client_assertion`` (see :data:`SECRET_FIELDS`), also in the
    URLs of the ``Location``, ``Content-Location``, ``Refresh`` and ``Referer``
    headers (the SSO's redirect to the callback carries the code and the state),
    in URLs and hidden form fields of HTML bodies (a consent page), and in a
    URL's fragment;
  - any secret value the request carried, wherever the response repeats it;
  - in SSO JSON bodies, ``refresh_token`` and ``id_token`` become
    placeholders, and ``access_token`` (a JWT) is signed again with the replay
    key that ships in this package (:data:`REPLAY_KEY_PATH`, a test-only key,
    not a secret) keeping its claims, with ``exp`` moved to 2100 so that a
    replay next year still validates; JWKS documents are replaced by the replay
    key's JWKS, so django-esi validates the replayed tokens as it does live ones;

* requests are matched on method, path, query and body (all scrubbed).

Use::

    from esi_testing.recording import esi_vcr
    with esi_vcr("tests/cassettes").use_cassette("character.yaml"):
        ...

or :func:`use_cassette`, which adds the :class:`CassetteNotFound` check. The
pytest plugin's ``esi_vcr`` fixture and ``esi_cassette`` marker wrap these.
"""

from __future__ import annotations

import json
import os
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import jwt
import vcr
from jwt.algorithms import RSAAlgorithm

__all__ = [
    "PLACEHOLDER",
    "RECORD_MODES",
    "REPLAY_KEY_ID",
    "REPLAY_KEY_PATH",
    "SECRET_FIELDS",
    "SECRET_HEADERS",
    "URL_HEADERS",
    "CassetteNotFound",
    "esi_vcr",
    "replay_jwks",
    "scrub_request",
    "scrub_response",
    "use_cassette",
    "vcr_config",
]

RECORD_MODES = ("none", "once", "new_episodes", "all")
SECRET_HEADERS = ("authorization", "cookie", "proxy-authorization", "x-csrftoken")
SECRET_RESPONSE_HEADERS = ("set-cookie",)
#: Headers holding a URL whose query and fragment are scrubbed.
URL_HEADERS = ("location", "content-location", "refresh", "referer")
SECRET_FIELDS = (
    "access_token",
    "client_assertion",
    "client_secret",
    "code",
    "code_verifier",
    "id_token",
    "refresh_token",
    "state",
    "token",
)
#: The value every scrubbed field takes: ``<SCRUBBED:name>``.
PLACEHOLDER = "<SCRUBBED:{name}>"
REPLAY_KEY_PATH = Path(__file__).with_name("replay_key.pem")
REPLAY_KEY_ID = "esi-testing-replay"
_REPLAY_EXP = 4102444800  # 2100-01-01
_SECRET_NAMES = "|".join(SECRET_FIELDS)
# name=value in a URL's query or fragment (also HTML-escaped: &amp;name=value)
_URL_FIELD = re.compile(rf"(?<=[?&#;])({_SECRET_NAMES})=([^&#\s\"'<>]*)", re.I)
# <input ... name="state" ... value="...">, either order
_INPUT_FIELD = re.compile(
    rf"""(<input\b[^>]*?\bname=["']({_SECRET_NAMES})["'][^>]*?\bvalue=["'])([^"']*)"""
    rf"""|(<input\b[^>]*?\bvalue=["'])([^"']*)(["'][^>]*?\bname=["']({_SECRET_NAMES})["'])""",
    re.I,
)
_SHORTEST_SECRET = 8  # a value this long that a request carried is scrubbed from its response
_recent = threading.local()  # the secret values of the request being recorded on this thread


class CassetteNotFound(FileNotFoundError):
    """A cassette to replay does not exist (record mode ``"none"``)."""


def _placeholder(name: str) -> str:
    return PLACEHOLDER.format(name=name)


def _seen(value: Any) -> None:
    if isinstance(value, str) and len(value) >= _SHORTEST_SECRET:
        values = getattr(_recent, "values", None)
        if values is not None:
            values.add(value)


def _scrub_pairs(pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    for k, v in pairs:
        if k.lower() in SECRET_FIELDS:
            _seen(v)
    return [(k, _placeholder(k) if k.lower() in SECRET_FIELDS else v) for k, v in pairs]


def _scrub_uri(uri: str) -> str:
    parts = urlsplit(uri)
    if not parts.query and not parts.fragment:
        return uri
    query = urlencode(_scrub_pairs(parse_qsl(parts.query, keep_blank_values=True)), safe="<>:")
    return urlunsplit(parts._replace(query=query, fragment=_scrub_text(parts.fragment, "#")[1:]))


def _scrub_text(text: str, prefix: str = "") -> str:
    """Return ``text`` with the secret fields of every URL and hidden input in it scrubbed."""

    def url_field(match: re.Match[str]) -> str:
        _seen(match.group(2))
        return f"{match.group(1)}={_placeholder(match.group(1).lower())}"

    def input_field(match: re.Match[str]) -> str:
        if match.group(1) is not None:
            return match.group(1) + _placeholder(match.group(2).lower())
        return match.group(4) + _placeholder(match.group(7).lower()) + match.group(6)

    text = _URL_FIELD.sub(url_field, prefix + text)
    return _INPUT_FIELD.sub(input_field, text)


def _scrub_request_body(body: bytes | str | None, content_type: str) -> bytes | str | None:
    if not body:
        return body
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    if "json" in content_type or text[:1] in "{[":
        try:
            data = json.loads(text)
        except ValueError:
            pass
        else:
            scrubbed = json.dumps(_scrub_json(data), sort_keys=True)
            return scrubbed.encode() if isinstance(body, bytes) else scrubbed
    if "=" in text and " " not in text.strip():
        scrubbed = urlencode(_scrub_pairs(parse_qsl(text, keep_blank_values=True)), safe="<>:")
        return scrubbed.encode() if isinstance(body, bytes) else scrubbed
    return body


def _scrub_json(data: Any) -> Any:
    if isinstance(data, dict):
        out = {}
        for key, value in data.items():
            if key == "access_token" and isinstance(value, str):
                out[key] = resign_access_token(value)
            elif key.lower() in SECRET_FIELDS and isinstance(value, str):
                _seen(value)
                out[key] = _placeholder(key)
            else:
                out[key] = _scrub_json(value)
        return out
    if isinstance(data, list):
        return [_scrub_json(v) for v in data]
    return data


def scrub_request(request: Any) -> Any:
    """Return a vcrpy request with every secret replaced by a placeholder."""
    # vcrpy scrubs the request just before its response: what it held is kept for that.
    _recent.values = set()
    for name in list(request.headers):
        if name.lower() in SECRET_HEADERS:
            value = request.headers[name]
            _seen(value)
            _seen(str(value).split(" ", 1)[-1])  # the credentials after "Bearer " or "Basic "
            request.headers[name] = _placeholder(name.lower())
        elif name.lower() in URL_HEADERS:
            request.headers[name] = _scrub_uri(str(request.headers[name]))
    request.uri = _scrub_uri(request.uri)
    content_type = next((v for k, v in request.headers.items() if k.lower() == "content-type"), "")
    request.body = _scrub_request_body(request.body, str(content_type))
    return request


def scrub_response(response: dict[str, Any]) -> dict[str, Any]:
    """Return a vcrpy response with tokens scrubbed and JWKS replaced (see module docs)."""
    headers = response.get("headers") or {}
    carried = sorted(getattr(_recent, "values", ()), key=len, reverse=True)
    _recent.values = None
    for name in list(headers):
        if name.lower() in SECRET_RESPONSE_HEADERS:
            headers[name] = [_placeholder(name.lower())]
        elif name.lower() in URL_HEADERS:
            headers[name] = [_repeated(_scrub_text(str(v)), carried) for v in headers[name]]
        else:
            headers[name] = [_repeated(str(v), carried) for v in headers[name]]
    body = response.get("body") or {}
    raw = body.get("string")
    if not raw:
        return response
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
    try:
        data = json.loads(text)
    except ValueError:
        scrubbed = _repeated(_scrub_text(text), carried)
        if scrubbed != text:
            _set_body(response, raw, scrubbed)
        return response
    if (
        isinstance(data, dict)
        and isinstance(data.get("keys"), list)
        and any("kty" in k for k in data["keys"])
    ):
        data = replay_jwks()
    else:
        data = _scrub_json(data)
    _set_body(response, raw, _repeated(json.dumps(data), carried))
    return response


def _repeated(text: str, carried: list[str]) -> str:
    """Return ``text`` without the secret values its request carried."""
    for value in carried:
        if value in text:
            text = text.replace(value, _placeholder("repeated"))
    return text


def _set_body(response: dict[str, Any], raw: bytes | str, text: str) -> None:
    response["body"]["string"] = text.encode() if isinstance(raw, bytes) else text
    for name in list(response.get("headers") or {}):
        if name.lower() == "content-length":
            response["headers"][name] = [str(len(text.encode()))]


@lru_cache(maxsize=1)
def _replay_key() -> Any:
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    return load_pem_private_key(REPLAY_KEY_PATH.read_bytes(), password=None)


def replay_jwks() -> dict[str, Any]:
    """Return the JWKS of the replay key (what replayed SSO traffic is signed with)."""
    jwk = json.loads(RSAAlgorithm.to_jwk(_replay_key().public_key()))
    jwk.update({"kid": REPLAY_KEY_ID, "alg": "RS256", "use": "sig"})
    return {"keys": [jwk], "SkipUnresolvedJsonWebKeys": True}


def resign_access_token(token: str) -> str:
    """Return ``token`` with the same claims, ``exp`` in 2100, signed with the replay key.

    A value that is not a JWT becomes a placeholder.
    """
    try:
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        return _placeholder("access_token")
    claims["exp"] = _REPLAY_EXP
    return jwt.encode(claims, _replay_key(), algorithm="RS256", headers={"kid": REPLAY_KEY_ID})


def vcr_config(**overrides: Any) -> dict[str, Any]:
    """Return the keyword arguments of :class:`vcr.VCR` for ESI (overrides win)."""
    config: dict[str, Any] = {
        "record_mode": "none",
        "match_on": ["method", "path", "query", "body"],
        "before_record_request": scrub_request,
        "before_record_response": scrub_response,
        "decode_compressed_response": True,
        "serializer": "yaml",
    }
    config.update(overrides)
    if config["record_mode"] not in RECORD_MODES:
        raise ValueError(
            f"record_mode must be one of {', '.join(RECORD_MODES)}, not {config['record_mode']!r}"
        )
    return config


def esi_vcr(cassette_library_dir: str | os.PathLike[str] | None = None, **overrides: Any) -> vcr.VCR:
    """Return a :class:`vcr.VCR` configured for ESI (see :func:`vcr_config`)."""
    if cassette_library_dir is not None:
        overrides["cassette_library_dir"] = os.fspath(cassette_library_dir)
    return vcr.VCR(**vcr_config(**overrides))


@contextmanager
def use_cassette(
    path: str | os.PathLike[str],
    record_mode: str = "none",
    **overrides: Any,
) -> Iterator[Any]:
    """Replay (or record) the cassette at ``path``; fail clearly when it is missing."""
    path = Path(path)
    if record_mode == "none" and not path.exists():
        raise CassetteNotFound(
            f"cassette {path} does not exist and the record mode is 'none', so nothing may "
            f"reach the network. Record it once against the live ESI (or a fake) with "
            f"`pytest --esi-record-mode=once`, or use_cassette(..., record_mode='once'), "
            f"then commit the file: its secrets are scrubbed."
        )
    recorder = esi_vcr(record_mode=record_mode, **overrides)
    with ExitStack() as stack:
        if record_mode != "none":
            stack.enter_context(_one_request_at_a_time())
        yield stack.enter_context(recorder.use_cassette(os.fspath(path)))


@contextmanager
def _one_request_at_a_time() -> Iterator[None]:
    # vcrpy loses interactions that are recorded from several threads at once
    # (kevin1024/vcrpy#849), and results() fetches pages concurrently: while
    # recording, requests go one at a time. Replaying needs no lock.
    from unittest import mock

    from requests.adapters import HTTPAdapter

    lock = threading.RLock()
    send = HTTPAdapter.send

    def locked_send(self: HTTPAdapter, *args: Any, **kwargs: Any) -> Any:
        with lock:
            return send(self, *args, **kwargs)

    with mock.patch.object(HTTPAdapter, "send", locked_send):
        yield


def scrubbers() -> tuple[Callable[[Any], Any], Callable[[dict[str, Any]], dict[str, Any]]]:
    """Return the request and response scrubbers, for a custom vcrpy setup."""
    return scrub_request, scrub_response
