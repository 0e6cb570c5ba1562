"""The fake ESI's state, without HTTP (moto's ``models.py``).

:class:`FakeBackend` holds everything the WSGI app (:mod:`esi_testing.fake.app`)
needs to answer like ESI: the route tables of the snapshots it serves, the data
pack, the error-limit and rate-limit counters, injected faults, a journal of
requests, and the fake SSO whose keys sign the access tokens it accepts.

    backend = FakeBackend(snapshot=("latest", "2025-12-16"), strict=False, page_size=1000)
    backend.add_data({"operation": "get_status", "body": {"players": 1, ...}})
    backend.add_fault(operation="get_status", status=503, times=2)
    backend.journal          # [JournalEntry, ...]
    backend.reset()          # data, faults, counters and journal back to the start

The SSO contract: ``sso`` is the fake SSO's state
(:class:`esi_testing.fake.sso.FakeSSO`, or anything with its ``verify(token)``
returning the claims and raising ``jwt.InvalidTokenError``). Without one, tokens
signed with the process key (:func:`esi_testing.fake.sso.mint_access_token`,
what the token factories use) are accepted. The app then checks the ``scp``
claim (a list or one string) and reads the character from ``sub``
(``CHARACTER:EVE:<id>``).
"""

from __future__ import annotations

import copy
import json
import random
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import spec_snapshots
from esi_testing.fake.datapack import NON_DATA_PARAMS, DataPack, Record, normalise_language
from esi_testing.fake.faults import Fault
from esi_testing.fake.generate import generate, seed_for
from esi_testing.fake.journal import JournalEntry
from esi_testing.fake.limits import Bucket, LimitsMixin, Window
from esi_testing.fake.lookups import NotFound, lookup
from esi_testing.fake.routes import Route, RouteNotFound, RouteTable
from esi_testing.fake.shaping import shape
from esi_testing.fake.universe import Universe
from esi_testing.fake.writes import READS, WRITES, WriteState

__all__ = [
    "DEFAULT_DATA",
    "FakeBackend",
    "Fault",
    "JournalEntry",
    "TokenRejected",
]

#: The data pack shipped in ``esi_testing/data``.
DEFAULT_DATA = Path(__file__).resolve().parent.parent / "data"
FAULT_STATUSES = (500, 502, 503, 504)


