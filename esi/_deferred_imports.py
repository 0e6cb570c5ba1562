"""Keep ``import bravado`` cheap: defer jsonschema's format libraries until they are used.

bravado imports jsonschema, and jsonschema's format checkers import optional
libraries at import time. One of them, ``rfc3987_syntax``, compiles a Lark
grammar when imported: most of the cost of ``import bravado.client`` (about
0.8 s of 0.95 s). ``uri_template`` and ``rfc3986_validator`` add some more.
ESI specs use none of the formats they check (``iri``, ``uri-template``,
``uri``), so each is imported when a value of its format is first checked: a
stand-in module answers jsonschema's import with functions that import the
real module on first call. Behaviour is unchanged; only the moment of the
import moves.

``isoduration`` (``duration``, which imports ``arrow``: about 25 ms and 1.5 MiB)
is deferred the same way. jsonschema also reads its exception class when it
registers the checker; the stand-in answers that one read, made from
``jsonschema._format``, with ``ValueError``, the class the real exception
derives from, so the checker catches what it caught before. Any other module
asking for a name of the stand-in gets the real module's.

:func:`defer_format_libraries` runs when ``esi`` is imported, before anything
imports jsonschema. It does nothing when jsonschema is already imported, and
skips a library that is already imported or not installed.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import threading
import types
from typing import Any

__all__ = ["DEFERRED", "FOR_JSONSCHEMA", "defer_format_libraries"]

#: Module -> the functions jsonschema takes from it (``from m import f`` or ``m.f(...)``).
DEFERRED: dict[str, tuple[str, ...]] = {
    "rfc3987_syntax": ("is_valid_syntax",),
    "rfc3986_validator": ("validate_rfc3986",),
    "uri_template": ("validate",),
    "isoduration": ("parse_duration",),
}

#: Module -> names jsonschema reads while it registers its checkers, answered without the import
#: (to jsonschema._format only): a base class of the real one, so ``raises=`` catches the same.
FOR_JSONSCHEMA: dict[str, dict[str, type]] = {"isoduration": {"DurationParsingException": ValueError}}

_lock = threading.RLock()


class _StandIn(types.ModuleType):
    """Stand-in for a module until one of its names is used."""

    def __getattr__(self, name: str) -> Any:
        # The import system probes dunders (``__path__`` for ``from x import y``);
        # answering them must not trigger the real import.
        if name.startswith("__"):
            raise AttributeError(name)
        early = FOR_JSONSCHEMA.get(self.__name__, {})
        if name in early and sys._getframe(1).f_globals.get("__name__") == "jsonschema._format":
            return early[name]
        return getattr(_real_module(self.__name__), name)


def _real_module(name: str) -> types.ModuleType:
    with _lock:
        module = sys.modules.get(name)
        if isinstance(module, _StandIn):
            stand_in = module
            del sys.modules[name]
            try:
                module = importlib.import_module(name)
            except BaseException:
                sys.modules[name] = stand_in
                raise
        assert module is not None
        return module


def _delegate(module: str, function: str) -> Any:
    def call(*args: Any, **kwargs: Any) -> Any:
        return getattr(_real_module(module), function)(*args, **kwargs)

    call.__name__ = call.__qualname__ = function
    call.__doc__ = f"Import {module} on first use and call its {function}()."
    return call


def _stand_in(module: str, functions: tuple[str, ...]) -> _StandIn:
    stand_in = _StandIn(module, f"Stand-in for {module}, imported on first use (see esi._deferred_imports).")
    for function in functions:
        setattr(stand_in, function, _delegate(module, function))
    return stand_in


def defer_format_libraries() -> list[str]:
    """Put the stand-ins in place; return the modules deferred."""
    if "jsonschema" in sys.modules:
        return []
    deferred = []
    for module, functions in DEFERRED.items():
        spec = None if module in sys.modules else importlib.util.find_spec(module)
        if spec is None:
            continue
        stand_in = _stand_in(module, functions)
        if spec.submodule_search_locations is not None:
            # A package: ``import isoduration.parser`` before the real import still finds its submodule.
            stand_in.__path__ = list(spec.submodule_search_locations)
        sys.modules[module] = stand_in
        deferred.append(module)
    return deferred
