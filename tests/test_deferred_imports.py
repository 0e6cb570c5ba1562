"""The libraries :mod:`esi._deferred_imports` defers behave as if bravado had imported them.

Each check runs the same code in two fresh interpreters: one where ``import esi`` put the
stand-ins in place before bravado was imported, one where jsonschema (and so bravado's whole
chain) was imported first, so nothing was deferred. The output must be the same; the first must
also have started with stand-ins. Order matters here (what is imported first), so each runs in a
fresh interpreter (:func:`tests.test_import_graph._python`).
"""

from __future__ import annotations

import datetime
import json
import pickle
import textwrap
from pathlib import Path

import pytest

from esi._deferred_imports import DEFERRED, RAISED, VALUES
from tests.test_import_graph import _python

#: What a process of the deferred run has imported before the checked code: esi first.
DEFERRED_RUN = """
import sys, esi
from esi._deferred_imports import _StandIn
import bravado.client, bravado_core.formatter, bravado_core.param, bravado_core.response, esi.unmarshal.dates
assert all(isinstance(sys.modules[m], _StandIn) for m in {modules!r}), sorted(sys.modules)
"""
#: The same imports with bravado's chain imported first: nothing is deferred.
EAGER_RUN = """
import sys, jsonschema, esi
import bravado.client, bravado_core.formatter, bravado_core.param, bravado_core.response, esi.unmarshal.dates
assert not any(type(m).__name__ == "_StandIn" for m in list(sys.modules.values()))
"""


def _same_as_eager(code: str, *, deferred: tuple[str, ...] = tuple(DEFERRED), first: str = "") -> list[str]:
    """Run ``code`` after ``first`` with the stand-ins and without; return its (equal) output lines."""
    code = textwrap.dedent(code)
    runs = [
        _python(first + prelude.format(modules=list(deferred)) + code).stdout.splitlines()
        for prelude in (DEFERRED_RUN, EAGER_RUN)
    ]
    assert runs[0] == runs[1]
    return runs[0]


def _same_either_way(code: str, *, before_bravado: bool) -> list[str]:
    """Return the output lines of ``code``, equal with the stand-ins and without.

    ``before_bravado``: run right after ``import esi``, when the stand-ins are in place but no
    importer has asked them yet (against a plain interpreter); else after bravado's chain.
    """
    if not before_bravado:
        return _same_as_eager(code)
    runs = [
        _python(f"import sys, esi\n{textwrap.dedent(code)}").stdout,
        _python(f"import sys\n{textwrap.dedent(code)}").stdout,
    ]
    assert runs[0] == runs[1]
    return runs[0].splitlines()


