"""Keep ``import bravado`` cheap: defer the libraries it imports but does not use until they are used.

bravado imports jsonschema (with referencing, attrs, rpds and
jsonschema-specifications), which it uses only to validate specs, requests and
responses; jsonschema's format checkers import optional libraries at import
time; bravado-core imports swagger-spec-validator (with typing_extensions and
importlib_resources), which it uses only while it builds a spec; bravado and
bravado-core import PyYAML, pytz, dateutil's parser and msgpack, which they use
only inside functions. Each of these waits, as a stand-in module in
``sys.modules``, until a name of it is used. Behaviour is unchanged; only the
moment of the import moves.

======================  ===========  =======================================================
module                  saves        imported when
======================  ===========  =======================================================
``jsonschema``,         0.19 G       a ``Spec`` is built (bravado-core's makes a
``jsonschema.           instruc-     ``FormatChecker``), a spec, request or response is
validators``            tions        validated, or anyone else uses jsonschema
``bravado_core.         (in the      a value is validated (``get_validator_type``: it reads
swagger20_validator``   above)       ``Draft4Validator.VALIDATORS`` when it is imported)
``swagger_spec_         17 M         a ``Spec`` is built (it validates the spec with
validator`` and its     instruc-     ``validate_swagger_spec``; model discovery and
``ref_validators``,     tions        flattening use ``attach_scope`` and ``in_scope``), a
``validator20``,        (11 M of     ``$ref`` outside an operation's own fragment is
``util``,               them         followed, or anyone else uses it (``spec_snapshots``
``validator12``         typing_ex-   validates a spec it imports)
                        tensions)
``rfc3987_syntax``      ~0.8 s       an ``iri`` is checked (it compiles a Lark grammar)
``uri_template``,       a few ms     a ``uri-template`` or ``uri`` is checked
``rfc3986_validator``
``isoduration``         ~25 ms       a ``duration`` is checked (it imports ``arrow``)
``webcolors``           ~1 ms        a ``color`` is checked
``yaml``                ~8 ms        a YAML spec is loaded (``bravado_core.spec``,
                                     ``bravado.swagger_model``, ``swagger_spec_validator``)
``dateutil.parser``     ~1 ms        a date-time is parsed that is not ESI's ``...Z`` shape
                                     (its ``dateutil.tz``, ~1.7 ms, is imported anyway)
``pytz``                ~1 ms        bravado-core sends a naive datetime (``pytz.utc``)
``msgpack``             ~0.8 ms      a msgpack body is sent or received
======================  ===========  =======================================================

(What each adds to ``import bravado.client`` after Django and requests. The
libraries below swagger-spec-validator in CPU time: it costs about 49 ms with them
deferred instead of 63 ms. jsonschema and swagger-spec-validator in callgrind
instructions, load-proof: ``import django, requests; import esi, bravado.client``
runs 0.60 G with jsonschema deferred, 0.78 G without; ``import esi`` alone, 0.50 G;
0.579 G with swagger-spec-validator deferred too, 0.596 G without. typing_extensions
costs 31 M on its own after Django and requests, 11 M after bravado's other imports.)

ESI specs use none of these formats, are JSON, and ESI sends date-times as
``2016-09-03T05:12:25Z`` (parsed by :mod:`esi.unmarshal.dates` without dateutil's
parser).

How a stand-in answers (:class:`_StandIn`):

* To the modules that import it while bravado is imported (its *importers*,
  :data:`DEFERRED`), the names they take from it then (``from yaml import
  CSafeLoader``) are answered without the import: an object that imports the
  real module when it is called or one of its attributes is read, and calls or
  reads the real one (``yaml.load(text, Loader=SafeLoader)`` calls
  ``SafeLoader(stream)``; ``Draft4Validator.VALIDATORS``); or the value in
  :data:`VALUES` (jsonschema reads ``isoduration.DurationParsingException`` for
  ``raises=``; it gets ``ValueError``, the class the real exception derives
  from, so the checker catches what it caught before); or, for an exception
  class they only catch (:data:`RAISED`: ``except ValidationError``), a class
  that nothing raises, as nothing can raise the real one before its module is
  imported; or, for a deferred submodule (``from jsonschema import
  validators``), its stand-in.
* When the real module is imported, its importers get it and its real names in
  place of the stand-in and the answers they hold (their globals are rebound),
  so that from then on everything of theirs is as without the stand-in
  (``except ValidationError`` catches the real class, ``isinstance`` and ``is``
  see the real classes). A warning the real module gives for a name (jsonschema's
  deprecation of ``RefResolver``) is then given as the importer's, with the file
  and line of its import, so its filters match it as before.
* Anything else, from anyone (``yaml.safe_load``, ``from yaml import
  CSafeLoader`` in a user's module, ``yaml.__version__``, ``dir(yaml)``, setting
  or deleting an attribute as ``mock.patch`` does) imports the real module and
  is the real module's; the stand-in then passes every access through.
* Importing a submodule first (``import yaml.constructor``, ``import
  yaml._yaml``, ``from jsonschema.exceptions import ValidationError``) imports
  the real package first, as without the stand-in, so the submodule is bound to
  the real package and each module runs once (the stand-in carries the
  package's ``__spec__``, ``__file__`` and ``__path__``; :class:`_Imported`
  answers the import system for a submodule that the package imported itself).
  A deferred submodule of a deferred package (``jsonschema.validators``) waits
  for its package, and is imported when the package takes its first name from
  it, or the submodule itself (``from swagger_spec_validator import validator20``
  in its ``util``: the real package answers for a deferred submodule while it
  runs, :func:`_submodule_hook`), in the order of an import without the
  stand-ins. A submodule of a package that is not imported when esi is
  (``bravado_core.swagger20_validator``, ``dateutil.parser``) is deferred when
  the first of its importers is imported: finding it before would import the
  package.
* Threads: one thread claims the stand-in and, under the import system's lock
  for the module, puts the real module in its place in ``sys.modules`` and runs
  it, as an import does; the others wait for it on that lock, as for any import.
  A thread importing a submodule meanwhile (``import jsonschema.exceptions``
  while another thread's first use imports jsonschema) waits until the package
  is imported, as it would have been before (bravado imported it, in one thread,
  at start-up): the import system would let it go on with the package partly
  imported, holding the submodule's import lock, which the package's own import
  takes too, and the import system's answer to that cycle is a partly imported
  module in one of the two (``cannot import name 'FormatError' from partially
  initialized module``). It waits when it asks for the package's ``__path__``,
  with the submodule's lock released (:func:`_wait_for`; the real package is a
  :class:`_Loading` while it runs); should the importing thread wait for a lock
  this one holds, it goes on as the import system would. A package whose modules
  import from it while it is imported (swagger-spec-validator's ``util`` and
  ``validator12``) has those deferred too, with no importers: a thread importing
  one meanwhile waits for the package, rather than importing it at once and
  each thread waiting for the other's import lock.
* Should ``sys.modules`` get the stand-in back (``mock.patch.dict(sys.modules)``
  restores the dict it saw), the next use puts back the modules that the real
  import brought, rather than importing a second copy.

:func:`defer_libraries` runs when ``esi`` is imported, before anything imports
jsonschema or bravado. It does nothing when jsonschema is already imported, and
skips a library that is already imported or not installed (or, for ``yaml``,
built without libyaml: its importers then take the pure-Python ``SafeLoader``).
On an interpreter without the import-system internals the real imports use
(:func:`_import_system_supported`) it defers nothing.
"""

