"""jsonschema waits until it is used: bravado imports it, but what it imports behaves as if it had.

As in :mod:`tests.test_deferred_imports`, each check runs the same code in two fresh
interpreters, one with the stand-ins (``import esi`` first), one with jsonschema imported
first (nothing deferred), and the output must be the same.
"""

from __future__ import annotations

import json
import textwrap

import pytest

from tests.test_deferred_imports import _same_as_eager, _same_either_way
from tests.test_import_graph import _python

#: What comes with jsonschema (each real, never a stand-in).
JSONSCHEMA = (
    "jsonschema",
    "jsonschema.validators",
    "jsonschema.exceptions",
    "referencing",
    "attr",
    "attrs",
    "jsonschema_specifications",
    "rpds",
    "bravado_core.swagger20_validator",
)
#: bravado's modules that import jsonschema (or the module above that does) when they are imported.
BRAVADO = (
    "bravado.client, bravado_core.spec, bravado_core.param, bravado_core.response, bravado_core.validate, "
    "bravado_core.model, swagger_spec_validator"
)
SPEC = {
    "swagger": "2.0",
    "info": {"title": "t", "version": "1"},
    "host": "example.invalid",
    "produces": ["application/json"],
    "paths": {
        "/t/": {
            "get": {
                "operationId": "get_t",
                "parameters": [{"name": "n", "in": "query", "type": "integer", "maximum": 5}],
                "responses": {
                    "200": {
                        "description": "ok",
                        "headers": {"X-Count": {"type": "integer"}},
                        "schema": {
                            "type": "object",
                            "properties": {"a": {"type": "integer", "enum": [1, 2]}},
                        },
                    }
                },
            }
        }
    },
}


def test_bravados_modules_import_no_jsonschema_until_it_is_used() -> None:
    code = f"""
    import json, sys{{esi}}
    import {BRAVADO}
    def real():
        return [m for m in {JSONSCHEMA!r} if m in sys.modules and type(sys.modules[m]).__name__ != "_StandIn"]
    before = real()
    import jsonschema
    jsonschema.FormatChecker
    print(json.dumps([before, real()]))
    """
    with_esi = json.loads(_python(textwrap.dedent(code.format(esi=", esi"))).stdout)
    without = json.loads(_python(textwrap.dedent(code.format(esi=""))).stdout)
    assert with_esi[0] == []
    # The same modules once used (bravado_core.swagger20_validator waits for a value to validate).
    assert with_esi[1] == [m for m in JSONSCHEMA if m != "bravado_core.swagger20_validator"]
    assert without[0] == without[1] == list(JSONSCHEMA)


def test_specs_and_values_are_validated_as_before() -> None:
    lines = _same_as_eager(
        f"""
        import bravado_core.response, bravado_core.validate, swagger_spec_validator.ref_validators
        import swagger_spec_validator.validator12, swagger_spec_validator.validator20
        from bravado_core.spec import Spec
        from swagger_spec_validator import SwaggerValidationError
        spec = Spec.from_dict({SPEC!r}, config={{"validate_swagger_spec": True, "use_models": False}})
        print(sorted(spec.resources["t"].operations))
        bad = {{**{SPEC!r}, "paths": {{"/t/": {{"get": {{"responses": {{"200": {{"description": 1}}}}}}}}}}}}
        try:
            Spec.from_dict(bad, config={{"validate_swagger_spec": True}})
        except SwaggerValidationError as error:
            print(type(error).__name__, type(error.args[1]).__module__, error.args[1].message)
        import jsonschema
        try:
            bravado_core.validate.validate_schema_object(spec, {{"type": "integer", "enum": [1, 2]}}, 3)
        except jsonschema.ValidationError as error:
            print(type(error).__module__, type(error).__name__, error.message)
        import bravado_core.swagger20_validator as v
        import jsonschema.validators as validators
        print(v._DRAFT4_ENUM_VALIDATOR is validators.Draft4Validator.VALIDATORS["enum"])
        # What the importers hold is the real module's.
        m = sys.modules
        print([type(m[n]).__name__ for n in ("jsonschema", "jsonschema.validators", "bravado_core.swagger20_validator")])
        print(bravado_core.response.ValidationError is jsonschema.ValidationError,
              bravado_core.validate.jsonschema is jsonschema, swagger_spec_validator.validator12.jsonschema is jsonschema,
              bravado_core.validate.get_validator_type is v.get_validator_type,
              bravado_core.spec.FormatChecker is jsonschema.FormatChecker,
              bravado_core.spec.RefResolver is validators._RefResolver,
              swagger_spec_validator.validator12.RefResolver is validators._RefResolver,
              swagger_spec_validator.validator20.RefResolver is validators._RefResolver,
              swagger_spec_validator.validator20.Draft4Validator is validators.Draft4Validator,
              swagger_spec_validator.ref_validators.validators is validators,
              swagger_spec_validator.ref_validators.Draft4Validator is jsonschema.Draft4Validator,
              isinstance(spec.format_checker, jsonschema.FormatChecker))
        """
    )
    assert lines == [
        "['get_t']",
        "SwaggerValidationError jsonschema.exceptions "
        "{'description': 1} is not valid under any of the given schemas",
        "jsonschema.exceptions ValidationError 3 is not one of [1, 2]",
        "True",
        "['module', 'module', 'module']",
        "True True True True True True True True True True True True",
    ]


