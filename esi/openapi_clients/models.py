"""Pydantic models of ESI's response schemas, built on first use with :func:`pydantic.create_model`.

The OpenAPI-era face returns models (attribute access, ``model_dump()``), as
django-esi 10.x does. The models are built from the prepared spec's own
schemas, the ones the engine's converter checks the data against, once per
schema and spec; nothing is generated ahead of time and this module imports
pydantic only when it is imported itself (by the first call of the face).

Names follow 10.x: a named schema keeps its name (``CharactersDetail``); an
inline object is named after its parent (``CharactersCharacterIdMailGetItem``
for the items of an array, ``..._RecipientsItem`` for a property's items).
A property whose name is not a usable attribute (``from``, ``json``) gets a
trailing underscore (``from_``) and keeps its name as the alias.
``model_dump()`` gives Python names, ``model_dump(by_alias=True)`` ESI's.

Enums are plain ``str`` (ESI adds values; a new one must not break a site),
and unknown properties are kept (``extra="allow"``). A ``date-time`` is an
aware datetime (``AwareDatetime``: the engine refuses one without its offset
too), and a property left out gets the schema's ``default`` (else None), as the
engine fills it in.
"""

from __future__ import annotations

import datetime as dt
import keyword
import threading
from collections.abc import Mapping
from typing import Any, Optional, Union

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, TypeAdapter, create_model

__all__ = ["ModelBuilder", "builder_for"]

_CONFIG = ConfigDict(
    extra="allow", populate_by_name=True, protected_namespaces=(), arbitrary_types_allowed=True
)
_RESERVED = frozenset(dir(BaseModel))
_DEFINITIONS = "#/definitions/"


def _pascal(name: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in name.replace("-", "_").split("_") if part)


def _field_name(name: str) -> str:
    """Return a Python attribute name for a property: ``from`` -> ``from_``."""
    clean = "".join(c if c.isalnum() or c == "_" else "_" for c in name)
    if not clean or clean[0].isdigit():
        clean = f"f_{clean}"
    if keyword.iskeyword(clean) or clean in _RESERVED or clean.startswith("_"):
        clean = f"{clean.lstrip('_')}_"
    return clean


class ModelBuilder:
    """Build (once) the Python type of each schema of one Swagger 2.0 spec dict."""

    def __init__(self, spec: Mapping[str, Any]) -> None:
        self._definitions: Mapping[str, Any] = spec.get("definitions") or {}
        self._named: dict[str, Any] = {}
        self._adapters: dict[str, TypeAdapter[Any]] = {}
        self._lock = threading.RLock()

    def named(self, name: str) -> Any:
        """Return the type of the definition ``name``; KeyError when the spec has none."""
        with self._lock:
            if name not in self._named:
                if name not in self._definitions:
                    raise KeyError(name)
                self._named[name] = self.type_of(self._definitions[name], name)
            return self._named[name]

    def names(self) -> list[str]:
        """Return the names of the spec's definitions."""
        return sorted(self._definitions)

    def adapter(self, schema: Mapping[str, Any] | None, name: str) -> TypeAdapter[Any]:
        """Return a TypeAdapter validating data of ``schema`` (cached under ``name``)."""
        with self._lock:
            found = self._adapters.get(name)
            if found is None:
                found = TypeAdapter(self.type_of(schema or {}, name))
                self._adapters[name] = found
            return found

    def type_of(self, schema: Mapping[str, Any], name: str) -> Any:
        """Return the Python type of ``schema``; inline objects become models named ``name``."""
        ref = schema.get("$ref")
        if isinstance(ref, str) and ref.startswith(_DEFINITIONS):
            return self.named(ref[len(_DEFINITIONS) :])
        branches = schema.get("oneOf") or schema.get("anyOf")
        if branches:
            types = tuple(self.type_of(b, f"{name}{i}") for i, b in enumerate(branches))
            found: Any = Union[types] if len(types) > 1 else types[0]  # noqa: UP007 - a runtime tuple
        else:
            found = self._plain_type(schema, name)
        if schema.get("x-nullable"):
            found = Optional[found]  # noqa: UP045 - built at run time
        return found

    def _plain_type(self, schema: Mapping[str, Any], name: str) -> Any:
        kind = schema.get("type")
        if isinstance(kind, list):  # JSON Schema 2020-12 left unconverted
            kind = next((k for k in kind if k != "null"), None)
        if kind == "array":
            return list[self.type_of(schema.get("items") or {}, f"{name}Item")]  # type: ignore[misc]
        if kind == "object" or "properties" in schema:
            if schema.get("properties"):
                return self._model(schema, name)
            extra = schema.get("additionalProperties")
            value = self.type_of(extra, f"{name}Value") if isinstance(extra, Mapping) else Any
            return dict[str, value]  # type: ignore[valid-type]
        if kind == "string":
            return {"date-time": AwareDatetime, "date": dt.date}.get(str(schema.get("format")), str)
        return {"integer": int, "number": float, "boolean": bool}.get(str(kind), Any)

    def _model(self, schema: Mapping[str, Any], name: str) -> type[BaseModel]:
        required = set(schema.get("required") or ())
        fields: dict[str, Any] = {}
        for prop, sub in (schema.get("properties") or {}).items():
            python = _field_name(prop)
            part = f"{name}_{_pascal(prop)}"
            kind = self.type_of(sub, part)
            alias = None if python == prop else prop
            if prop in required:
                fields[python] = (kind, Field(alias=alias))
            else:
                default = sub.get("default")
                fields[python] = (Optional[kind], Field(default=default, alias=alias))  # noqa: UP045
        model: type[BaseModel] = create_model(  # type: ignore[call-overload]
            name, __config__=_CONFIG, __doc__=schema.get("description") or f"ESI schema {name}.", **fields
        )
        model.__module__ = "esi.stubs"
        return model


_builders: dict[int, tuple[Any, ModelBuilder]] = {}
_builders_lock = threading.Lock()


def builder_for(spec: Mapping[str, Any]) -> ModelBuilder:
    """Return the one builder of a prepared spec dict (kept while the spec lives)."""
    with _builders_lock:
        found = _builders.get(id(spec))
        if found is None or found[0] is not spec:
            found = (spec, ModelBuilder(spec))
            _builders[id(spec)] = found
        return found[1]