def test_each_library_is_deferred_and_each_importer_asks_for_exactly_the_names_answered_early() -> None:
    # Who asks what while bravado's chain is imported, read as the stand-ins answer; then what
    # swagger_spec_validator's modules (imported with it) ask of jsonschema and yaml, and what
    # jsonschema._format (imported with jsonschema) asks of the format libraries. A second process:
    # bravado_core.swagger20_validator, imported when a value is validated (jsonschema imported, not
    # swagger_spec_validator), asks for in_scope.
    code = """
    import json, sys, types, esi, esi._deferred_imports as d
    asked = set()
    def asker():
        frame = sys._getframe(2)
        while frame.f_globals.get("__name__") in d._IMPORT_SYSTEM:
            frame = frame.f_back
        caller = sys._getframe(1).f_locals
        asked.add((caller["self"].__name__, caller["name"], frame.f_globals["__name__"]))
        return frame.f_globals["__name__"]
    d._asker = asker
    import bravado.client, bravado_core.formatter, bravado_core.param, bravado_core.response, esi.unmarshal.dates
    real = sorted(m for m in d.DEFERRED if not isinstance(sys.modules[m], d._StandIn))
    # Each importer holds the stand-in (or, for dateutil.parser, dateutil), or a name answered early
    # (read without asking a stand-in for anything).
    def held(importers):
        found = {}
        for module, (names, _) in d.DEFERRED.items():
            stand_in = d._stand_ins[module]
            for importer in set(names) & set(importers):
                found[importer + " " + module] = any(
                    value is stand_in
                    or (isinstance(value, types.ModuleType) and vars(value).get("parser") is stand_in)
                    or any(value is early for early in d._early[module].values())
                    for value in vars(sys.modules[importer]).values()
                )
        return found
    def validator():
        return {m for m in sys.modules if m.partition(".")[0] == "swagger_spec_validator"}
    def real_now():
        return sorted(m for m in d.DEFERRED if not isinstance(sys.modules[m], d._StandIn))
    if LATER:
        import jsonschema
        from bravado_core.validate import get_validator_type
        get_validator_type(None)
        found = held({"bravado_core.swagger20_validator"})
        real_validator = real_after = real_now()
    else:
        found = held(set(sys.modules) - {"jsonschema._format", "bravado_core.swagger20_validator"} - validator())
        import swagger_spec_validator
        swagger_spec_validator.SwaggerValidationError
        real_validator = real_now()
        found |= held(validator())
        import jsonschema
        jsonschema.FormatChecker
        found |= held({"jsonschema._format"})
        real_after = real_now()
    print(json.dumps({"real": real, "asked": sorted(asked), "held": found, "real_validator": real_validator,
                      "real_after": real_after}))
    """
    first, later = (
        json.loads(_python(textwrap.dedent(code.replace("LATER", str(later)))).stdout)
        for later in (False, True)
    )
    assert first["real"] == later["real"] == []
    validator = [
        "swagger_spec_validator",
        *(f"swagger_spec_validator.{m}" for m in ("ref_validators", "util", "validator12", "validator20")),
    ]
    assert first["real_validator"] == validator
    assert first["real_after"] == ["jsonschema", "jsonschema.validators", *validator]
    assert later["real_after"] == ["bravado_core.swagger20_validator", "jsonschema", "jsonschema.validators"]
    found = {
        "held": first["held"] | later["held"],
        "asked": sorted(set(map(tuple, first["asked"] + later["asked"]))),
    }
    assert sorted(found["held"]) == sorted(
        f"{i} {m}" for m, (importers, _) in DEFERRED.items() for i in importers
    )
    assert all(found["held"].values()), sorted(k for k, v in found["held"].items() if not v)
    expected = sorted(
        (m, n, importer)
        for m, (importers, names) in DEFERRED.items()
        for n in names
        for importer in importers
    )
    # Every importer of a module asks for each name answered early (yaml's three importers, CSafeLoader) or
    # for none: the names of one importer are answered to the others only in the table's few shared cases.
    asked = [a for a in found["asked"] if a[2] in DEFERRED[a[0]][0]]
    assert asked == [e for e in expected if e in asked]
    assert {(m, n) for m, n, _ in asked} == {(m, n) for m, (_, names) in DEFERRED.items() for n in names}


def test_a_users_yaml_is_the_real_module_with_its_own_names() -> None:
    lines = _same_as_eager(
        """
        import yaml
        print(yaml.__version__ != "", yaml.__with_libyaml__, yaml.__name__, hasattr(yaml, "__all__"))
        print(yaml.safe_load("a: [1, 2]"), yaml.dump({"b": 1}).strip())
        from yaml import CSafeLoader, SafeLoader
        real = sys.modules["yaml"]
        print(type(real).__name__, CSafeLoader is real.cyaml.CSafeLoader, SafeLoader is real.loader.SafeLoader)
        print(yaml.safe_load is real.safe_load, "safe_load" in dir(yaml), yaml.CSafeLoader.__module__)
        scope = {}
        exec("from yaml import *", scope)
        print(scope["CSafeLoader"] is CSafeLoader, scope["safe_load"] is real.safe_load)
        """
    )
    assert lines == [
        "True True yaml False",
        "{'a': [1, 2]} b: 1",
        "module True True",
        "True True yaml.cyaml",
        "True True",
    ]