def test_validation_errors_are_caught_as_before_and_other_errors_pass_through_before_the_import() -> None:
    lines = _same_as_eager(
        f"""
        import bravado_core.response as response, bravado_core.validate as validate
        from bravado_core.exception import SwaggerMappingError
        deferred = any(type(m).__name__ == "_StandIn" for m in list(sys.modules.values()))
        def not_imported_if_deferred():  # jsonschema (still) a stand-in in the run with them
            return type(sys.modules["jsonschema"]).__name__ == ("_StandIn" if deferred else "module")
        # Errors that are not jsonschema's pass through its ``except ValidationError`` clauses unchanged.
        class Spec:
            config = {{"default_type_to_object": False}}
            def deref(self, value):
                return value
        class Op:
            swagger_spec = Spec()
        class Outgoing:
            headers = {{"X-Count": "1"}}
        try:
            response.validate_response_headers(Op(), {{"headers": {{"X-Count": {{"type": "weird"}}}}}}, Outgoing())
        except SwaggerMappingError as error:
            print(type(error).__name__, error)
        try:
            validate.scrub_sensitive_value(lambda: 1 / 0)()
        except ZeroDivisionError as error:
            print(type(error).__name__, error, not_imported_if_deferred())
        # A validation error is caught where bravado-core catches it (the header named in its message).
        from bravado_core.spec import Spec
        from bravado_core.response import OutgoingResponse
        spec = Spec.from_dict({SPEC!r}, config={{"use_models": False, "validate_responses": True}})
        op = spec.resources["t"].operations["get_t"]
        class Bad(OutgoingResponse):
            content_type = "application/json"
            text = '{{"a": 1}}'
            headers = {{"X-Count": "many"}}
            def json(self):
                return {{"a": 1}}
        import jsonschema
        try:
            response.validate_response(op.op_spec["responses"]["200"], op, Bad())
        except jsonschema.ValidationError as error:
            print(type(error).__name__, error.message)
        """
    )
    assert lines == [
        "SwaggerMappingError Unknown type weird for value 1",
        "ZeroDivisionError division by zero True",
        "ValidationError 'many' is not of type 'integer' for header 'X-Count'",
    ]


@pytest.mark.parametrize(
    "first",
    [
        "import jsonschema.validators",
        "from jsonschema.validators import Draft4Validator",
        "from jsonschema.exceptions import ValidationError",
        "from jsonschema import validators",
        "import jsonschema._format",
        "import referencing.jsonschema",
        "import bravado_core.swagger20_validator",
    ],
)
@pytest.mark.parametrize("before_bravado", [True, False])
def test_a_submodule_imported_first_is_its_packages_and_each_module_runs_once(
    first: str, before_bravado: bool
) -> None:
    code = f"""
    {first}
    import jsonschema, jsonschema.validators, jsonschema.exceptions, jsonschema._format, bravado_core.swagger20_validator
    m = sys.modules
    print([type(m[n]).__name__ for n in ("jsonschema", "jsonschema.validators", "jsonschema.exceptions")])
    print(m["jsonschema"].validators is m["jsonschema.validators"], m["jsonschema"].exceptions is m["jsonschema.exceptions"],
          jsonschema.Draft4Validator is m["jsonschema.validators"].Draft4Validator,
          jsonschema.ValidationError is m["jsonschema.exceptions"].ValidationError,
          m["jsonschema.validators"].exceptions is m["jsonschema.exceptions"],
          m["bravado_core.swagger20_validator"].ValidationError is jsonschema.ValidationError,
          m["bravado_core.swagger20_validator"].Draft4Validator is jsonschema.Draft4Validator,
          m["bravado_core"].swagger20_validator is m["bravado_core.swagger20_validator"])
    print(m["jsonschema.validators"].__spec__.name, type(m["jsonschema.validators"].__spec__.loader).__name__)
    try:
        jsonschema.validate(3, {{"maximum": 2}})
    except jsonschema.ValidationError as error:
        print(error.message)
    """
    lines = _same_either_way(code, before_bravado=before_bravado)
    assert lines == [
        "['module', 'module', 'module']",
        "True True True True True True True True",
        "jsonschema.validators SourceFileLoader",
        "3 is greater than the maximum of 2",
    ]


