"""Built operations kept beside the spec cache file, and LeanSpec's deref of its own document.

The next process reads an operation it used before instead of building it, and
its first call makes neither jsonschema's resolver nor its format checker.
"""

from __future__ import annotations

import copy
import json
import logging
import pickle
from pathlib import Path
from typing import Any

import pytest
from bravado_core.spec import Spec

import spec_snapshots
from esi import spec as esi_spec
from esi.bravado_spec import LeanSpec, build_spec
from esi.lazy_spec import fragment_of
from esi.spec import SpecRequest, get_spec
from tests.test_bravado_spec import CONFIG, ORIGIN


def _new_process(request: SpecRequest) -> Any:
    """Return the LazySpec of ``request`` as the next process reads it from the disk cache."""
    esi_spec.clear_memory_cache()
    return get_spec(request).spec


def _kept(cache: Path) -> list[Path]:
    return sorted(cache.glob("spec-*.ops/*.pickle"))


def _latest() -> dict[str, Any]:
    return json.loads(spec_snapshots.get(route="latest", dirs=[]).read_bytes())


def _compat() -> dict[str, Any]:
    return get_spec(SpecRequest(compatibility_date="2025-12-16")).spec.full.spec_dict


# --- kept on the disk -----------------------------------------------------------------------


def test_an_operation_used_once_is_read_back_by_the_next_process_not_built(
    disk_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = _new_process(SpecRequest())  # the process that builds the cache file
    op = first.resources["Status"].operations["get_status"]
    (kept,) = _kept(disk_cache)
    assert kept.parent.name == next(disk_cache.glob("spec-*.pickle")).with_suffix(".ops").name
    assert kept.name != "get_status" and "/" not in kept.name  # named by a hash, nothing of the spec

    built: list[Any] = []
    monkeypatch.setattr("esi.bravado_spec.build_spec", lambda *a, **k: built.append(a) or build_spec(*a, **k))
    again = _new_process(SpecRequest()).resources["Status"].operations["get_status"]
    assert built == []
    assert isinstance(again.swagger_spec, LeanSpec)
    assert (again.path_name, again.http_method, again.op_spec) == (op.path_name, op.http_method, op.op_spec)
    assert {n: p.param_spec for n, p in again.params.items()} == {
        n: p.param_spec for n, p in op.params.items()
    }
    # Neither jsonschema object of the spec was made: both come on first use.
    assert "resolver" not in vars(again.swagger_spec) and "format_checker" not in vars(again.swagger_spec)

    other = _new_process(SpecRequest()).resources["Universe"].operations["get_universe_types_type_id"]
    assert len(built) == 1 and other.operation_id == "get_universe_types_type_id"
    assert len(_kept(disk_cache)) == 2


def test_every_kept_operation_is_the_operation_built_from_its_fragment(disk_cache: Path) -> None:
    fresh = _new_process(SpecRequest())
    names = [(r, o) for r, ops in fresh._index.items() for o in ops]
    for resource, op_id in names:
        fresh.resources[resource].operations[op_id]
    assert len(_kept(disk_cache)) == len({fresh._index[r][o] for r, o in names})
    read = _new_process(SpecRequest())
    for resource, op_id in names:
        built = fresh.resources[resource].operations[op_id]
        kept = read.resources[resource].operations[op_id]
        assert kept is not built
        assert (kept.path_name, kept.http_method, kept.op_spec) == (
            built.path_name,
            built.http_method,
            built.op_spec,
        )
        assert kept.swagger_spec.spec_dict == built.swagger_spec.spec_dict
        assert sorted(kept.swagger_spec.definitions) == sorted(built.swagger_spec.definitions)
    assert read.model_spec == fresh.model_spec


def test_a_client_from_kept_operations_calls_as_before(disk_cache: Path, fake_esi: Any) -> None:
    from esi.clients import esi_client_factory

    _new_process(SpecRequest()).resources["Status"].operations["get_status"]
    esi_spec.clear_memory_cache()
    status = esi_client_factory().Status.get_status().result()
    assert status["players"] > 0 and status["start_time"].tzinfo is not None
    with pytest.raises(Exception, match="datasource"):  # request validation: the format checker, made now
        esi_client_factory().Status.get_status(datasource="nowhere").result()


@pytest.mark.parametrize(
    "damage", [b"", b"not a pickle", pickle.dumps({"a": "dict"})], ids=["empty", "junk", "dict"]
)
def test_an_unreadable_kept_operation_is_built_again_and_written_anew(
    disk_cache: Path, damage: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    _new_process(SpecRequest()).resources["Status"].operations["get_status"]
    (kept,) = _kept(disk_cache)
    kept.write_bytes(damage)
    with caplog.at_level(logging.WARNING, logger="esi.lazy_spec"):
        op = _new_process(SpecRequest()).resources["Status"].operations["get_status"]
    assert op.operation_id == "get_status"
    assert "ignoring unreadable built operation" in caplog.text
    assert (
        pickle.loads(kept.read_bytes()).resources["Status"].operations["get_status"].operation_id
        == "get_status"
    )


def test_a_directory_that_cannot_be_written_keeps_nothing_and_fails_nothing(
    disk_cache: Path, caplog: pytest.LogCaptureFixture
) -> None:
    _new_process(SpecRequest())
    (cache_file,) = disk_cache.glob("spec-*.pickle")
    cache_file.with_suffix(".ops").write_text("a file where the directory would be")
    with caplog.at_level(logging.WARNING, logger="esi.lazy_spec"):
        op = _new_process(SpecRequest()).resources["Status"].operations["get_status"]
    assert op.operation_id == "get_status"
    assert "cannot keep the built operation get /status/" in caplog.text
    assert _kept(disk_cache) == [] and not list(disk_cache.glob("spec-*.ops/.op-*"))


def test_without_a_disk_cache_nothing_is_kept(settings: Any, tmp_path: Path) -> None:
    settings.ESI_SPEC_CACHE_DIR = False
    esi_spec.clear_memory_cache()
    try:
        spec = get_spec(SpecRequest()).spec
        assert spec._built_dir is None
        assert spec.resources["Status"].operations["get_status"].swagger_spec is spec.full
    finally:
        esi_spec.clear_memory_cache()
    assert list(tmp_path.iterdir()) == []


# --- the format checker ---------------------------------------------------------------------


def _even(value: str) -> None:
    from bravado_core.exception import SwaggerValidationError

    if int(value) % 2:  # bravado-core's formats raise, they do not return False
        raise SwaggerValidationError(f"{value} is odd")


def test_a_pickled_lean_spec_makes_its_format_checker_again_with_its_user_formats() -> None:
    from bravado_core.formatter import SwaggerFormat
    from jsonschema import FormatChecker

    spec = build_spec(fragment_of(_latest(), "/status/", "get"), origin_url=ORIGIN, config=CONFIG)
    spec.register_format(
        SwaggerFormat(format="even", to_wire=str, to_python=int, validate=_even, description="")
    )
    assert isinstance(spec.format_checker, FormatChecker) and "even" in spec.format_checker.checkers
    state = spec.__getstate__()
    assert "format_checker" not in state and "resolver" not in state
    again = pickle.loads(pickle.dumps(spec))
    checker = again.format_checker
    assert checker is again.format_checker  # made once
    assert set(checker.checkers) == set(spec.format_checker.checkers)
    assert checker.conforms("4", "even") and not checker.conforms("3", "even")
    assert checker.conforms("2020-05-01T11:00:00Z", "date-time") and not checker.conforms("x", "date-time")
    assert copy.deepcopy(spec).format_checker is not spec.format_checker
    assert spec.is_equal(copy.deepcopy(spec))


# --- deref of the spec's own document -------------------------------------------------------


def _ref_dicts(node: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if "$ref" in item:
                found.append(item)
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return found


@pytest.mark.parametrize("which", ["latest", "compatibility date"])
def test_deref_gives_the_very_object_the_resolver_gives_for_every_ref_of_the_specs(which: str) -> None:
    spec_dict = _latest() if which == "latest" else copy.deepcopy(_compat())
    lean = build_spec(spec_dict, origin_url=ORIGIN, config=CONFIG)
    refs = _ref_dicts(lean.spec_dict)
    assert len(refs) > 50
    for ref_dict in refs:
        ours = lean.deref(ref_dict)
        assert ours is Spec._force_deref(lean, ref_dict), ref_dict
    assert "resolver" in vars(lean)  # the comparison made it; our own deref did not need it


def test_deref_does_not_make_the_resolver() -> None:
    spec_dict = fragment_of(_latest(), "/characters/{character_id}/", "get")
    lean = build_spec(spec_dict, origin_url=ORIGIN, config=CONFIG)
    lean = pickle.loads(pickle.dumps(lean))
    assert "resolver" not in vars(lean)
    refs = _ref_dicts(lean.spec_dict)
    assert refs
    for ref_dict in refs:
        lean.deref(ref_dict)
    assert lean.deref({"$ref": "#"}) is lean.spec_dict
    assert "resolver" not in vars(lean)


SPEC = {
    "swagger": "2.0",
    "info": {"title": "t", "version": "1"},
    "paths": {},
    "definitions": {
        "a/b": {"type": "string"},
        "c~d": {"type": "integer"},
        "e f": {"type": "boolean"},
        "list": {"allOf": [{"type": "string"}, {"type": "integer"}]},
        "thing": {"type": "object", "properties": {"id": {"type": "integer"}}},
    },
}


@pytest.mark.parametrize(
    "ref",
    [
        "#/definitions/a~1b",
        "#/definitions/c~0d",
        "#/definitions/e%20f",
        "#/definitions/list/allOf/1",
        "#/definitions/thing/properties/id",
        "#definitions/thing",
        "#",
    ],
)
def test_deref_follows_pointers_as_the_resolver_does(ref: str) -> None:
    lean = pickle.loads(pickle.dumps(build_spec(copy.deepcopy(SPEC), origin_url=ORIGIN, config=CONFIG)))
    ours = lean.deref({"$ref": ref})
    assert "resolver" not in vars(lean)
    assert ours is Spec._force_deref(lean, {"$ref": ref})


@pytest.mark.parametrize(
    ("ref_dict", "why"),
    [
        ({"$ref": "#/definitions/missing"}, "unresolvable: the resolver raises"),
        ({"$ref": "#/definitions/thing/"}, "trailing slash: the resolver strips it"),
        ({"$ref": "other.json#/definitions/thing"}, "another document"),
        (
            {"$ref": "#/definitions/thing", "x-scope": ["https://elsewhere.example/spec.json"]},
            "another scope",
        ),
        ({"$ref": "#/definitions/thing", "x-scope": []}, "an empty scope"),
        ({"$ref": 5}, "not a string"),
    ],
)
def test_other_refs_go_to_the_resolver_and_raise_what_it_raises(ref_dict: dict[str, Any], why: str) -> None:
    lean = pickle.loads(pickle.dumps(build_spec(copy.deepcopy(SPEC), origin_url=ORIGIN, config=CONFIG)))
    plain = Spec.from_dict(copy.deepcopy(SPEC), origin_url=ORIGIN, config=CONFIG)
    outcomes = []
    for spec in (lean, plain):
        try:
            outcomes.append(("value", json.dumps(spec.deref(ref_dict), sort_keys=True, default=str)))
        except Exception as exc:  # the same error, whatever it is
            outcomes.append((type(exc).__name__, str(exc)))
    assert outcomes[0] == outcomes[1], why


@pytest.mark.parametrize(
    "extra",
    [
        {"named": {"id": "#definitions/thing", "type": "string"}},
        {"anchored": {"$anchor": "definitions/thing", "type": "string"}},
        {"identified": {"$id": "https://other.example/x.json", "type": "string"}},
    ],
    ids=["id", "anchor", "$id"],
)
def test_a_document_with_ids_or_anchors_leaves_the_ref_to_the_resolver(extra: dict[str, Any]) -> None:
    spec_dict = copy.deepcopy(SPEC)
    spec_dict["definitions"].update(extra)
    lean = pickle.loads(pickle.dumps(build_spec(spec_dict, origin_url=ORIGIN, config=CONFIG)))
    ref_dict = {"$ref": "#/definitions/thing"}
    ours = lean.deref(ref_dict)
    assert "resolver" in vars(lean)
    assert ours is Spec._force_deref(lean, ref_dict)


def test_each_ref_is_followed_once_per_scope_as_the_resolver_caches_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    lean = pickle.loads(pickle.dumps(build_spec(copy.deepcopy(SPEC), origin_url=ORIGIN, config=CONFIG)))
    followed: list[tuple[str, str]] = []
    follow = LeanSpec._follow
    monkeypatch.setattr(
        LeanSpec,
        "_follow",
        lambda self, scope, ref, origin: followed.append((scope, ref)) or follow(self, scope, ref, origin),
    )
    first = lean.deref({"$ref": "#/definitions/thing"})
    assert lean.deref({"$ref": "#/definitions/thing", "x-scope": [ORIGIN]}) is first
    with pytest.raises(Exception, match="Unresolvable JSON pointer"):
        lean.deref({"$ref": "#/definitions/missing"})
    with pytest.raises(Exception, match="Unresolvable JSON pointer"):
        lean.deref({"$ref": "#/definitions/missing"})
    assert followed == [(ORIGIN, "#/definitions/thing"), (ORIGIN, "#/definitions/missing")]
    assert "_lean_targets" not in pickle.loads(pickle.dumps(lean)).__dict__