@pytest.mark.parametrize(
    "first",
    [
        "import yaml.constructor",
        "from yaml.constructor import SafeConstructor",
        "import yaml._yaml",
        "import yaml.cyaml",
        "from yaml import cyaml",
        "import dateutil.parser._parser",
        "from dateutil.parser import isoparser",
        "import pytz.tzinfo",
        "import msgpack.exceptions",
    ],
)
@pytest.mark.parametrize("before_bravado", [True, False])
def test_a_submodule_imported_before_its_package_is_its_packages(first: str, before_bravado: bool) -> None:
    code = f"""
    {first}
    import yaml, yaml.constructor, yaml.loader, dateutil.parser, dateutil.parser._parser, pytz, pytz.tzinfo
    import msgpack, msgpack.exceptions
    m = sys.modules
    print([m[p].__dict__[s] is m[p + "." + s] for p, s in [("yaml", "constructor"), ("yaml", "cyaml"), ("yaml", "_yaml"),
          ("dateutil", "parser"), ("dateutil.parser", "_parser"), ("pytz", "tzinfo"), ("msgpack", "exceptions")]])
    # Each submodule ran once: the package's names are the submodule's.
    print(yaml.__with_libyaml__, yaml.loader.SafeConstructor is yaml.constructor.SafeConstructor,
          issubclass(yaml.CSafeLoader, yaml.constructor.SafeConstructor), yaml.safe_load("a: 1"))
    print(dateutil.parser.parser is dateutil.parser._parser.parser, pytz.BaseTzInfo is pytz.tzinfo.BaseTzInfo,
          msgpack.UnpackValueError is msgpack.exceptions.UnpackValueError)
    print(m["yaml.constructor"].__spec__.name, type(m["yaml.constructor"].__spec__.loader).__name__)
    """
    lines = _same_either_way(code, before_bravado=before_bravado)
    assert lines == [
        "[True, True, True, True, True, True, True]",
        "True True True {'a': 1}",
        "True True True",
        "yaml.constructor SourceFileLoader",
    ]


def test_bravado_loads_a_yaml_spec_and_its_yaml_refs(tmp_path: Path) -> None:
    (tmp_path / "definitions.yaml").write_text(
        "Thing:\n  type: object\n  properties:\n    name: {type: string}\n"
    )
    (tmp_path / "spec.yaml").write_text(
        textwrap.dedent(
            """
            swagger: "2.0"
            info: {title: t, version: "1"}
            host: example.invalid
            paths:
              /things/{id}/:
                get:
                  operationId: get_thing
                  parameters: [{name: id, in: path, type: integer, required: true}]
                  responses:
                    "200": {description: ok, schema: {$ref: "definitions.yaml#/Thing"}}
            """
        )
    )
    lines = _same_as_eager(
        f"""
        from pathlib import Path
        from bravado.client import SwaggerClient
        from bravado.swagger_model import load_file
        from bravado_core.spec import Spec
        import swagger_spec_validator.common
        path = Path({str(tmp_path)!r}) / "spec.yaml"
        spec_dict = load_file(str(path))
        print(sorted(spec_dict["paths"]))
        spec = Spec.from_dict(spec_dict, origin_url=path.as_uri(), config={{"validate_swagger_spec": True}})
        thing = spec.deref(spec.resources["things"].operations["get_thing"].op_spec["responses"]["200"]["schema"])
        print(sorted(thing["properties"]))
        client = SwaggerClient.from_url(path.as_uri(), config={{"use_models": False}})
        print(client.things.get_thing.operation.path_name)
        print(swagger_spec_validator.common.read_file(str(path))["info"])
        """
    )
    assert lines == ["['/things/{id}/']", "['name']", "/things/{id}/", "{'title': 't', 'version': '1'}"]


def test_yaml_loaders_and_errors_are_the_real_classes() -> None:
    lines = _same_as_eager(
        """
        import yaml, bravado_core.spec as spec, bravado.swagger_model as model
        loader = spec.SafeLoader("a: 1")  # what bravado_core.spec hands yaml.load
        print(type(loader) is yaml.CSafeLoader, isinstance(loader, yaml.constructor.SafeConstructor), loader.get_single_data())
        loader.dispose()
        try:
            spec.yaml.load("a: [", Loader=spec.SafeLoader)
        except yaml.YAMLError as error:
            print(type(error).__module__, type(error).__name__, isinstance(error, yaml.MarkedYAMLError))
        print(model.Loader(None).load_yaml("x: {y: 2}"))
        """
    )
    assert lines == ["True True {'a': 1}", "yaml.parser ParserError True", "{'x': {'y': 2}}"]