#: Records every warning, from the start of the process.
RECORD_WARNINGS = """
import warnings
warnings.simplefilter("always")
{filters}
RECORDED = set()
def record(message, category, filename, lineno, file=None, line=None):
    RECORDED.add((filename.rsplit("site-packages/", 1)[-1], lineno if filename != "<string>" else 0,
                  category.__name__, str(message)[:30]))
warnings.showwarning = record
"""


@pytest.mark.parametrize("validator_first", [False, True])
@pytest.mark.parametrize("module_filters", [False, True])
def test_jsonschemas_refresolver_deprecations_are_the_importers_as_before(
    module_filters: bool, validator_first: bool
) -> None:
    # With the stand-ins they come when jsonschema is imported, not when bravado is (or, for
    # swagger_spec_validator's, when it is, if that is later); each with the importer's file and line,
    # so that the project's filters by module (pyproject.toml) still match.
    filters = 'warnings.filterwarnings("ignore", category=DeprecationWarning, module="bravado_core|swagger_spec_validator")'
    use_validator = "import swagger_spec_validator; swagger_spec_validator.SwaggerValidationError\n"
    code = f"""
    {use_validator if validator_first else ""}
    import jsonschema
    jsonschema.FormatChecker, jsonschema.RefResolver  # and a user's own use: the user's
    from bravado_core.validate import get_validator_type
    get_validator_type(None)
    {"" if validator_first else use_validator}
    print(sorted(RECORDED))
    """
    lines = _same_as_eager(code, first=RECORD_WARNINGS.format(filters=filters if module_filters else ""))
    message = ("DeprecationWarning", "jsonschema.RefResolver is depr")
    expected = [
        ("<string>", 0, *message),
        ("bravado_core/spec.py", 14, *message),
        ("bravado_core/swagger20_validator.py", 6, *message),
        ("swagger_spec_validator/ref_validators.py", 14, *message),
        ("swagger_spec_validator/validator12.py", 18, *message),
        ("swagger_spec_validator/validator20.py", 18, *message),
    ]
    assert lines == [repr(expected[:1] if module_filters else expected)]


def test_threads_using_jsonschema_at_once_import_it_once() -> None:
    lines = _same_as_eager(
        f"""
        import threading
        import bravado_core.spec as spec, bravado_core.validate as validate, jsonschema
        import swagger_spec_validator.ref_validators as ref_validators
        from bravado_core.spec import Spec
        barrier = threading.Barrier(16)
        results, errors = [], []
        uses = [
            lambda: type(spec.RefResolver("", {{}})).__name__,
            lambda: jsonschema.Draft4Validator({{"type": "integer"}}).is_valid(1),
            lambda: ref_validators.validators.validator_for({{}}).__name__,
            lambda: ref_validators.Draft4Validator.VALIDATORS["enum"].__name__,
            lambda: __import__("jsonschema.exceptions").exceptions.ValidationError.__name__,
            lambda: __import__("bravado_core.swagger20_validator").swagger20_validator._DRAFT4_TYPE_VALIDATOR.__name__,
            lambda: type(Spec({SPEC!r}).format_checker).__name__,
            # (Not Spec.from_dict(), nor get_validator_type(): bravado-core's memoized functions raise
            # RecursiveCallException when two threads call them at once, with or without the stand-ins.)
            lambda: __import__("jsonschema.validators").validators.Draft4Validator.__name__,
        ]
        def run(use):
            barrier.wait()
            try:
                results.append(repr(use()))
            except BaseException as error:
                errors.append(repr(error))
        threads = [threading.Thread(target=run, args=(uses[i % 8],)) for i in range(16)]
        for t in threads: t.start()
        for t in threads: t.join()
        m = sys.modules
        print(errors, sorted(set(results)))
        print(m["jsonschema"].validators is m["jsonschema.validators"], jsonschema.ValidationError is m["jsonschema.exceptions"].ValidationError,
              validate.get_validator_type is m["bravado_core.swagger20_validator"].get_validator_type)
        """
    )
    assert lines[0] == (
        "[] [\"'Draft202012Validator'\", \"'Draft4Validator'\", \"'FormatChecker'\", \"'ValidationError'\", "
        "\"'_RefResolver'\", \"'enum'\", \"'type'\", 'True']"
    )
    assert lines[1] == "True True True"


