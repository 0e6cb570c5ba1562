"""Keep ``import bravado`` cheap: defer the libraries it imports but does not use until they are used.

bravado imports jsonschema, and jsonschema's format checkers import optional
libraries at import time; bravado and bravado-core import PyYAML, pytz,
dateutil's parser and msgpack, which they use only inside functions. Each of
these waits, as a stand-in module in ``sys.modules``, until a name of it is
used. Behaviour is unchanged; only the moment of the import moves.

=====================  ===========  ========================================================
module                 saves (CPU)  imported when
=====================  ===========  ========================================================
``rfc3987_syntax``     ~0.8 s       an ``iri`` is checked (it compiles a Lark grammar)
``uri_template``,      a few ms     a ``uri-template`` or ``uri`` is checked
``rfc3986_validator``
``isoduration``        ~25 ms       a ``duration`` is checked (it imports ``arrow``)
``webcolors``          ~1 ms        a ``color`` is checked
``yaml``               ~8 ms        a YAML spec is loaded (``bravado_core.spec``,
                                    ``bravado.swagger_model``, ``swagger_spec_validator``)
``dateutil.parser``    ~1 ms        a date-time is parsed that is not ESI's ``...Z`` shape
                                    (its ``dateutil.tz``, ~1.7 ms, is imported anyway)
``pytz``               ~1 ms        bravado-core sends a naive datetime (``pytz.utc``)
``msgpack``            ~0.8 ms      a msgpack body is sent or received
=====================  ===========  ========================================================

(The CPU each adds to ``import bravado.client`` after Django and requests, which
costs about 49 ms with these deferred instead of 63 ms.)

ESI specs use none of these formats, are JSON, and ESI sends date-times as
``2016-09-03T05:12:25Z`` (parsed by :mod:`esi.unmarshal.dates` without dateutil's
parser).

How a stand-in answers (:class:`_StandIn`):

* To the modules that import it while bravado is imported (its *importers*,
  :data:`DEFERRED`), the names they take from it then (``from yaml import
  CSafeLoader``) are answered without the import: a function that imports the
  real module on its first call and calls the real one (``yaml.load(text,
  Loader=SafeLoader)`` calls ``SafeLoader(stream)``), or the value in
  :data:`VALUES` (jsonschema reads ``isoduration.DurationParsingException``
  for ``raises=``; it gets ``ValueError``, the class the real exception derives
  from, so the checker catches what it caught before).
* Anything else, from anyone (``yaml.safe_load``, ``from yaml import
  CSafeLoader`` in a user's module, ``yaml.__version__``, ``dir(yaml)``, setting
  or deleting an attribute as ``mock.patch`` does) imports the real module and
  is the real module's; the stand-in then passes every access through.
* Importing a submodule first (``import yaml.constructor``, ``import
  yaml._yaml``) imports the real package first, as without the stand-in, so
  the submodule is bound to the real package and each module runs once (the
  stand-in carries the package's ``__spec__``, ``__file__`` and ``__path__``;
  :class:`_Imported` answers the import system for a submodule that the package
  imported itself).
* Threads: one thread claims the stand-in and, under the import system's lock
  for the module, puts the real module in its place in ``sys.modules`` and runs
  it, as an import does; the others wait for it on that lock, as for any import.
  The package is in ``sys.modules`` all along, so a thread importing a submodule
  meanwhile does not import it again: as with the import system, it goes on
  with the package partly imported (submodules it finds already imported are
  bound to the real package before that runs).
* Should ``sys.modules`` get the stand-in back (``mock.patch.dict(sys.modules)``
  restores the dict it saw), the next use puts back the modules that the real
  import brought, rather than importing a second copy.

:func:`defer_format_libraries` runs when ``esi`` is imported, before anything
imports jsonschema or bravado. It does nothing when jsonschema is already
imported, and skips a library that is already imported or not installed (or,
for ``yaml``, built without libyaml: its importers then take the pure-Python
``SafeLoader``). On an interpreter without the import-system internals the
real imports use (:func:`_import_system_supported`) it defers nothing.
"""

from __future__ import annotations

import importlib
import importlib._bootstrap as _bootstrap
import importlib.abc
import importlib.machinery
import importlib.util
import sys
import threading
import time
import types
from typing import Any

__all__ = ["DEFERRED", "REQUIRES", "VALUES", "defer_format_libraries"]