def test_bravado_cores_date_time_format_and_esis_date_times_parse_as_before() -> None:
    lines = _same_as_eager(
        """
        from datetime import datetime, timedelta, timezone
        from bravado_core.formatter import DEFAULT_FORMATS as F
        from esi.unmarshal.dates import parse_date_time
        print(F["date-time"].to_wire(datetime(2020, 1, 2, 3, 4, 5)))
        print(F["date-time"].to_wire(datetime(2020, 1, 2, 3, 4, 5, tzinfo=timezone(timedelta(hours=2)))))
        print(repr(F["date-time"].to_python("2020-01-02T03:04:05+02:00")), repr(F["date"].to_python("2020-01-02")))
        print(repr(parse_date_time("2016-09-03T05:12:25Z")), repr(parse_date_time("2020-01-02T03:04:05.5+02:00")))
        import dateutil, dateutil.parser, pytz
        print(dateutil.parser is sys.modules["dateutil.parser"], dateutil.parser.isoparse("2020-01-02").year, pytz.utc.zone)
        """
    )
    assert lines == [
        "2020-01-02T03:04:05+00:00",
        "2020-01-02T03:04:05+02:00",
        "datetime.datetime(2020, 1, 2, 3, 4, 5, tzinfo=tzoffset(None, 7200)) datetime.date(2020, 1, 2)",
        "datetime.datetime(2016, 9, 3, 5, 12, 25, tzinfo=tzutc()) "
        "datetime.datetime(2020, 1, 2, 3, 4, 5, 500000, tzinfo=tzoffset(None, 7200))",
        "True 2020 UTC",
    ]


def test_msgpack_bodies_are_packed_and_unpacked_as_before() -> None:
    lines = _same_as_eager(
        """
        from bravado_core.spec import Spec
        from bravado_core.param import marshal_param
        from bravado_core.response import IncomingResponse, unmarshal_response
        from bravado.http_future import unmarshal_response_inner
        spec = Spec.from_dict({
            "swagger": "2.0", "info": {"title": "t", "version": "1"}, "host": "example.invalid",
            "consumes": ["application/msgpack"], "produces": ["application/msgpack"],
            "paths": {"/t/": {"post": {"operationId": "post_t",
                "parameters": [{"name": "body", "in": "body", "schema": {"type": "object"}}],
                "responses": {"200": {"description": "ok", "schema": {"type": "object"}}}}}},
        }, config={"use_models": False})
        op = spec.resources["t"].operations["post_t"]
        request = {"headers": {"Content-Type": "application/msgpack"}}
        marshal_param(op.params["body"], {"a": [1, 2]}, request)
        class Response(IncomingResponse):
            status_code = 200
            reason = "OK"
            headers = {"content-type": "application/msgpack"}
            raw_bytes = request["data"]
            text = None
        print(request["data"].hex(), unmarshal_response(Response(), op), unmarshal_response_inner(Response(), op))
        try:
            Response.raw_bytes = b"\\xc1"
            unmarshal_response_inner(Response(), op)
        except Exception as error:
            import msgpack
            print(type(error).__name__, isinstance(error, msgpack.UnpackException), isinstance(error, ValueError))
        """
    )
    assert lines == ["81a161920102 {'a': [1, 2]} {'a': [1, 2]}", "FormatError True True"]


def test_pickles_of_the_deferred_libraries_load_and_dump_as_before() -> None:
    import dateutil.parser
    import msgpack
    import pytz
    import yaml

    paris = pytz.timezone("Europe/Paris")
    made = [
        pytz.utc,
        paris,
        datetime.datetime(2020, 1, 1, tzinfo=pytz.utc),
        paris.localize(datetime.datetime(2020, 7, 1)),
        yaml.YAMLError("x"),
        msgpack.ExtType(1, b"x"),
        dateutil.parser.ParserError("y"),
    ]
    data = pickle.dumps(made)
    lines = _same_as_eager(
        f"""
        import pickle
        loaded = pickle.loads(bytes.fromhex({data.hex()!r}))  # before anything used the libraries
        import pytz, yaml, msgpack, dateutil.parser
        print(loaded[0] is pytz.utc, loaded[1] is pytz.timezone("Europe/Paris"), loaded[2].tzinfo is pytz.utc)
        print(loaded[3].isoformat(), type(loaded[4]) is yaml.YAMLError, loaded[5] == msgpack.ExtType(1, b"x"))
        print(type(loaded[6]) is dateutil.parser.ParserError, pickle.dumps(loaded) == bytes.fromhex({data.hex()!r}))
        """
    )
    assert lines == ["True True True", "2020-07-01T00:00:00+02:00 True True", "True True"]