#: Thread A's first use imports jsonschema. Before the package imports its first submodule, A is held
#: until thread B, importing ``jsonschema.exceptions`` meanwhile, waits: for the package (with the
#: stand-ins), or (the import system alone) for A's lock of it, having looked for the module with its own
#: lock held, which A takes next.
SUBMODULE_DURING_IMPORT = """
import sys, threading, time, esi
import importlib.abc, importlib.machinery, importlib._bootstrap as bootstrap, bravado.client, jsonschema
held, started, looked, went_on = threading.Event(), threading.Event(), threading.Event(), []
def stuck(thread):
    # Waiting for an event (a thread's import to be over), or for another thread's import lock.
    frame = sys._current_frames().get(thread.ident)
    return frame is not None and frame.f_code.co_filename == threading.__file__ or bool(bootstrap._blocking_on.get(thread.ident))
class Hold(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    # A's jsonschema._format waits before it runs (not in find_spec: that holds the global import lock).
    def find_spec(self, name, path=None, target=None):
        me = threading.current_thread().name
        if me == "A" and name == "jsonschema._format":
            spec = importlib.machinery.PathFinder.find_spec(name, path)
            self.loader, spec.loader = spec.loader, self
            return spec
        if me == "B" and name == "jsonschema.exceptions":
            looked.set()
    def exec_module(self, module):
        held.set()
        b, deadline = next(t for t in threading.enumerate() if t.name == "B"), time.monotonic() + 10
        while not (started.is_set() and stuck(b)) and time.monotonic() < deadline:
            time.sleep(0.001)
        went_on.append("B looked for it first" if looked.is_set() else "B waited" if stuck(b) else "timed out")
        self.loader.exec_module(module)
sys.meta_path.insert(0, Hold())
found, errors = {}, []
def use(key, code):
    try:
        found[key] = code()
    except BaseException as error:
        errors.append(repr(error))
def b():
    held.wait(30)
    started.set()
    use("B", lambda: __import__("jsonschema.exceptions").exceptions)
threads = [threading.Thread(target=b, name="B"),
           threading.Thread(target=use, name="A", args=("A", lambda: jsonschema.FormatChecker))]
for t in threads: t.start()
for t in threads: t.join()
m = sys.modules
print(errors, went_on, sorted(found))
exceptions = m.get("jsonschema.exceptions")
print(found.get("B") is exceptions, m["jsonschema"].ValidationError is getattr(exceptions, "ValidationError", None),
      found.get("A") is m["jsonschema"].FormatChecker, type(m["jsonschema"]).__name__)
"""


def test_a_submodule_imported_while_another_thread_imports_jsonschema_waits_for_the_package() -> None:
    # The import system alone goes on with the package partly imported, holding the submodule's import
    # lock; the package's import then needs that lock and the cycle ends in a partly imported module
    # ("cannot import name 'FormatError' from partially initialized module 'jsonschema.exceptions'").
    lines = _python(SUBMODULE_DURING_IMPORT).stdout.splitlines()
    # B did not look for the module while A imported the package: it waited, and found what A imported.
    assert lines == ["[] ['B waited'] ['A', 'B']", "True True True module"]


def test_jsonschema_first_used_inside_patch_dict_of_sys_modules_is_the_same_module_after_it() -> None:
    lines = _same_as_eager(
        """
        from unittest import mock
        import jsonschema, bravado_core.validate as validate
        with mock.patch.dict(sys.modules):
            inside = jsonschema.ValidationError, validate.get_validator_type(None)
        import jsonschema.exceptions
        print(inside[0] is jsonschema.ValidationError is sys.modules["jsonschema.exceptions"].ValidationError,
              inside[1].TYPE_CHECKER is sys.modules["jsonschema.validators"].Draft4Validator.TYPE_CHECKER,
              sys.modules["jsonschema"].validators is sys.modules["jsonschema.validators"])
        """
    )
    assert lines == ["True True True"]


def test_nothing_is_deferred_when_jsonschema_is_imported_first() -> None:
    out = _python(
        "import sys, jsonschema.validators, esi\n"
        "from esi._deferred_imports import _StandIn\n"
        f"import {BRAVADO}\n"
        "print(sorted(n for n, m in list(sys.modules.items()) if isinstance(m, _StandIn)))"
    )
    assert out.stdout.split() == ["[]"]