from __future__ import annotations

import importlib
import importlib._bootstrap as _bootstrap
import importlib.abc
import importlib.machinery
import importlib.util
import linecache
import re
import sys
import threading
import time
import types
from collections.abc import Callable
from typing import Any

__all__ = ["DEFERRED", "RAISED", "REQUIRES", "VALUES", "defer_libraries"]

_JSONSCHEMA = ("jsonschema._format",)
_YAML = ("bravado.swagger_model", "bravado_core.spec", "swagger_spec_validator.common")

#: Module -> (its importers, the names they take from it while they are imported).
DEFERRED: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "jsonschema": (
        (
            "bravado_core.response",
            "bravado_core.spec",
            "bravado_core.validate",
            "swagger_spec_validator.ref_validators",
            "swagger_spec_validator.validator12",
        ),
        ("FormatChecker", "RefResolver", "ValidationError", "validators"),
    ),
    "jsonschema.validators": (
        ("bravado_core.spec", "swagger_spec_validator.ref_validators", "swagger_spec_validator.validator20"),
        ("Draft4Validator", "RefResolver"),
    ),
    # It reads jsonschema's Draft4Validator.VALIDATORS when it is imported.
    "bravado_core.swagger20_validator": (("bravado_core.validate",), ("get_validator_type",)),
    "rfc3987_syntax": (_JSONSCHEMA, ("is_valid_syntax",)),
    "rfc3986_validator": (_JSONSCHEMA, ("validate_rfc3986",)),
    "uri_template": (_JSONSCHEMA, ()),
    "isoduration": (_JSONSCHEMA, ("DurationParsingException",)),
    "webcolors": (_JSONSCHEMA, ()),
    # bravado-core validates a spec with them only when it builds one (validate_swagger_spec); they import
    # typing_extensions and importlib_resources. The package's own modules import both submodules.
    "swagger_spec_validator": (("bravado_core.spec",), ("validator20",)),
    "swagger_spec_validator.ref_validators": (
        (
            "bravado_core.model",
            "bravado_core.spec",
            "bravado_core.spec_flattening",
            "bravado_core.swagger20_validator",
        ),
        ("attach_scope", "in_scope"),
    ),
    "swagger_spec_validator.validator20": (("bravado_core.spec",), ()),
    # Nobody takes names from these two; they import from their package while it is imported, so they wait
    # with it: a thread importing one while another imports the package waits for the package instead
    # of importing the module at once (each would wait for the other's import lock).
    "swagger_spec_validator.util": ((), ()),
    "swagger_spec_validator.validator12": ((), ()),
    "yaml": (_YAML, ("CSafeLoader",)),
    "dateutil.parser": (("bravado_core.formatter", "esi.unmarshal.dates"), ("isoparse",)),
    "pytz": (("bravado_core.formatter",), ()),
    "msgpack": (("bravado.http_future", "bravado_core.param", "bravado_core.response"), ("unpackb",)),
}

