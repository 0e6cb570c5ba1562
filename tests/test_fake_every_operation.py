"""Proof: every operation of every real ESI spec is served with data valid against its schema.

Each spec (the bundled snapshots and every file in ``../shared/esi-specs``) gets a
fake ESI with the default data pack; each of its operations, reads and writes, is
called once through the WSGI app (then each read that writes change, once more) with a well-formed request (the data pack's
character, corporation, alliance, type and region for those ids, other path,
required query and body parameters generated from the spec, a token carrying the
operation's scopes) and must answer its success status with a body valid against
its response schema. Then every GET of every Swagger spec goes through django-esi's
client (bravado validates each answer): the data pack's records, shaped for each
spec, pass it. Counts are printed per spec.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from werkzeug.test import Client

from esi_testing.fake.app import make_app
from esi_testing.fake.backend import DEFAULT_DATA, FakeBackend
from esi_testing.fake.generate import generate, seed_for
from esi_testing.fake.routes import Route, RouteTable
from esi_testing.fake.sso import mint_access_token
from esi_testing.fake.writes import READS

CHARACTER_ID = 90000001
#: Path ids the default data pack has records for (the rest are generated).
BOUND = {
    "character_id": CHARACTER_ID,
    "corporation_id": 98000001,
    "alliance_id": 99000001,
    "type_id": 587,
    "region_id": 10000002,
}
#: Bodies of the lookups, which answer 404 for ids that are no entity (as ESI does).
LOOKUP_BODIES = {
    "post_universe_names": [587, 30000142, CHARACTER_ID],
    "post_universe_ids": ["Jita", "Rifter"],
    "post_characters_affiliation": [CHARACTER_ID],
}


def _request_for(route: Route, token: str) -> tuple[str, dict[str, str], bytes | None]:
    """Return path with query, headers and body of a well-formed request for ``route``."""
    table = route.table
    path = route.template
    query: dict[str, str] = {}
    body = None
    for param in route.params:
        if param.location == "path":
            value = BOUND.get(param.name) or _value(route, param.name, param.schema)
            path = path.replace("{" + param.name + "}", str(value))
        elif param.location == "query" and param.required:
            value = _value(route, param.name, param.schema)
            query[param.name] = (
                ",".join(map(str, value))
                if isinstance(value, list)
                else str(value).lower()
                if isinstance(value, bool)
                else str(value)
            )
        elif param.location == "body":
            value = LOOKUP_BODIES.get(route.key) or _value(route, param.name, param.schema)
            schema = table.resolve(param.schema)
            if route.key in LOOKUP_BODIES and schema.get("type") == "object":
                value = {next(iter(schema["properties"])): value}  # the 2018 legacy wrapping
            body = json.dumps(value).encode()
    headers = {"Content-Type": "application/json"}
    if table.compatibility_date:
        headers["X-Compatibility-Date"] = table.compatibility_date
    if route.secured:
        headers["Authorization"] = f"Bearer {token}"
    return path + ("?" + urlencode(query) if query else ""), headers, body


def _value(route: Route, name: str, schema: dict) -> object:
    return generate(schema, seed_for(route.key, name), resolve=route.table.resolve, name=name)


def _specs(shared: Path | None) -> list[tuple[str, object]]:
    out: list[tuple[str, object]] = [("bundled latest", "latest"), ("bundled 2025-12-16", "2025-12-16")]
    if shared is not None:
        out += [(p.name, p) for p in sorted(shared.glob("*.json"))]
    return out


def _table(source: object) -> RouteTable:
    if isinstance(source, Path):
        return RouteTable.for_snapshot(json.loads(source.read_text("utf-8")))
    return RouteTable.for_snapshot(source)  # type: ignore[arg-type]


def test_every_operation_of_every_spec_answers_valid_data(
    shared_specs: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = []
    failures: list[str] = []
    total = recorded = 0
    for name, source in _specs(shared_specs):
        table = _table(source)
        backend = FakeBackend(snapshot=table, data=DEFAULT_DATA, rate_limits={"*": (10**6, 900)})
        client = Client(make_app(backend))
        # One token with every scope of the spec: each operation still checks its own.
        token = mint_access_token(
            CHARACTER_ID, sorted({s for r in table for s in r.scopes}), scp_as_string=False
        )
        ok = 0
        # Every operation once, then each read that writes change once more: what writes did
        # (a fitting, a contact, a mail...) is still served valid for this spec.
        again = [r for r in table if r.key in READS]
        for i, route in enumerate([*table, *again]):
            url, headers, body = _request_for(route, token)
            response = client.open(url, method=route.method, headers=headers, data=body)
            if i == len(table.routes):
                assert backend.state._bodies, f"{name}: no write reached the state"
            problem = None
            if response.status_code != route.success_status:
                problem = f"status {response.status_code} != {route.success_status}: {response.get_data(as_text=True)[:200]}"
            elif route.response_schema is not None:
                # A text operation (the meta spec's /ping) answers text, the others JSON.
                data = response.get_json() if response.is_json else response.get_data(as_text=True)
                error = next(iter(table.validator(route.response_schema).iter_errors(data)), None)
                if error is not None:
                    problem = f"invalid body at {list(error.absolute_path)}: {error.message[:200]}"
            if problem:
                failures.append(f"{name} {route.method} {url}: {problem}")
            elif i < len(table.routes):
                ok += 1
        total += ok
        from_pack = {e.operation for e in backend.journal if e.source == "recorded"}
        recorded += len(from_pack)
        writes = sum(1 for r in table if r.method != "GET")
        report.append(
            f"{name}: {ok}/{len(table)} operations ({writes} writes, {len(from_pack)} from the pack, "
            f"{len(again)} reads again after the writes)"
        )
    with capsys.disabled():
        print("\nfake ESI, every operation answered with valid data:")
        print("\n".join("  " + line for line in report))
        print(f"  total: {total} operations, {recorded} answered from the data pack")
    assert not failures, "\n".join(failures[:20])
    # Both eras and every shared spec were exercised, not an empty directory, and the pack served.
    assert len(report) >= 3 and total > 1000 and recorded > 3 * len(report)


@pytest.mark.parametrize("snapshot", ["latest", "2025-12-16"])
def test_every_operation_refuses_bad_requests_as_esi(snapshot: str) -> None:
    """No token: 401 on every secured operation; a non-integer id: 400 naming it."""
    table = RouteTable.for_snapshot(snapshot)
    client = Client(make_app(FakeBackend(snapshot=table, data=None, error_limit=10**6)))
    token = mint_access_token(CHARACTER_ID, sorted({s for r in table for s in r.scopes}), scp_as_string=False)
    secured = typed = 0
    for route in table:
        url, headers, body = _request_for(route, token)
        if route.secured:
            anonymous = {k: v for k, v in headers.items() if k != "Authorization"}
            response = client.open(url, method=route.method, headers=anonymous, data=body)
            assert response.status_code == 401, f"{route.method} {url}: {response.status_code}"
            secured += 1
        integer = next(
            (p for p in route.params if p.location == "path" and p.schema.get("type") == "integer"), None
        )
        if integer is not None:
            bad = route.template.replace("{" + integer.name + "}", "x1")
            for p in route.params:
                if p.location == "path" and p is not integer:
                    bad = bad.replace("{" + p.name + "}", str(CHARACTER_ID))
            bad += url[len(url.split("?")[0]) :]  # the same query
            response = client.open(bad, method=route.method, headers=headers, data=body)
            if route.secured and integer.name == "character_id":
                # The token's character is checked first: "x1" is not that character.
                assert response.status_code == 403, f"{route.method} {bad}: {response.status_code}"
            else:
                assert response.status_code == 400, f"{route.method} {bad}: {response.status_code}"
                assert integer.name in response.get_json()["error"]
            typed += 1
    assert secured > 100 and typed > 100


def test_every_get_of_every_swagger_spec_passes_the_client_with_the_data_pack(
    shared_specs: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """bravado validates every answer: the pack's records, shaped for 2017..2025, pass it."""
    from django.test import override_settings

    from esi.clients import esi_client_factory
    from esi.http.store import clear_state
    from esi.spec import clear_memory_cache
    from esi_testing import FakeESI

    report, failures = [], []
    with override_settings(ESI_SPEC_CACHE_DIR=str(tmp_path), ESI_CACHE_RESPONSE=False):
        for path in sorted(shared_specs.glob("swagger2-*.json")):
            clear_memory_cache()
            fake = FakeESI(snapshot=_table(path), mode="inprocess", rate_limited=False, error_limit=None)
            tokens: dict[tuple[str, ...], str] = {}
            with fake, fake.override_settings():
                client = esi_client_factory(spec_file=str(path))
                calls = 0
                for resource_name, resource in sorted(client.swagger_spec.resources.items()):
                    for operation in resource.operations.values():
                        if operation.http_method != "get":
                            continue
                        calls += 1
                        kwargs = _client_arguments(operation)
                        scopes = tuple(
                            sorted(
                                {
                                    s
                                    for r in operation.op_spec.get("security") or []
                                    for v in r.values()
                                    for s in v
                                }
                            )
                        )
                        if scopes:
                            if scopes not in tokens:
                                tokens[scopes] = fake.issue_tokens(CHARACTER_ID, list(scopes))["access_token"]
                            kwargs["token"] = tokens[scopes]
                        try:
                            getattr(getattr(client, resource_name), operation.operation_id)(**kwargs).result()
                        except Exception as exc:
                            failures.append(
                                f"{path.name} {operation.operation_id}: {type(exc).__name__} {exc}"
                            )
                from_pack = {e.operation for e in fake.journal if e.source == "recorded"}
            report.append(f"{path.name}: {calls} GETs, {len(from_pack)} operations from the pack")
    clear_memory_cache()
    clear_state()
    with capsys.disabled():
        print("\nclient over the fake, every GET of every Swagger spec with the data pack:")
        print("\n".join("  " + line for line in report))
    assert not failures, "\n".join(f[:300] for f in failures[:20])
    assert len(report) > 10


def _client_arguments(operation: Any) -> dict[str, object]:
    spec = operation.swagger_spec
    kwargs: dict[str, object] = {}
    for name, param in operation.params.items():
        if name in BOUND and param.location == "path":
            kwargs[name] = BOUND[name]
        elif param.location == "path" or param.required:
            raw = spec.deref(param.param_spec)
            kwargs[name] = generate(
                raw, seed_for(operation.operation_id, name), resolve=spec.deref, name=name
            )
    return kwargs
