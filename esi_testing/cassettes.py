"""Turn recordings into data packs, so recorded data becomes stateful fake data.

Two ways in:

* :func:`cassettes_to_pack`: vcrpy cassettes (recorded with
  :mod:`esi_testing.recording`) become a data pack that the fake ESI serves
  (``python -m esi_testing cassettes-to-data CASSETTE... --out PACK``);
* :class:`RecordingProxy`: a WSGI app in front of the fake that forwards what the
  fake has no record of to a real ESI (or anything speaking ESI), keeps the answer
  as a record, saves the pack, and answers from the fake
  (``python -m esi_testing serve --record-from https://esi.evetech.net --record-to PACK``).

Only ESI traffic becomes data: SSO exchanges (``/v2/oauth/...``, ``/oauth/jwks``,
``/.well-known/...``) are left out, and so are answers that carry no JSON body.
No header is kept but ``X-Pages`` of a recorded page, so nothing secret reaches a pack.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import requests

__all__ = ["ConversionReport", "RecordingProxy", "cassettes_to_pack"]

SSO_PATHS = ("/v2/oauth/", "/oauth/", "/.well-known/", "/_fake/")
# Hop-by-hop and secret-free: what the proxy forwards upstream.
_FORWARD_HEADERS = ("authorization", "accept-language", "x-compatibility-date", "x-tenant", "content-type")


@dataclass
class ConversionReport:
    """What :func:`cassettes_to_pack` kept and left out, and why."""

    kept: int = 0
    skipped: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        lines = [f"{self.kept} records kept, {len(self.skipped)} interactions left out"]
        lines += [f"  left out: {reason}" for reason in self.skipped]
        return "\n".join(lines)


def _header(headers: Any, name: str) -> str | None:
    for key, value in (headers or {}).items():
        if key.lower() == name:
            return value[0] if isinstance(value, list) else value
    return None


def _json_body(raw: Any) -> Any:
    if isinstance(raw, bytes):
        raw = raw.decode("utf-8")
    if raw in (None, ""):
        return None
    return json.loads(raw)


def _interactions(path: Path) -> Iterator[tuple[Any, dict[str, Any]]]:
    from vcr.persisters.filesystem import FilesystemPersister
    from vcr.serializers import yamlserializer

    serializer: Any = yamlserializer
    if path.suffix == ".json":
        from vcr.serializers import jsonserializer

        serializer = jsonserializer
    requests_, responses = FilesystemPersister.load_cassette(str(path), serializer)
    yield from zip(requests_, responses, strict=True)


def cassettes_to_pack(
    paths: Sequence[str | os.PathLike[str]], snapshot: Any = None
) -> tuple[Any, ConversionReport]:
    """Return the data pack of the ESI answers in the cassettes, and a report.

    ``snapshot`` is what the fake would serve (a route, a date, a list; default:
    ``latest`` and the newest compatibility date): it names the operations and
    types the parameters.
    """
    from esi_testing.fake.backend import FakeBackend
    from esi_testing.fake.datapack import DataPack
    from esi_testing.fake.routes import RouteNotFound

    backend = FakeBackend(**({"snapshot": snapshot} if snapshot is not None else {}), data=[])
    pack = DataPack()
    report = ConversionReport()
    for path in map(Path, paths):
        if not path.exists():
            raise FileNotFoundError(f"cassette {path} does not exist")
        for request, response in _interactions(path):
            where = f"{path.name}: {request.method} {request.uri}"
            if urlsplit(request.uri).path.startswith(SSO_PATHS):
                report.skipped.append(f"{where} (SSO)")
                continue
            try:
                body = _json_body((response.get("body") or {}).get("string"))
            except ValueError:
                report.skipped.append(f"{where} (answer is not JSON)")
                continue
            try:
                record = backend.record_from_exchange(
                    request.method,
                    request.uri,
                    status=int(response["status"]["code"]),
                    body=body,
                    headers={k: (v[0] if isinstance(v, list) else v) for k, v in response["headers"].items()},
                    request_body=request.body,
                    language=_header(request.headers, "accept-language"),
                    compatibility_date=_header(request.headers, "x-compatibility-date"),
                )
            except RouteNotFound:
                report.skipped.append(f"{where} (no operation of the snapshot serves it)")
                continue
            pack.add(record)
            report.kept += 1
    return pack, report


class RecordingProxy:
    """WSGI app: the fake answers what it has; the rest is fetched upstream and kept.

    ``fake`` is a :class:`~esi_testing.FakeESI` (best ``strict=True``, so that
    nothing is generated); ``upstream`` the base URL of the real ESI; ``out`` where
    the recorded pack is saved (a ``.json`` file or a directory) after each new record.
    Paged lists are fetched whole (every ``X-Pages`` page) and kept as one record.
    """

    def __init__(
        self,
        fake: Any,
        upstream: str,
        out: str | os.PathLike[str],
        session: requests.Session | None = None,
        timeout: float = 30.0,
        inner: Any = None,
    ) -> None:
        from esi_testing.fake.datapack import DataPack

        self.fake = fake
        #: The app that answers once the data is there (the fake's, unless wrapped).
        self.inner = inner if inner is not None else fake.app
        self.upstream = upstream.rstrip("/")
        self.out = Path(out)
        self.session = session or requests.Session()
        self.timeout = timeout
        self.recorded = DataPack()
        self._lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        from werkzeug.wrappers import Request

        request = Request(environ)
        if not request.path.startswith(SSO_PATHS):
            self._record_if_missing(request)
        return self.inner(environ, start_response)

    def _record_if_missing(self, request: Any) -> None:
        from esi_testing.fake.datapack import NON_DATA_PARAMS
        from esi_testing.fake.routes import RouteNotFound

        backend = self.fake.backend
        date = request.headers.get("X-Compatibility-Date")
        try:
            route, raw_path = backend.route_for(request.method, request.path, date)
        except RouteNotFound:
            return  # the fake answers 404 as ESI does
        params: dict[str, Any] = dict(raw_path)
        params.update({k: v for k, v in request.args.items() if k not in NON_DATA_PARAMS})
        language = request.args.get("language") or request.headers.get("Accept-Language")
        if backend.lookup(route, params, language if route.localized else None) is not None:
            return
        with self._lock:
            if backend.lookup(route, params, language if route.localized else None) is not None:
                return
            record = self._fetch(request, route, language, date)
            if record is not None:
                backend.add_data(record.to_dict())
                self.recorded.add(record)
                self.recorded.save(self.out)

    def _fetch(self, request: Any, route: Any, language: str | None, date: str | None) -> Any:
        headers = {k: v for k, v in request.headers.items() if k.lower() in _FORWARD_HEADERS}
        query = [(k, v) for k, v in request.args.items(multi=True) if k != "page"]
        url = f"{self.upstream}{request.path}"
        body = request.get_data() or None
        answer = self.session.request(
            request.method, url, params=query, headers=headers, data=body, timeout=self.timeout
        )
        try:
            data = answer.json() if answer.content else None
        except ValueError:
            return None
        pages = int(answer.headers.get("X-Pages", "1") or 1)
        if route.paged and pages > 1 and isinstance(data, list):
            for page in range(2, pages + 1):
                more = self.session.request(
                    request.method,
                    url,
                    params=[*query, ("page", str(page))],
                    headers=headers,
                    data=body,
                    timeout=self.timeout,
                )
                more.raise_for_status()
                data.extend(more.json())
        return self.fake.backend.record_from_exchange(
            request.method,
            url + ("?" + urlencode(query) if query else ""),
            status=answer.status_code,
            body=data,
            headers={},
            request_body=body,
            language=language,
            compatibility_date=date,
        )