_JSONSCHEMA = ("jsonschema._format",)
_YAML = ("bravado.swagger_model", "bravado_core.spec", "swagger_spec_validator.common")

#: Module -> (its importers, the names they take from it while they are imported).
DEFERRED: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "rfc3987_syntax": (_JSONSCHEMA, ("is_valid_syntax",)),
    "rfc3986_validator": (_JSONSCHEMA, ("validate_rfc3986",)),
    "uri_template": (_JSONSCHEMA, ()),
    "isoduration": (_JSONSCHEMA, ("DurationParsingException",)),
    "webcolors": (_JSONSCHEMA, ()),
    "yaml": (_YAML, ("CSafeLoader",)),
    "dateutil.parser": (("bravado_core.formatter", "esi.unmarshal.dates"), ("isoparse",)),
    "pytz": (("bravado_core.formatter",), ()),
    "msgpack": (("bravado.http_future", "bravado_core.param", "bravado_core.response"), ("unpackb",)),
}

#: Module -> names answered to its importers with a value rather than a function that imports on first
#: call: a base class of the real exception class, so ``raises=`` catches the same.
VALUES: dict[str, dict[str, type]] = {"isoduration": {"DurationParsingException": ValueError}}

#: Module -> a module that must be installed too, else it is not deferred (``CSafeLoader`` needs libyaml).
REQUIRES: dict[str, str] = {"yaml": "yaml._yaml"}

#: The import system's own frames: skipped to find who asks (``from m import f`` asks from there too).
_IMPORT_SYSTEM = frozenset({"_frozen_importlib", "_frozen_importlib_external", "importlib._bootstrap"})

_lock = threading.Lock()
#: Module -> the names its importers get without the import.
_early: dict[str, dict[str, Any]] = {}
#: Package -> its ``__path__``, answered without the import unless a submodule is being imported.
_paths: dict[str, list[str]] = {}
#: Modules whose real import a thread has claimed (the others wait for it).
_importing: set[str] = set()
#: Module -> the modules its real import put in ``sys.modules``: put back, rather than imported a second
#: time, when ``sys.modules`` has the stand-in again (``mock.patch.dict(sys.modules)`` restores it).
_imported: dict[str, dict[str, types.ModuleType]] = {}


def _asker() -> str | None:
    """The module whose code reads the stand-in's attribute."""
    frame = sys._getframe(2)
    while frame is not None and frame.f_globals.get("__name__") in _IMPORT_SYSTEM:
        frame = frame.f_back  # type: ignore[assignment]
    return None if frame is None else frame.f_globals.get("__name__")