#: Module -> names answered to its importers with a value rather than a function that imports on first
#: call: a base class of the real exception class, so ``raises=`` catches the same.
VALUES: dict[str, dict[str, type]] = {"isoduration": {"DurationParsingException": ValueError}}

#: Module -> exception classes its importers only catch (``except ValidationError``): answered with a
#: class that nothing raises, as nothing can raise the real one before its module is imported.
RAISED: dict[str, tuple[str, ...]] = {"jsonschema": ("ValidationError",)}

#: Module -> a module that must be installed too, else it is not deferred (``CSafeLoader`` needs libyaml).
REQUIRES: dict[str, str] = {"yaml": "yaml._yaml"}

#: The import system's own frames: skipped to find who asks (``from m import f`` asks from there too).
_IMPORT_SYSTEM = frozenset({"_frozen_importlib", "_frozen_importlib_external", "importlib._bootstrap"})

#: The import system's function that asks a package for its ``__path__`` to import a submodule.
_FIND_AND_LOAD_UNLOCKED = getattr(getattr(_bootstrap, "_find_and_load_unlocked", None), "__code__", None)

_lock = threading.Lock()
#: Module -> its stand-in.
_stand_ins: dict[str, _StandIn] = {}
#: Module -> the names its importers get without the import.
_early: dict[str, dict[str, Any]] = {}
#: Module -> the real objects of the names answered early, once its importers took them.
_real_values: dict[str, dict[str, Any]] = {}
#: Package -> its ``__path__``, answered without the import unless a submodule is being imported.
_paths: dict[str, list[str]] = {}
#: Importer -> the modules deferred when it is imported (their package is not imported before).
_pending: dict[str, list[str]] = {}
#: Module -> the thread that claimed its real import (the others wait for it), and an event set when that
#: import is over (done or failed).
_importing: dict[str, tuple[int, threading.Event]] = {}
#: Module -> the modules its real import put in ``sys.modules``: put back, rather than imported a second
#: time, when ``sys.modules`` has the stand-in again (``mock.patch.dict(sys.modules)`` restores it).
_imported: dict[str, dict[str, types.ModuleType]] = {}


def _asking_frame(depth: int) -> types.FrameType | None:
    """The frame ``depth`` frames up, past the import system's own."""
    frame: types.FrameType | None = sys._getframe(depth)
    while frame is not None and frame.f_globals.get("__name__") in _IMPORT_SYSTEM:
        frame = frame.f_back
    return frame


