"""Build a bravado-core :class:`~bravado_core.spec.Spec` without walking jsonschema's metaschemas.

jsonschema's ``RefResolver`` preloads the store of every resolver with about
twenty json-schema.org metaschemas (drafts 3 to 2020-12 and their
vocabularies), and bravado-core's model discovery walks every document of the
store but the spec itself and the ``http://json-schema.org/draft-NN/schema``
ones: the 2019-09 and 2020-12 metaschemas are walked on every build. That walk
finds no model of the spec (a Swagger 2.0 spec cannot use those drafts), costs
about 7 ms per build (more than building a one-operation fragment does), and
writes bravado's ``x-scope`` marks into jsonschema's shared copies of them.

:class:`LeanSpec` removes from its resolver's store the metaschemas jsonschema
preloaded (the very objects, so the spec's own document and every remote
``$ref`` document it fetched stay), once the resolver is final: after spec
validation, which replaces the resolver. A spec that does ``$ref`` one of them
still gets it, from memory as before: its ref handlers serve the metaschemas
before they download anything. Everything else is bravado-core's ``Spec``.

This module imports bravado-core; it is imported only where a spec is built
(:mod:`esi.lazy_spec`, :mod:`esi.spec`).

Public API::

    from esi.bravado_spec import build_spec
    spec = build_spec(spec_dict, origin_url="https://esi.evetech.net/swagger.json", config=config)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any

from bravado_core import spec as bravado_core_spec
from bravado_core.spec import Spec

__all__ = ["LeanSpec", "build_spec", "preloaded_metaschemas"]


@lru_cache(maxsize=1)
def preloaded_metaschemas() -> Mapping[str, Any]:
    """Return what jsonschema preloads into the store of every resolver bravado makes: URI -> document."""
    # The RefResolver class bravado-core (and swagger-spec-validator) build their resolvers with.
    store = bravado_core_spec.RefResolver("", {}).store
    return {uri: store[uri] for uri in store if uri}


def _serving(metaschemas: Mapping[str, Any], fetch: Callable[[str], Any]) -> Callable[[str], Any]:
    def handler(uri: str) -> Any:
        document = metaschemas.get(uri)
        return document if document is not None else fetch(uri)

    return handler


class LeanSpec(Spec):  # type: ignore[misc]
    """A bravado-core ``Spec`` whose resolver's store holds no preloaded jsonschema metaschema."""

    def _validate_spec(self) -> None:
        super()._validate_spec()  # with validate_swagger_spec, this replaces self.resolver
        store = self.resolver.store
        for uri, document in preloaded_metaschemas().items():
            if store.get(uri) is document:
                del store[uri]

    def get_ref_handlers(self) -> dict[str, Callable[[str], Any]]:
        """Return bravado's ref handlers; ``http(s)`` ones serve the preloaded metaschemas from memory."""
        handlers: dict[str, Callable[[str], Any]] = dict(super().get_ref_handlers())
        metaschemas = preloaded_metaschemas()
        for scheme in ("http", "https"):
            if scheme in handlers:
                handlers[scheme] = _serving(metaschemas, handlers[scheme])
        return handlers


def build_spec(spec_dict: dict[str, Any], *, origin_url: str, config: Mapping[str, Any]) -> LeanSpec:
    """Build a :class:`LeanSpec` from ``spec_dict`` as ``Spec.from_dict`` builds a ``Spec``."""
    spec: LeanSpec = LeanSpec.from_dict(spec_dict, origin_url=origin_url, config=dict(config))
    return spec