class _StandIn(types.ModuleType):
    """Stand-in for a module until one of its names is used."""

    def __getattr__(self, name: str) -> Any:
        if name == "__path__":
            # ``from m import f`` asks every module for it: answered as is (a plain module has none).
            if self.__name__ not in _paths:
                raise AttributeError(name)
            if sys._getframe(1).f_code.co_name == "_find_and_load_unlocked":
                # A submodule is being imported: the real package first, as without the stand-in, so the
                # submodule is bound to it (_Imported answers for one the package imported itself).
                _real_module(self.__name__, wait=False)
            return _paths[self.__name__]
        early = _early[self.__name__]
        if name in early and _asker() in DEFERRED[self.__name__][0]:
            return early[name]
        return getattr(_real_module(self.__name__), name)

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
    may need) it does not wait for another thread's import of the package: as the import system,
    it goes on with the package in ``sys.modules``, partly imported.
    """
    while True:
        module = sys.modules.get(name)
        if not isinstance(module, _StandIn):
            return importlib.import_module(name) if wait or module is None else module
        with _lock:
            claimed = sys.modules.get(name) is module and name not in _importing
            if claimed:
                _importing.add(name)
        if not claimed:
            if not wait:
                return module
            time.sleep(0)  # the thread that claimed it is about to put the real module in its place
            continue
        try:
            return _load(name, module)
        finally:
            with _lock:
                _importing.discard(name)


def _load(name: str, stand_in: _StandIn) -> types.ModuleType:
    again = _imported.get(name)
    if again is not None:
        for key, value in again.items():
            sys.modules.setdefault(key, value)
        sys.modules[name] = again[name]
        return again[name]
    before = set(sys.modules)
    spec = stand_in.__spec__
    assert spec is not None and spec.loader is not None
    # What the import system does once it has found the spec (importlib._bootstrap._load_unlocked),
    # under its lock for the module: the module replaces the stand-in before it runs.
    with _bootstrap._ModuleLockManager(name):  # type: ignore[attr-defined]
        real = importlib.util.module_from_spec(spec)
        # Submodules already imported (by a thread that went on while this one imported the package, or
        # an import of it that failed) are bound first, as they would be had the package come first.
        prefix = name + "."
        for key, value in list(sys.modules.items()):
            if key.startswith(prefix) and "." not in key[len(prefix) :] and value is not None:
                setattr(real, key[len(prefix) :], value)
        spec._initializing = True  # type: ignore[attr-defined]  # (another thread's import waits for it)
        try:
            sys.modules[name] = real
            try:
                spec.loader.exec_module(real)
            except BaseException:
                if sys.modules.get(name) is real:
                    sys.modules[name] = stand_in
                raise
            real = sys.modules.pop(name)
            sys.modules[name] = real
        finally:
            spec._initializing = False  # type: ignore[attr-defined]
        parent, _, child = name.rpartition(".")
        if parent:
            setattr(sys.modules[parent], child, real)  # as the import system binds a submodule
    added = {key: sys.modules.get(key) for key in set(sys.modules) - before}
    _imported[name] = {key: value for key, value in added.items() if value is not None} | {name: real}
    return real


class _Imported(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds a submodule that the real package imported when ``import pkg.sub`` made it import.

    The import system loads the submodule once more unless a finder answers for the module already in
    ``sys.modules``: this one answers with it, as it is.
    """

    def __init__(self, module: types.ModuleType | None = None) -> None:
        self.module = module
        self.spec = getattr(module, "__spec__", None)

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> Any:
        module = sys.modules.get(name)
        if target is not None or module is None or name.rpartition(".")[0] not in _paths:
            return None  # (a reload passes its target: it runs the module again)
        return importlib.util.spec_from_loader(name, _Imported(module))

    def create_module(self, spec: Any) -> types.ModuleType | None:
        return self.module

    def exec_module(self, module: types.ModuleType) -> None:
        module.__spec__ = self.spec  # the import system set it to the spec found here


def _delegate(module: str, function: str) -> Any:
    real = None

    def call(*args: Any, **kwargs: Any) -> Any:
        nonlocal real
        if real is None:
            real = getattr(_real_module(module), function)
        return real(*args, **kwargs)

    call.__name__ = call.__qualname__ = function
    call.__doc__ = f"Import {module} on first use and call its {function}()."
    return call


def _stand_in(module: str, spec: Any) -> _StandIn:
    stand_in = _StandIn(module, f"Stand-in for {module}, imported on first use (see esi._deferred_imports).")
    attrs = {"__spec__": spec, "__loader__": spec.loader, "__package__": spec.parent}
    if spec.has_location:
        attrs["__file__"] = spec.origin
    vars(stand_in).update(attrs)
    if spec.submodule_search_locations is not None:
        _paths[module] = list(spec.submodule_search_locations)
    values = VALUES.get(module, {})
    _early[module] = {
        name: values[name] if name in values else _delegate(module, name) for name in DEFERRED[module][1]
    }
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

    They are CPython's own (``importlib._bootstrap._ModuleLockManager``, the
    ``_initializing`` flag of a module's spec), checked on CPython 3.10 to 3.13.
    Elsewhere (another implementation, a Python that changed them) nothing is
    deferred: the libraries are imported when bravado imports them, as without django-esi.
    """
    return sys.implementation.name == "cpython" and callable(getattr(_bootstrap, "_ModuleLockManager", None))


def defer_format_libraries() -> list[str]:
    """Put the stand-ins in place; return the modules deferred."""
    if "jsonschema" in sys.modules or not _import_system_supported():
        return []
    deferred = []
    for module in DEFERRED:
        spec = _installed(module)
        required = REQUIRES.get(module)
        if spec is None or (
            required is not None
            and importlib.machinery.PathFinder.find_spec(required, spec.submodule_search_locations) is None
        ):
            continue
        stand_in = _stand_in(module, spec)
        sys.modules[module] = stand_in
        parent, _, child = module.rpartition(".")
        if parent:
            # As the import system does: ``import dateutil.parser; dateutil.parser.parse(...)``.
            setattr(sys.modules[parent], child, stand_in)
        deferred.append(module)
    if _paths and not any(isinstance(finder, _Imported) for finder in sys.meta_path):
        sys.meta_path.insert(0, _Imported())
    return deferred