def _asker() -> str | None:
    """The module whose code reads the stand-in's attribute."""
    frame = _asking_frame(3)
    return None if frame is None else frame.f_globals.get("__name__")


def _get_as(scope: dict[str, Any], file: str, line: int, module: types.ModuleType, name: str) -> Any:
    """``getattr(module, name)``, run as line ``line`` of ``file``, code of the module whose globals are ``scope``.

    A module's ``__getattr__`` may warn about the code that asks (jsonschema's, for ``RefResolver``):
    the warning is then the asker's, with its file and line, as without the stand-in, and the filters
    of its module match it.
    """
    if name in vars(module):
        return vars(module)[name]
    code = compile("\n" * (line - 1) + "getattr(module, name)", file, "eval")
    return eval(code, scope, {"module": module, "name": name})


def _import_line(file: str, name: str) -> int:
    """The line of ``file`` that imports ``name``, else 1."""
    for number, line in enumerate(linecache.getlines(file), 1):
        if "import" in line and re.search(rf"\b{name}\b", line):
            return number
    return 1


class _StandIn(types.ModuleType):
    """Stand-in for a module until one of its names is used."""

    def __getattr__(self, name: str) -> Any:
        if name == "__path__":
            # ``from m import f`` asks every module for it: answered as is (a plain module has none).
            if self.__name__ not in _paths:
                raise AttributeError(name)
            caller = sys._getframe(1)
            if caller.f_code is _FIND_AND_LOAD_UNLOCKED:
                # A submodule is being imported: the real package first, as without the stand-in, so the
                # submodule is bound to it (_Imported answers for one the package imported itself).
                _real_module(self.__name__, wait=False)
                _wait_for(self.__name__, caller.f_locals["name"])
            return _paths[self.__name__]
        early = _early[self.__name__]
        if name in early and self.__name__ not in _imported and _asker() in DEFERRED[self.__name__][0]:
            return early[name]
        real = _real_module(self.__name__)
        frame = _asking_frame(2)
        if frame is None:
            return getattr(real, name)
        return _get_as(frame.f_globals, frame.f_code.co_filename, frame.f_lineno, real, name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(_real_module(self.__name__), name, value)

    def __delattr__(self, name: str) -> None:
        delattr(_real_module(self.__name__), name)

    def __dir__(self) -> list[str]:
        return dir(_real_module(self.__name__))


def _real_module(name: str, *, wait: bool = True) -> types.ModuleType:
    """Import the real module in place of its stand-in, once; or wait for the thread importing it.

    The real module takes the stand-in's place in ``sys.modules`` at once, under the import
    system's lock for it, as an import puts a module there before running it: a thread importing
    a submodule meanwhile finds the package there, never imports it again. With ``wait=False``
    (the thread is importing a submodule, and holds its import lock, which the package's import
    may need) it does not wait here for another thread's import of the package: it returns the
    package in ``sys.modules``, partly imported, and its caller then waits for the import to be over
    with that lock released (:func:`_wait_for`). A submodule whose package is
    deferred too waits for the package, which imports it, as without the stand-ins.
    """
    parent = name.rpartition(".")[0]
    if parent in _stand_ins:
        _real_module(parent)
    while True:
        module = sys.modules.get(name)
        if not isinstance(module, _StandIn):
            return importlib.import_module(name) if wait or module is None else module
        with _lock:
            claimed = sys.modules.get(name) is module and name not in _importing
            if claimed:
                _importing[name] = (threading.get_ident(), threading.Event())
        if not claimed:
            if not wait:
                # The thread that claimed it is about to put the real module in its place: go on with
                # that, partly imported, as the import system would (not with the stand-in).
                while sys.modules.get(name) is module and name in _importing:
                    time.sleep(0)
                return sys.modules.get(name) or module
            time.sleep(0)  # the thread that claimed it is about to put the real module in its place
            continue
        try:
            return _load(name, module)
        finally:
            with _lock:
                _importing.pop(name)[1].set()


def _load(name: str, stand_in: _StandIn) -> types.ModuleType:
    again = _imported.get(name)
    if again is not None:
        for key, value in again.items():
            if isinstance(sys.modules.get(key, stand_in), _StandIn):
                sys.modules[key] = value
        return again[name]
    spec = stand_in.__spec__
    assert spec is not None and spec.loader is not None
    prefix = name + "."
    # What the import system does once it has found the spec (importlib._bootstrap._load_unlocked),
    # under its lock for the module: the module replaces the stand-in before it runs.
    with _bootstrap._ModuleLockManager(name):  # type: ignore[attr-defined]
        before = set(sys.modules)
        real = importlib.util.module_from_spec(spec)
        # Submodules already imported (by a thread that went on while this one imported the package, or
        # an import of it that failed) are bound first, as they would be had the package come first. (A
        # deferred one, jsonschema.validators, is imported when the package takes its first name.)
        for key, value in list(sys.modules.items()):
            if key.startswith(prefix) and "." not in key[len(prefix) :] and value is not None:
                if not isinstance(value, _StandIn):
                    setattr(real, key[len(prefix) :], value)
        created = real
        hook = _submodule_hook(name, real)
        if hook is not None:
            vars(real)["__getattr__"] = hook
        if spec.submodule_search_locations is not None:
            real.__class__ = _Loading  # (a thread importing a submodule meanwhile waits for it: _wait_for)
        spec._initializing = True  # type: ignore[attr-defined]  # (another thread's import waits for it)
        try:
            sys.modules[name] = real
            try:
                spec.loader.exec_module(real)
            except BaseException:
                if sys.modules.get(name) is real:
                    sys.modules[name] = stand_in
                raise
            finally:
                if hook is not None and vars(created).get("__getattr__") is hook:
                    del vars(created)["__getattr__"]
                if type(created) is _Loading:
                    created.__class__ = types.ModuleType  # type: ignore[assignment]  # (narrowed to _Loading)
            real = sys.modules.pop(name)
            sys.modules[name] = real
            parent, _, child = name.rpartition(".")
            if parent:
                setattr(sys.modules[parent], child, real)  # as the import system binds a submodule
            added = {key: sys.modules.get(key) for key in set(sys.modules) - before}
            _imported[name] = {key: value for key, value in added.items() if value is not None} | {name: real}
            _hand_over(name, real)  # before another thread's import of it returns (it waits meanwhile)
        finally:
            spec._initializing = False  # type: ignore[attr-defined]
    return real


class _Loading(types.ModuleType):
    """A deferred package while a thread imports it for real (its class only then, else a plain module's).

    Its ``__path__``, asked by the import system for a submodule another thread imports meanwhile, is
    answered once the package is imported (:func:`_wait_for`). Module code reads and sets its own
    ``__path__`` in its globals, not through this.
    """

    @property  # type: ignore[override]
    def __path__(self) -> list[str]:
        try:
            path: list[str] = vars(self)["__path__"]
        except KeyError:
            raise AttributeError("__path__") from None
        caller = sys._getframe(1)
        if caller.f_code is _FIND_AND_LOAD_UNLOCKED:
            _wait_for(self.__name__, caller.f_locals["name"])
        return path

    @__path__.setter
    def __path__(self, value: list[str]) -> None:
        vars(self)["__path__"] = value

    @__path__.deleter
    def __path__(self) -> None:
        del vars(self)["__path__"]


def _wait_for(package: str, submodule: str) -> None:
    """Wait until another thread's import of ``package`` is over, with ``submodule``'s import lock released.

    The import system holds the lock of a module it imports from before it asks the package's
    ``__path__`` until the module has run; the package's import takes it too when it imports the
    submodule. Released here, the package's import goes on; taken again before this returns, the import
    system then finds the submodule imported (``_Imported``) or imports it, with the package complete.
    Should the importing thread wait for a lock this thread holds (a cycle through another module), this
    returns at once, and the import goes on as the import system's would.
    """
    claim = _importing.get(package)
    me = threading.get_ident()
    if claim is None or claim[0] == me:
        return
    importer, over = claim
    lock = _bootstrap._get_module_lock(submodule)  # type: ignore[attr-defined]
    held = 0
    while lock.owner == me:
        lock.release()
        held += 1
    try:
        while not over.wait(0.005):
            if _waits_on(importer, me):
                break
    finally:
        for _ in range(held):
            lock.acquire()


def _waits_on(thread: int, me: int) -> bool:
    """Return True when ``thread`` waits for an import lock that ``me`` holds, directly or through others."""
    seen = set()
    while thread not in seen:
        seen.add(thread)
        blocking = _bootstrap._blocking_on.get(thread)  # type: ignore[attr-defined]
        if isinstance(blocking, list):  # (3.12 on: the locks the thread waits for, most recent last)
            blocking = blocking[-1] if blocking else None
        owner = getattr(blocking, "owner", None)
        if owner is None:
            return False
        if owner == me:
            return True
        thread = owner
    return False


def _submodule_hook(package: str, real: types.ModuleType) -> Callable[[str], Any] | None:
    """A module ``__getattr__`` for the real package while it runs, if it has deferred submodules, else None.

    ``from swagger_spec_validator import validator20`` in the package's own ``util`` asks the package for
    the submodule first (``hasattr``), and imports it when it has none: a deferred one is found in
    ``sys.modules`` as its stand-in, which the package's module would then hold. Asked here instead, it
    is imported for real then, in the order of an import without the stand-ins, and bound to the package.
    """
    prefix = package + "."
    if not any(name.startswith(prefix) for name in _stand_ins):
        return None

    def __getattr__(name: str) -> Any:
        submodule = prefix + name
        if submodule in _stand_ins and isinstance(sys.modules.get(submodule), _StandIn):
            return _real_module(submodule)
        # What the import system says of a module without a __getattr__.
        if getattr(vars(real).get("__spec__"), "_initializing", False):
            raise AttributeError(
                f"partially initialized module {package!r} has no attribute {name!r} "
                "(most likely due to a circular import)"
            )
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    return __getattr__


def _is_answer(value: Any) -> bool:
    """Return True for an object answered to importers in place of a real one (a stand-in's, not a value's)."""
    return isinstance(value, (_StandIn, _Delegate)) or (
        isinstance(value, type) and issubclass(value, _NotRaised)
    )


def _hand_over(module: str, real: types.ModuleType) -> None:
    """Give the module's importers the real module and its names, where they hold the stand-in's.

    Every use of theirs is then as without the stand-in: ``except ValidationError`` catches the real
    class, ``Draft4Validator.VALIDATORS`` is the real class's.
    """
    stand_in = _stand_ins[module]
    answers = {id(value): name for name, value in _early[module].items() if _is_answer(value)}
    values = _real_values.setdefault(module, {})
    for importer in DEFERRED[module][0]:
        scope = vars(sys.modules[importer]) if importer in sys.modules else {}
        for key, value in list(scope.items()):
            if value is stand_in:
                scope[key] = real
            elif id(value) in answers:
                name = answers[id(value)]
                file = scope.get("__file__") or "<unknown>"
                scope[key] = _get_as(scope, file, _import_line(file, name), real, name)
                values.setdefault(name, scope[key])


class _Delegate:
    """A name of a module not imported yet: calling it, or reading one of its attributes, imports it."""

    __slots__ = ("_module", "_name")

    def __init__(self, module: str, name: str) -> None:
        self._module = module
        self._name = name

    def _real(self) -> Any:
        real = _real_module(self._module)
        values = _real_values.setdefault(self._module, {})
        if self._name not in values:
            values[self._name] = getattr(real, self._name)
        return values[self._name]

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._real()(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(self._real(), name)

    def __repr__(self) -> str:
        return f"<{self._module}.{self._name}, imported on first use (see esi._deferred_imports)>"


class _NotRaised(Exception):
    """An exception class of a module not imported yet, to catch: nothing raises it."""


class _Imported(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds a submodule that the real package imported when ``import pkg.sub`` made it import.

    The import system loads the submodule once more unless a finder answers for the module already in
    ``sys.modules``: this one answers with it, as it is. It also defers, when their first importer is
    being imported, the submodules of packages that were not imported when esi was.
    """

    def __init__(self, module: types.ModuleType | None = None) -> None:
        self.module = module
        self.spec = getattr(module, "__spec__", None)

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> Any:
        if name in _pending:
            _defer_pending(name)
        module = sys.modules.get(name)
        if target is not None or module is None or name.rpartition(".")[0] not in _paths:
            return None  # (a reload passes its target: it runs the module again)
        return importlib.util.spec_from_loader(name, _Imported(module))

    def create_module(self, spec: Any) -> types.ModuleType | None:
        return self.module

    def exec_module(self, module: types.ModuleType) -> None:
        module.__spec__ = self.spec  # the import system set it to the spec found here


def _stand_in(module: str, spec: Any) -> _StandIn:
    stand_in = _StandIn(module, f"Stand-in for {module}, imported on first use (see esi._deferred_imports).")
    attrs = {"__spec__": spec, "__loader__": spec.loader, "__package__": spec.parent}
    if spec.has_location:
        attrs["__file__"] = spec.origin
    vars(stand_in).update(attrs)
    if spec.submodule_search_locations is not None:
        _paths[module] = list(spec.submodule_search_locations)
    early: dict[str, Any] = {}
    for name in DEFERRED[module][1]:
        if name in VALUES.get(module, {}):
            early[name] = VALUES[module][name]
        elif name in RAISED.get(module, ()):
            early[name] = type(
                name, (_NotRaised,), {"__module__": __name__, "__doc__": f"{module}.{name}, to catch."}
            )
        else:
            early[name] = _Delegate(module, name)
    _early[module] = early
    parent, _, child = module.rpartition(".")
    if child in _early.get(parent, {}):
        _early[parent][child] = stand_in  # ``from jsonschema import validators``: the submodule's stand-in
    _stand_ins[module] = stand_in
    return stand_in


def _installed(module: str) -> Any:
    """The module's spec when it is installed and not imported, else None (imports a dotted name's parent)."""
    if module in sys.modules:
        return None
    try:
        return importlib.util.find_spec(module)
    except ImportError:
        return None


def _import_system_supported() -> bool:
    """Return True when the import system has the internals a stand-in's real import uses.

    They are CPython's own (``importlib._bootstrap._ModuleLockManager``, its module locks and
    ``_blocking_on``, ``_find_and_load_unlocked`` asking a package's ``__path__``, the
    ``_initializing`` flag of a module's spec), checked on CPython 3.10 to 3.13.
    Elsewhere (another implementation, a Python that changed them) nothing is
    deferred: the libraries are imported when bravado imports them, as without django-esi.
    """
    return (
        sys.implementation.name == "cpython"
        and _FIND_AND_LOAD_UNLOCKED is not None
        and hasattr(_bootstrap, "_blocking_on")
        and all(
            callable(getattr(_bootstrap, name, None)) for name in ("_ModuleLockManager", "_get_module_lock")
        )
    )


def _defer(module: str) -> bool:
    """Put the module's stand-in in place, unless it is imported or not installed; return True if it is."""
    spec = _installed(module)
    required = REQUIRES.get(module)
    if spec is None or (
        required is not None
        and importlib.machinery.PathFinder.find_spec(required, spec.submodule_search_locations) is None
    ):
        return False
    stand_in = _stand_in(module, spec)
    sys.modules[module] = stand_in
    parent, _, child = module.rpartition(".")
    if parent and parent not in _stand_ins:
        # As the import system does: ``import dateutil.parser; dateutil.parser.parse(...)``. (A deferred
        # package binds its submodule itself when it is imported.)
        setattr(sys.modules[parent], child, stand_in)
    return True


def _defer_pending(importer: str) -> None:
    """Defer the modules that wait for this importer, before it is imported (their package is, now)."""
    with _lock:
        modules = _pending.pop(importer, [])
        for module in modules:
            for other in DEFERRED[module][0]:
                if module in _pending.get(other, ()):
                    _pending[other].remove(module)
                    if not _pending[other]:
                        del _pending[other]
    for module in modules:
        _defer(module)


def defer_libraries() -> list[str]:
    """Put the stand-ins in place; return the modules deferred (or to be, once their package is imported).

    A submodule whose package is not imported yet (``bravado_core.swagger20_validator``,
    ``dateutil.parser``) is deferred when the first of its importers is imported: finding its spec now
    would import the package.
    """
    if "jsonschema" in sys.modules or not _import_system_supported():
        return []
    deferred = []
    for module in DEFERRED:
        parent = module.rpartition(".")[0]
        if parent and parent not in sys.modules:
            if importlib.util.find_spec(parent) is not None:
                for importer in DEFERRED[module][0]:
                    _pending.setdefault(importer, []).append(module)
                deferred.append(module)
        elif _defer(module):
            deferred.append(module)
    if (_paths or _pending) and not any(isinstance(finder, _Imported) for finder in sys.meta_path):
        sys.meta_path.insert(0, _Imported())
    return deferred