def test_patching_a_deferred_library_patches_the_real_module() -> None:
    lines = _same_as_eager(
        """
        from unittest import mock
        import yaml, bravado_core.spec as spec
        with mock.patch("yaml.safe_load", return_value="patched"):
            print(yaml.safe_load("a: 1"), spec.yaml.safe_load("a: 1"), sys.modules["yaml"].safe_load("a: 1"))
        print(yaml.safe_load("a: 1"), sys.modules["yaml"].safe_load("a: 1"))
        yaml.extra = 1
        print(sys.modules["yaml"].extra, spec.yaml.extra)
        del yaml.extra
        print(hasattr(sys.modules["yaml"], "extra"))
        """
    )
    assert lines == ["patched patched patched", "{'a': 1} {'a': 1}", "1 1", "False"]


def test_threads_using_the_deferred_libraries_at_once_import_each_once() -> None:
    # First uses: names, answered names, functions, and submodules imported while another thread imports
    # the package (the package must be in sys.modules all along, else the submodule's import imports it
    # again and the two threads wait for each other).
    lines = _same_as_eager(
        """
        import threading
        import bravado_core.spec as spec, bravado.http_future as future, esi.unmarshal.dates as dates
        import yaml, pytz, msgpack
        barrier = threading.Barrier(16)
        results, errors = [], []
        uses = [
            lambda: spec.yaml.load("a: 1", Loader=spec.SafeLoader),
            lambda: yaml.safe_load("a: 1"),
            lambda: __import__("yaml.constructor").constructor.SafeConstructor.__name__,
            lambda: pytz.utc.zone,
            lambda: future.unpackb(b"\\x81\\xa1a\\x01"),
            lambda: msgpack.packb(1),
            lambda: dates.parse_date_time("2020-01-02T03:04:05.5+02:00").year,
            lambda: __import__("dateutil.parser._parser").parser._parser.parse("2020").year,
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
        print(yaml.loader.SafeConstructor is m["yaml.constructor"].SafeConstructor, m["yaml"].constructor is m["yaml.constructor"])
        """
    )
    assert lines[0] == "[] [\"'SafeConstructor'\", \"'UTC'\", '2020', \"b'\\\\x01'\", \"{'a': 1}\"]"
    assert lines[1] == "True True"


def test_the_table_answers_values_only_for_names_it_lists() -> None:
    assert all(set(values) <= set(DEFERRED[module][1]) for module, values in VALUES.items())
    assert all(
        set(names) <= set(DEFERRED[module][1]) - set(VALUES.get(module, ()))
        for module, names in RAISED.items()
    )


def test_a_library_first_used_inside_patch_dict_of_sys_modules_is_the_same_module_after_it() -> None:
    # mock.patch.dict(sys.modules) puts the stand-in back when it ends: the next use gets the module
    # imported inside, not a second copy whose classes the first one's objects are not instances of.
    lines = _same_as_eager(
        """
        from unittest import mock
        import yaml, bravado_core.spec as spec
        with mock.patch.dict(sys.modules):
            inside = spec.yaml.load("a: 1", Loader=spec.SafeLoader), yaml.YAMLError
        print(inside[0], yaml.safe_load("b: 2"), inside[1] is yaml.YAMLError is sys.modules["yaml"].YAMLError)
        try:
            spec.yaml.load("a: [", Loader=spec.SafeLoader)
        except yaml.YAMLError as error:
            print("caught", type(error).__name__, type(error) is sys.modules["yaml.parser"].ParserError)
        """
    )
    assert lines == ["{'a': 1} {'b': 2} True", "caught ParserError True"]


def test_nothing_is_deferred_where_the_import_system_lacks_what_the_real_imports_use() -> None:
    """Another interpreter (or a Python whose importlib internals changed) imports bravado's chain eagerly."""
    out = _python(
        textwrap.dedent(
            """
            import sys, types
            sys.implementation = types.SimpleNamespace(**{**vars(sys.implementation), "name": "otherpython"})
            import esi
            from esi._deferred_imports import _StandIn
            assert not any(isinstance(m, _StandIn) for m in list(sys.modules.values()))
            import bravado.client, bravado_core.formatter, esi.unmarshal.dates, yaml
            print(type(sys.modules["yaml"]).__name__, esi.unmarshal.dates.parse_date_time("2016-09-03T05:12:25Z"))
            """
        )
    ).stdout.split()
    assert out[0] == "module"
    assert out[1:] == ["2016-09-03", "05:12:25+00:00"]
