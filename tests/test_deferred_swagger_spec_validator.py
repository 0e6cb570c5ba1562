"""swagger_spec_validator waits until it is used: bravado-core imports it, but holds what it would have.

As in :mod:`tests.test_deferred_jsonschema`, each check runs the same code in two fresh
interpreters, one with the stand-ins (``import esi`` first), one with jsonschema imported first
(nothing deferred), and the output must be the same. (That a warm call does not import it, nor
typing_extensions and importlib_resources: :mod:`tests.test_import_graph`.)
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from tests.test_deferred_imports import _same_as_eager, _same_either_way

VALID = {
    "swagger": "2.0",
    "info": {"title": "t", "version": "1"},
    "host": "example.invalid",
    "produces": ["application/json"],
    "paths": {
        "/t/": {
            "get": {
                "operationId": "get_t",
                "tags": ["T"],
                "responses": {"200": {"description": "ok", "schema": {"$ref": "#/definitions/Thing"}}},
            }
        }
    },
    "definitions": {"Thing": {"type": "object", "properties": {"a": {"type": "integer"}}}},
}
#: A response without a description: swagger_spec_validator's schema rejects it.
INVALID = {**VALID, "paths": {"/t/": {"get": {"operationId": "get_t", "responses": {"200": {"schema": {}}}}}}}

#: What an importer holds of swagger_spec_validator, against the real modules (each True).
REBOUND = """
m = sys.modules
rv, v20, util = m["swagger_spec_validator.ref_validators"], m["swagger_spec_validator.validator20"], m["swagger_spec_validator.util"]
package, common = m["swagger_spec_validator"], m["swagger_spec_validator.common"]
import bravado_core.spec, bravado_core.model, bravado_core.spec_flattening, bravado_core.swagger20_validator
print([type(m[n]).__name__ for n in ("swagger_spec_validator", "swagger_spec_validator.ref_validators",
       "swagger_spec_validator.validator20", "swagger_spec_validator.util", "swagger_spec_validator.validator12",
       "typing_extensions", "importlib_resources")])
print(bravado_core.spec.in_scope is rv.in_scope, bravado_core.spec.validator20 is v20,
      bravado_core.spec_flattening.in_scope is rv.in_scope, bravado_core.model.attach_scope is rv.attach_scope,
      bravado_core.swagger20_validator.in_scope is rv.in_scope,
      package.validator20 is v20, package.ref_validators is rv, package.util is util, util.validator20 is v20,
      m["swagger_spec_validator.validator12"].default_handlers is rv.default_handlers,
      v20.ref_validators is rv, package.SwaggerValidationError is common.SwaggerValidationError,
      v20.SwaggerValidationError is common.SwaggerValidationError, "__getattr__" in vars(package))
