"""Keep ``import bravado`` cheap: defer ``rfc3987_syntax`` until it is used.

bravado imports jsonschema, and jsonschema's format checkers import
``rfc3987_syntax``, which compiles a Lark grammar at import time: most of the
cost of ``import bravado.client`` (about 0.8 s of 0.95 s). ESI specs never use
the ``iri`` formats that need it, so the grammar is compiled only when an
``iri`` value is first checked: a stand-in module answers jsonschema's
``from rfc3987_syntax import is_valid_syntax`` and imports the real module on
first use. Behaviour is unchanged; only the moment of the import moves.

:func:`defer_rfc3987_syntax` runs when ``esi`` is imported, before anything
imports jsonschema. It does nothing when jsonschema (or ``rfc3987_syntax``)
is already imported, or when ``rfc3987_syntax`` is not installed.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import threading
import types
from typing import Any

__all__ = ["defer_rfc3987_syntax"]

_NAME = "rfc3987_syntax"
_lock = threading.Lock()


class _StandIn(types.ModuleType):
    """Stand-in for ``rfc3987_syntax`` until one of its names is used."""

    def __getattr__(self, name: str) -> Any:
        # The import system probes dunders (``__path__`` for ``from x import y``);
        # answering them must not trigger the real import.
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(_real_module(), name)


def _real_module() -> types.ModuleType:
    with _lock:
        module = sys.modules.get(_NAME)
        if isinstance(module, _StandIn):
            del sys.modules[_NAME]
            try:
                module = importlib.import_module(_NAME)
            except BaseException:
                sys.modules[_NAME] = _stand_in
                raise
        assert module is not None
        return module


def _is_valid_syntax(*args: Any, **kwargs: Any) -> Any:
    return _real_module().is_valid_syntax(*args, **kwargs)


_stand_in = _StandIn(_NAME, "Stand-in for rfc3987_syntax, imported on first use (see esi._deferred_imports).")
_stand_in.is_valid_syntax = _is_valid_syntax  # type: ignore[attr-defined]


def defer_rfc3987_syntax() -> bool:
    """Put the stand-in for ``rfc3987_syntax`` in place; return True when it was."""
    if _NAME in sys.modules or "jsonschema" in sys.modules:
        return False
    if importlib.util.find_spec(_NAME) is None:
        return False
    sys.modules[_NAME] = _stand_in
    return True
