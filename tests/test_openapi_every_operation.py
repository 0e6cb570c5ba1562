"""Proof: every operation of every real OpenAPI spec imports, builds and answers through the client.

For each compatibility date in ``../shared/esi-specs`` (2020-01-01 .. 2026-08-04):

* the spec is a snapshot (``ESI_SPEC_SNAPSHOT_DIRS`` points at the directory);
* ``esi_client_factory(compatibility_date=D)`` builds one client from it;
* every operation (each method and path once) is called through that client
  against the fake ESI serving the same date, in-process: path parameters and
  required query and body parameters generated from the converted spec, the
  token's character (and its corporation and alliance) for bound ids, and a
  token from the fake SSO carrying exactly the operation's scopes;
* each call must answer its success status, with data (``None`` for a 204),
  and reach the fake with ``X-Compatibility-Date: D``; the data pack's records,
  the universe and the state that writes change each answer some of them.

Counts are printed per date.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from django.test import override_settings

import spec_snapshots
from esi.clients import esi_client_factory
from esi.http.store import clear_state
from esi.spec import clear_memory_cache
from esi_testing import FakeESI
from esi_testing.fake.generate import generate, seed_for
from esi_testing.fake.routes import operation_key
from tests.test_fake_every_operation import LOOKUP_BODIES

DATES = ("2020-01-01", "2025-08-26", "2025-12-16", "2026-05-19", "2026-08-04")
CHARACTER_ID = 90000001  # a character of the default data pack


@dataclass
class Proof:
    """The fake ESI serving every date, with a token per scope set."""

    fake: FakeESI
    shared: Path
    bound: dict[str, int]
    tokens: dict[tuple[str, ...], str] = field(default_factory=dict)

    def token(self, scopes: tuple[str, ...]) -> str:
        """Return an access token from the fake SSO for the character, with exactly ``scopes``."""
        if scopes not in self.tokens:
            self.tokens[scopes] = self.fake.issue_tokens(CHARACTER_ID, list(scopes))["access_token"]
        return self.tokens[scopes]


@pytest.fixture(scope="module")
def proof(shared_specs: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Proof]:
    """Serve every date in-process; snapshots from the shared specs; a private spec cache."""
    cache = tmp_path_factory.mktemp("spec-cache")
    with override_settings(
        ESI_SPEC_SNAPSHOT_DIRS=[str(shared_specs)], ESI_SPEC_CACHE_DIR=str(cache), ESI_CACHE_RESPONSE=False
    ):
        clear_memory_cache()
        # Limits high enough that a thousand calls earn neither a 420 nor a 429.
        fake = FakeESI(
            snapshot=list(DATES), mode="inprocess", rate_limits={"*": (10**6, 900)}, error_limit=10**6
        )
        character = fake.backend.data.match({"get_characters_character_id"}, {"character_id": CHARACTER_ID})
        assert character is not None, "the default data pack has the proof's character"
        bound = {
            "character_id": CHARACTER_ID,
            "corporation_id": character.body["corporation_id"],
            "alliance_id": character.body["alliance_id"],
        }
        with fake, fake.override_settings():
            yield Proof(fake, shared_specs, bound)
    clear_memory_cache()
    clear_state()  # limits learnt from the fake stay out of later tests


@dataclass
class Outcome:
    """What happened to one operation."""

    resource: str
    operation_id: str
    method: str
    path: str
    problem: str | None


def _operations(client: Any) -> dict[tuple[str, str], tuple[str, Any]]:
    """Return each operation once, by method and path, with the first resource that lists it."""
    out: dict[tuple[str, str], tuple[str, Any]] = {}
    for resource_name, resource in sorted(client.swagger_spec.resources.items()):
        for operation in resource.operations.values():
            out.setdefault((operation.http_method, operation.path_name), (resource_name, operation))
    return out


def _arguments(proof: Proof, operation: Any) -> dict[str, Any]:
    """Return valid arguments for ``operation``: path, required query and body, and the token."""
    spec = operation.swagger_spec
    kwargs: dict[str, Any] = {}
    for name, param in operation.params.items():
        if name in proof.bound and param.location == "path":
            kwargs[name] = proof.bound[name]
        elif param.location == "body" and _key(operation) in LOOKUP_BODIES:
            kwargs[name] = LOOKUP_BODIES[_key(operation)]
        elif param.location == "path" or param.required:
            raw = spec.deref(param.param_spec)
            schema = raw.get("schema", raw) if param.location == "body" else raw
            kwargs[name] = generate(
                schema, seed_for(operation.operation_id, name), resolve=spec.deref, name=name
            )
    scopes = tuple(
        sorted({s for req in operation.op_spec.get("security") or [] for v in req.values() for s in v})
    )
    if scopes:
        kwargs["token"] = proof.token(scopes)
    return kwargs


def _key(operation: Any) -> str:
    return operation_key(operation.http_method, operation.path_name)


def _success_status(operation: Any) -> int:
    return min(int(code) for code in operation.op_spec["responses"] if str(code).startswith("2"))


def _call(proof: Proof, date: str, resource: str, operation: Any) -> Outcome:
    """Call one operation through the client; return what went wrong, if anything."""
    outcome = Outcome(resource, operation.operation_id, operation.http_method, operation.path_name, None)
    journal = len(proof.fake.journal)
    try:
        client = _client(date)
        future = getattr(getattr(client, resource), operation.operation_id)(**_arguments(proof, operation))
        future.request_config.also_return_response = True
        data, response = future.result()
    except Exception as exc:
        outcome.problem = f"{type(exc).__name__}: {str(exc)[:300]}"
        return outcome
    expected = _success_status(operation)
    sent = proof.fake.journal[journal:]
    if response.status_code != expected:
        outcome.problem = f"status {response.status_code}, expected {expected}"
    elif (data is None) != (expected == 204):
        outcome.problem = f"result() returned {type(data).__name__} for status {expected}"
    elif [e.headers.get("X-Compatibility-Date") for e in sent] != [date]:
        outcome.problem = f"the fake saw {[(e.path, e.headers.get('X-Compatibility-Date')) for e in sent]}"
    elif sent[0].snapshot != date:
        outcome.problem = f"served from snapshot {sent[0].snapshot}, not {date}"
    return outcome


_clients: dict[str, Any] = {}


def _client(date: str) -> Any:
    """Return the one client of a date (built once per test module)."""
    if date not in _clients:
        _clients[date] = esi_client_factory(compatibility_date=date)
    return _clients[date]


@pytest.fixture(scope="module", autouse=True)
def _forget_clients() -> Iterator[None]:
    yield
    _clients.clear()


@pytest.mark.parametrize("date", DATES)
def test_every_operation_of_the_date_answers(proof: Proof, date: str, capsys: pytest.CaptureFixture) -> None:
    snapshot = spec_snapshots.get(compatibility_date=date)
    assert snapshot.path.parent == proof.shared.resolve(), f"{date} came from {snapshot.path}"
    assert spec_snapshots.describe_spec(snapshot.load())["compatibility_date"] == date
    client = _client(date)
    assert client._context.prepared.compatibility_date == date

    operations = _operations(client)
    seen = len(proof.fake.journal)
    outcomes = [_call(proof, date, resource, op) for resource, op in operations.values()]
    failures = [o for o in outcomes if o.problem]
    served = proof.fake.journal[seen:]
    sources = {
        s: len({e.operation for e in served if e.source == s}) for s in ("recorded", "universe", "state")
    }
    with capsys.disabled():
        print(
            f"\n{date}: {len(operations)} operations, {len(outcomes) - len(failures)} answered, "
            f"{len(failures)} failed; operations answered from the data pack: {sources['recorded']}, "
            f"the universe: {sources['universe']}, what writes changed: {sources['state']}"
        )
        for o in failures:
            print(f"  FAIL {o.method.upper()} {o.path} {o.operation_id}: {o.problem}")
    assert not failures, "\n".join(f"{o.operation_id}: {o.problem}" for o in failures)
    assert len(operations) > 150
    # The data pack's records, the universe and the write state all answered through the client.
    assert sources["recorded"] >= 5 and sources["universe"] >= 5 and sources["state"] >= 5
