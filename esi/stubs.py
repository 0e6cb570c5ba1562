"""Names for type hints of OpenAPI-era code: ``from esi.stubs import CharactersDetail``.

django-esi 10.x ships a generated stub of every schema and operation; here
each name resolves, on first use, to the real thing of the default spec
(``ESI_COMPATIBILITY_DATE``, else the newest snapshot):

* a schema name (``CharactersDetail``, ``UniverseFactionsGet``, ``CharacterID``)
  is the pydantic model or type the OpenAPI face returns for it;
* ``<Schema>Item`` is the type of an array schema's items (``UniverseFactionsGetItem``);
* ``<OperationId>Operation`` is :class:`esi.openapi_clients.EsiOperation`, and
  ``<OperationId>OperationBody`` the type of that operation's request body.

Type checkers read ``esi/stubs.pyi`` instead: every model with its fields,
every alias, each ``<OperationId>Operation`` with the type its ``result()`` and
``results()`` return, and ``ESIClientStub`` with one attribute per tag, as
``python manage.py generate_esi_stubs`` renders them from the same models
(the shipped one is of the bundled snapshot; run the command to get your
date's). Importing this module costs nothing: the spec and pydantic are loaded
when a name is first looked up.
"""

from __future__ import annotations

from typing import Any

__all__ = ["ESIClientStub"]


class ESIClientStub:
    """Base of the OpenAPI-era clients (``esi.openapi_clients.ESIClient``), as in 10.x."""


def _builder_and_spec() -> tuple[Any, Any]:
    from esi.app_settings import app_settings
    from esi.openapi_clients import snapshot_date
    from esi.openapi_clients.models import builder_for
    from esi.spec import SpecRequest, get_spec

    date = str(app_settings.ESI_COMPATIBILITY_DATE or "newest")
    if date != "newest":
        date = snapshot_date(date)
    from esi.lazy_spec import model_spec_of

    prepared = get_spec(SpecRequest(compatibility_date=date))
    spec = prepared.spec.spec_dict  # the whole spec: every name may be asked for
    known = model_spec_of(prepared.spec)
    definitions = known.get("definitions")
    if isinstance(definitions, dict) and definitions is not spec.get("definitions"):
        # A lazy spec knows the definitions of the operations built so far: teach it them all.
        for name, schema in (spec.get("definitions") or {}).items():
            definitions.setdefault(name, schema)
    return builder_for(known), spec  # the face's own builder: the same classes


def _has_operation(spec: Any, operation_id: str) -> bool:
    return any(
        isinstance(op, dict) and op.get("operationId") == operation_id
        for path in (spec.get("paths") or {}).values()
        for op in path.values()
    )


def _operation_body(spec: Any, operation_id: str, builder: Any) -> Any:
    for path in (spec.get("paths") or {}).values():
        for op in path.values():
            if isinstance(op, dict) and op.get("operationId") == operation_id:
                for param in op.get("parameters") or ():
                    if param.get("in") == "body":
                        return builder.type_of(param.get("schema") or {}, f"{operation_id}OperationBody")
                raise AttributeError(f"module 'esi.stubs': {operation_id} takes no request body")
    raise AttributeError(
        f"module 'esi.stubs' has no attribute {operation_id}OperationBody: no such operation"
    )


def _lookup(name: str) -> Any:
    builder, spec = _builder_and_spec()
    try:
        return builder.named(name)
    except KeyError:
        pass
    if name.endswith("OperationBody"):
        return _operation_body(spec, name[: -len("OperationBody")], builder)
    if name.endswith("Operation") and _has_operation(spec, name[: -len("Operation")]):
        from esi.openapi_clients import EsiOperation

        return EsiOperation
    if name.endswith("Item"):
        try:
            parent = builder.named(name[: -len("Item")])
        except KeyError:
            parent = None
        args = getattr(parent, "__args__", None)
        if getattr(parent, "__origin__", None) is list and args:
            return args[0]
    raise AttributeError(f"module 'esi.stubs' has no attribute {name!r}: no such schema in the ESI spec")


def __getattr__(name: str) -> Any:
    if name.startswith("__"):
        raise AttributeError(name)
    # Looked up each time (cheap: spec and models are cached), so a new default spec is seen.
    return _lookup(name)