"""


def _rebound(lines: list[str]) -> None:
    assert lines == [
        "['module', 'module', 'module', 'module', 'module', 'module', 'module']",
        "True True True True True True True True True True True True True False",
    ]


@pytest.mark.parametrize(
    "use",
    [
        "import swagger_spec_validator; swagger_spec_validator.SwaggerValidationError",
        "from swagger_spec_validator import validator20",
        "from swagger_spec_validator.validator20 import validate_spec",
        "import swagger_spec_validator.util; swagger_spec_validator.util.get_validator",
        "import swagger_spec_validator.common",
        "with bravado_core.spec.in_scope(None, {}): pass",  # bravado-core's, answered early
        "bravado_core.spec.validator20.validate_spec",
        "bravado_core.model.attach_scope({'$ref': '#/x', 'x-scope': []}, None)",
    ],
)
@pytest.mark.parametrize("jsonschema_first", [False, True])
def test_after_the_real_import_bravados_modules_hold_the_real_objects(
    use: str, jsonschema_first: bool
) -> None:
    first = "import jsonschema; jsonschema.FormatChecker\n" if jsonschema_first else ""
    _rebound(_same_as_eager(f"import bravado_core.spec, bravado_core.model\n{first}{use}\n{REBOUND}"))


@pytest.mark.parametrize(
    "first",
    [
        "import swagger_spec_validator.ref_validators; swagger_spec_validator.ref_validators.in_scope",
        "from swagger_spec_validator.ref_validators import in_scope",
        "import swagger_spec_validator.validator20; swagger_spec_validator.validator20.validate_spec",
        "import swagger_spec_validator.validator12; swagger_spec_validator.validator12.validate_spec",
        "from swagger_spec_validator.util import validate_spec_url",
        "from swagger_spec_validator import SwaggerValidationError",
    ],
)
@pytest.mark.parametrize("before_bravado", [True, False])
def test_a_submodule_imported_first_is_its_packages_and_each_module_runs_once(
    first: str, before_bravado: bool
) -> None:
    _rebound(_same_either_way(f"{first}\nimport bravado_core.spec\n{REBOUND}", before_bravado=before_bravado))


def _spec_file_build(tmp_path: Path, spec: dict[str, object]) -> list[str]:
    path = tmp_path / "spec.json"
    path.write_text(json.dumps(spec))
    return _same_as_eager(
        f"""
        import os, django
        os.environ["DJANGO_SETTINGS_MODULE"] = "tests.settings"
        django.setup()
        from django.test import override_settings
        from esi.clients import EsiClientProvider
        before = type(sys.modules["swagger_spec_validator"]).__name__
        with override_settings(ESI_SPEC_CACHE_DIR=False, ESI_SPEC_OFFLINE=True):
            try:
                client = EsiClientProvider(app_info_text="test/1", spec_file={str(path)!r}).client
                print(sorted(dir(client.T)))
            except Exception as error:
                cause = error.__cause__
                print(type(error).__module__, type(error).__name__, error)
                print(type(cause).__module__, type(cause).__name__, cause is not None and type(cause.args[1]).__name__)
        print(before in ("_StandIn", "module"), type(sys.modules["swagger_spec_validator"]).__name__)
        """
    )


def test_an_invalid_spec_file_raises_the_same_error_with_the_same_message(tmp_path: Path) -> None:
    lines = _spec_file_build(tmp_path, INVALID)
    assert lines[0].startswith(f"esi.errors SpecError cannot build a client from spec file {tmp_path}")
    assert "{'schema': {}} is not valid under any of the given schemas" in lines[0]
    assert lines[1:] == [
        "swagger_spec_validator.common SwaggerValidationError ValidationError",
        "True module",
    ]


def test_a_valid_spec_file_is_validated_and_builds(tmp_path: Path) -> None:
    assert _spec_file_build(tmp_path, VALID) == ["['get_t']", "True module"]


def test_spec_snapshots_validate_a_spec_as_before() -> None:
    lines = _same_as_eager(
        f"""
        from spec_snapshots.store import validate_spec
        from spec_snapshots import SnapshotError
        print(sorted(validate_spec({VALID!r})))
        try:
            validate_spec({INVALID!r})
        except SnapshotError as error:
            print(type(error).__name__, error)
        """
    )
    assert lines[1].startswith(
        "SnapshotError invalid Swagger 2.0 spec: (\"{'schema': {}} is not valid under any of the given schemas"
    )
    assert lines[0].startswith("[")


def test_threads_using_swagger_spec_validator_at_once_import_it_once() -> None:
    lines = _same_as_eager(
        textwrap.dedent(
            f"""
        import threading
        import bravado_core.spec as spec, bravado_core.model as model, swagger_spec_validator
        barrier = threading.Barrier(12)
        results, errors = [], []
        def in_scope():
            with spec.in_scope(None, {{}}):
                return "in_scope"
        uses = [
            in_scope,
            lambda: spec.validator20.validate_spec({VALID!r}).__class__.__name__,
            lambda: swagger_spec_validator.SwaggerValidationError.__name__,
            lambda: __import__("swagger_spec_validator.util").util.get_validator({{"swagger": "2.0"}}).__name__,
            lambda: __import__("swagger_spec_validator.ref_validators").ref_validators.in_scope.__name__,
            lambda: model.attach_scope({{"$ref": "#/x", "x-scope": []}}, None),
        ]
        def run(use):
            barrier.wait()
            try:
                results.append(repr(use()))
            except BaseException as error:
                errors.append(repr(error))
        threads = [threading.Thread(target=run, args=(uses[i % 6],)) for i in range(12)]
        for t in threads: t.start()
        for t in threads: t.join()
        print(errors, sorted(set(results)))
        """
        )
        + REBOUND
    )
    assert lines[0] == (
        "[] [\"'SwaggerValidationError'\", \"'_RefResolver'\", \"'in_scope'\", "
        "\"'swagger_spec_validator.validator20'\", 'None']"
    )
    _rebound(lines[1:])


def test_swagger_spec_validator_first_used_inside_patch_dict_of_sys_modules_is_the_same_after_it() -> None:
    lines = _same_as_eager(
        """
        from unittest import mock
        import bravado_core.spec as spec
        with mock.patch.dict(sys.modules):
            inside = spec.validator20.validate_spec, sys.modules["swagger_spec_validator.common"]
        with spec.in_scope(None, {}):
            pass
        import swagger_spec_validator.validator20 as v20, swagger_spec_validator.common as common
        print(inside[0] is v20.validate_spec, inside[1] is common, spec.validator20 is v20,
              spec.in_scope is sys.modules["swagger_spec_validator.ref_validators"].in_scope)
        """
    )
    assert lines == ["True True True True"]