class TokenRejected(Exception):
    """An access token ESI would refuse; carries the status and ESI's error body."""

    def __init__(self, status: int, message: str, sso_status: int | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.body: dict[str, Any] = {"error": message}
        if sso_status is not None:
            self.body["sso_status"] = sso_status


class FakeBackend(LimitsMixin):
    """State of a fake ESI: routes, data, limits, faults and journal."""

    def __init__(
        self,
        snapshot: Any = ("latest", "newest"),
        data: Any = DEFAULT_DATA,
        *,
        strict: bool = False,
        page_size: int = 1000,
        error_limit: int | None = 100,
        error_window: float = 60.0,
        rate_limits: Mapping[str, tuple[int, float]] | None = None,
        rate_limited: bool = True,
        sso: Any = None,
        clock: Callable[[], float] = time.time,
        seed: int = 0,
        journal_size: int = 10_000,
        daily_expiry: bool = False,
    ) -> None:
        snapshots = (
            [snapshot]
            if isinstance(snapshot, (str, Mapping, RouteTable, spec_snapshots.Snapshot))
            else snapshot
        )
        self.tables: list[RouteTable] = [
            s if isinstance(s, RouteTable) else RouteTable.for_snapshot(s) for s in snapshots
        ]
        if not self.tables:
            raise ValueError("a fake ESI serves at least one snapshot")
        self._dated = sorted(
            (t for t in self.tables if t.format == "openapi3"), key=lambda t: t.compatibility_date or ""
        )
        self.strict = strict
        self.page_size = int(page_size)
        # None: no error limit (a fuzzer's or a load test's fake never answers 420).
        self.error_limit = None if error_limit is None else int(error_limit)
        self.error_window = float(error_window)
        self.rate_limits = dict(rate_limits or {})
        # False: rate-limited routes keep their headers but never run out (no 429).
        self.rate_limited = bool(rate_limited)
        self.sso = sso
        self.clock = clock
        self.seed = seed
        # Routes that "expire daily at 11:05" get that Expires when True; off by default,
        # so their answers are revalidated on every call.
        self.daily_expiry = daily_expiry
        self.started = clock()
        self._initial = _as_pack(data)
        self._lock = threading.RLock()
        self._generated: dict[str, Any] = {}
        # (id of a recorded body, id of a schema) -> (that body, the body shaped for the schema)
        self._shaped: dict[tuple[int, int], tuple[Any, Any]] = {}
        self._journal: deque[JournalEntry] = deque(maxlen=journal_size)
        #: The entities behind every operation: the data pack's, then generated from their id.
        self.universe = Universe(lambda: self.data, seed)
        #: What writes did: the collections POST, PUT and DELETE change (reset() forgets them).
        self.state = WriteState(self._materialize, clock)
        self.reset()

    def __repr__(self) -> str:
        mode = " strict" if self.strict else ""
        return f"<FakeBackend{mode} {', '.join(t.label for t in self.tables)}: {len(self.data)} records>"

    # --- lifecycle ----------------------------------------------------------

    def reset(self) -> None:
        """Return data, faults, counters and journal to how they started."""
        with self._lock:
            self.data = self._initial.copy()
            self.faults: list[Fault] = []
            self._journal.clear()
            self._window = Window(started=self.clock())
            self._buckets: dict[tuple[str, str], Bucket] = {}
            self._random = random.Random(self.seed)
            self.state.reset()

    # --- routes ---------------------------------------------------------------

    def route_for(
        self, method: str, path: str, compatibility_date: str | None = None
    ) -> tuple[Route, dict[str, str]]:
        """Return the route serving a request and its raw path parameters.

        Swagger tables answer their version prefixes; an OpenAPI path goes to
        the snapshot of the newest compatibility date not after the requested
        one (the oldest when no date is sent, as ESI does). Raise
        :class:`~esi_testing.fake.routes.RouteNotFound` when nothing serves it.
        """
        for table in self.tables:
            if table.format == "swagger2":
                try:
                    return table.match(method, path)
                except RouteNotFound:
                    continue
        dated = self.table_for_date(compatibility_date)
        if dated is None:
            raise RouteNotFound(f"{method} {path}")
        return dated.match(method, path)

    def table_for_date(self, compatibility_date: str | None) -> RouteTable | None:
        """Return the OpenAPI table serving a compatibility date (None: no OpenAPI snapshot)."""
        if not self._dated:
            return None
        if compatibility_date is None:
            return self._dated[0]
        chosen = self._dated[0]
        for table in self._dated:
            if (table.compatibility_date or "") <= compatibility_date:
                chosen = table
        return chosen

    # --- data -----------------------------------------------------------------

    def add_data(self, data: Any) -> list[Record]:
        """Add records: a record dict, a :class:`Record`, a list of them, a pack or a path."""
        pack = _as_pack(data)
        with self._lock:
            self.data.extend(pack)
        return pack.records

    def record_from_exchange(
        self,
        method: str,
        url: str,
        *,
        status: int = 200,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
        request_body: Any = None,
        language: str | None = None,
        compatibility_date: str | None = None,
    ) -> Record:
        """Return the data-pack record of one recorded exchange (a cassette's request and answer).

        The route gives the operation name and types the parameters; ``page`` is
        kept (with the answer's ``X-Pages``) so a recorded page is served as it
        was. Raise :class:`~esi_testing.fake.routes.RouteNotFound` for a request
        no snapshot of this backend serves, ValueError for a malformed parameter.
        """
        parts = urlsplit(url)
        route, raw_path = self.route_for(method, parts.path, compatibility_date)
        params: dict[str, Any] = {}
        for name, raw in raw_path.items():
            param = route.param(name)
            params[name] = param.coerce(raw) if param else raw
        for name, values in parse_qs(parts.query).items():
            param = route.param(name)
            if param is None or param.location != "query" or (name in NON_DATA_PARAMS and name != "page"):
                continue
            params[name] = param.coerce(values if len(values) > 1 else values[0])
        if request_body not in (None, b"", ""):
            params["body"] = (
                json.loads(request_body) if isinstance(request_body, (str, bytes)) else request_body
            )
        answer_headers = {k.lower(): str(v) for k, v in (headers or {}).items()}
        pages = answer_headers.get("x-pages")
        if route.paged and ("page" in params or int(pages or 1) > 1):
            # One page of several: kept as that page, served as it was recorded.
            params.setdefault("page", 1)
            kept = {"X-Pages": pages} if pages else {}
        else:
            params.pop("page", None)
            kept = {}
        if language is None:
            query_language = parse_qs(parts.query).get("language")
            language = query_language[0] if query_language else answer_headers.get("content-language")
        return Record(
            operation=route.key,
            params=params,
            body=body,
            status=status,
            headers=kept,
            language=language if route.localized else None,
        )

    def clear_data(self) -> None:
        """Remove every record, the default pack's too (``reset()`` brings them back)."""
        with self._lock:
            self.data = DataPack()

    def lookup(self, route: Route, params: Mapping[str, Any], language: str | None) -> Record | None:
        """Return the recorded answer of a request, or None."""
        return self.data.match(route.aliases, params, language)

    def generated(
        self, route: Route, params: Mapping[str, Any], language: str | None, hints: Mapping[str, Any]
    ) -> Any:
        """Return deterministic data valid against the route's response schema."""
        key = json.dumps([route.table.label, route.key, params, language], sort_keys=True, default=str)
        with self._lock:
            if key in self._generated:
                return self._generated[key]
        body = generate(
            route.response_schema,
            seed_for(self.seed, route.key, params, normalise_language(language)),
            resolve=route.table.resolve,
            hints=hints,
            language=normalise_language(language),
        )
        with self._lock:
            if len(self._generated) > 4096:
                self._generated.clear()
            self._generated[key] = body
        return body

    def stateful(self, route: Route, params: Mapping[str, Any]) -> tuple[int, Any] | None:
        """Return (status, body) of a write, or of a read of what writes change; None otherwise.

        A write changes :attr:`state` (see :mod:`esi_testing.fake.writes`); a read of
        fittings, contacts, mail, labels, calendar or fleets answers from it.
        """
        write, read = WRITES.get(route.key), READS.get(route.key)
        if write is None and read is None:
            return None
        with self._lock:
            if write is not None:
                body = write(self.state, params, None)[1]
            else:
                assert read is not None
                body = read(self.state, params)
                if body is None:
                    return None
            body = copy.deepcopy(body)
        if route.response_schema is None:
            return route.success_status, None
        return route.success_status, self.shaped(route, body, cache=False)

    def _materialize(self, operation: str, params: Mapping[str, Any]) -> Any:
        """Return what a read answers before any write: the data pack's record, else generated."""
        record = self.data.match({operation}, params)
        if record is not None and record.status == 200:
            return record.body
        for table in self.tables:
            try:
                route = table.find(operation)
            except RouteNotFound:
                continue
            return self.generated(route, dict(params), None, params)
        return None

    def answer(
        self, route: Route, params: Mapping[str, Any], language: str | None, hints: Mapping[str, Any]
    ) -> tuple[int, Any] | None:
        """Return (status, body) of a request the universe answers, or None (generate it).

        Entities by id, ``/universe/names``, ``/universe/ids``, affiliation,
        members, an alliance's corporations; market orders and assets generated
        and linked to the universe. An id that is not an entity of its kind: 404.
        """

        def produce(operation: str | None = None, other: Mapping[str, Any] | None = None) -> Any:
            if operation is None:
                return copy.deepcopy(self.generated(route, params, language, hints))
            return self._related(route.table, operation, other or {})

        try:
            path = frozenset(p.name for p in route.params if p.location == "path")
            body = lookup(self.universe, route.key, params, language, produce, path)
        except NotFound as exc:
            return exc.status, {"error": exc.message}
        if body is None:
            return None
        return route.success_status, self.shaped(route, body, cache=False)

    def _related(self, table: RouteTable, operation: str, params: Mapping[str, Any]) -> Any:
        """Return what another operation answers (a character's assets, for their names)."""
        try:
            route = table.find(operation)
        except RouteNotFound:
            return None
        record = self.data.match(route.aliases, params)
        if record is not None:
            return copy.deepcopy(record.body) if record.status == 200 else None
        return lookup(
            self.universe,
            route.key,
            params,
            None,
            lambda *_: copy.deepcopy(self.generated(route, dict(params), None, params)),
        )

    def shaped(
        self, route: Route, body: Any, headers: Mapping[str, str] | None = None, *, cache: bool = True
    ) -> Any:
        """Return a recorded body adapted to the route's response schema (old specs get old shapes).

        The same body object shaped for the same schema is the same object, so
        the app serialises a recorded page once. A body that cannot be shaped
        valid is replaced by generated data. A paged list (``headers`` without
        ``X-Pages``: the fake pages it) is shaped whole.
        """
        schema = route.response_schema
        if schema is None or body is None:
            return body
        key = (id(body), id(schema))
        with self._lock:
            cached = self._shaped.get(key) if cache else None
            if cached is not None and cached[0] is body:
                return cached[1]
        paged = route.paged and "X-Pages" not in (headers or {})
        shaped = shape(body, schema, route.table.resolve, seed_for(self.seed, route.key), whole_list=paged)
        resolved = route.table.resolve(schema)
        if paged and isinstance(shaped, list) and isinstance(resolved.get("items"), Mapping):
            # Each item against the item schema: the whole list is longer than a page's maxItems.
            validator = route.table.validator(resolved["items"], formats=False)
            valid = all(next(iter(validator.iter_errors(item)), None) is None for item in shaped)
        else:
            valid = next(iter(route.table.validator(schema, formats=False).iter_errors(shaped)), None) is None
        if not valid:
            shaped = generate(schema, seed_for(self.seed, route.key), resolve=route.table.resolve)
        if cache:
            with self._lock:
                if len(self._shaped) > 1024:
                    self._shaped.clear()
                self._shaped[key] = (body, shaped)
        return shaped

    # --- faults ---------------------------------------------------------------

    def add_fault(self, fault: Fault | Mapping[str, Any] | None = None, **options: Any) -> Fault:
        """Inject a fault (a :class:`Fault`, its JSON form, or its fields as keywords)."""
        if fault is None:
            fault = Fault(**options)
        elif not isinstance(fault, Fault):
            fault = Fault.from_dict(fault)
        with self._lock:
            self.faults.append(fault)
        return fault

    def clear_faults(self) -> None:
        """Remove every injected fault."""
        with self._lock:
            self.faults.clear()

    def fault_for(self, route: Route | None, path: str) -> Fault | None:
        """Return the fault that strikes this call (counting it), or None."""
        with self._lock:
            for fault in self.faults:
                if not fault.matches(route, path):
                    continue
                if fault.fraction is not None and self._random.random() >= fault.fraction:
                    continue
                fault.hits += 1
                return fault
        return None

    # --- journal --------------------------------------------------------------

    @property
    def journal(self) -> list[JournalEntry]:
        """Return the requests answered so far, oldest first."""
        with self._lock:
            return list(self._journal)

    def record(self, entry: JournalEntry) -> None:
        """Append a request to the journal."""
        with self._lock:
            self._journal.append(entry)

    def clear_journal(self) -> None:
        """Forget the requests answered so far."""
        with self._lock:
            self._journal.clear()

    # --- tokens ---------------------------------------------------------------

    def verify_token(self, token: str) -> dict[str, Any]:
        """Return the claims of an access token the fake SSO signed.

        Raise :class:`TokenRejected` with ESI's status and message when the
        token is malformed, signed by an unknown key, revoked, or expired.
        """
        import jwt

        from esi_testing.fake import sso as fake_sso

        try:
            if self.sso is not None:
                return dict(self.sso.verify(token))
            return fake_sso.verify_access_token(token)
        except jwt.ExpiredSignatureError as exc:
            raise TokenRejected(403, "token is expired", sso_status=401) from exc
        except jwt.InvalidTokenError as exc:
            raise TokenRejected(401, f"authorization failed: {exc}") from exc


def _as_pack(data: Any) -> DataPack:
    if data is None or data is False:
        return DataPack()
    if isinstance(data, DataPack):
        return data.copy()
    if isinstance(data, (str, Path)):
        return DataPack.load(data)
    if isinstance(data, (Record, Mapping)):
        return DataPack([data])
    if isinstance(data, Iterable):
        items = list(data)
        if all(isinstance(i, (str, Path)) for i in items):
            return DataPack.load(*items)
        if all(isinstance(i, (Record, Mapping)) for i in items):
            return DataPack(items)
        pack = DataPack()
        for item in items:
            pack.extend(_as_pack(item))
        return pack
    raise TypeError(f"data is a path, a DataPack, a record or a list of them, not {type(data).__name__}")
