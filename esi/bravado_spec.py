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

A :class:`LeanSpec` also pickles without its format checker (bravado-core
already leaves its resolver out): both are jsonschema objects, made again on
first use. So a built spec read back from the disk (:mod:`esi.lazy_spec` keeps
every operation built so far) imports nothing of jsonschema until it validates
something or resolves a ``$ref`` outside its own document: :meth:`LeanSpec.deref`
resolves a ``$ref`` into the spec's own document (``#/definitions/...``, what
ESI's specs hold) as a JSON pointer, with jsonschema's ``RefResolver``
semantics, and leaves every other ``$ref`` to the resolver.

This module imports bravado-core; it is imported only where a spec is built
(:mod:`esi.lazy_spec`, :mod:`esi.spec`).

Public API::

    from esi.bravado_spec import build_spec
    spec = build_spec(spec_dict, origin_url="https://esi.evetech.net/swagger.json", config=config)
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Mapping, Sequence
from functools import lru_cache
from typing import Any
from urllib.parse import unquote, urldefrag, urljoin

from bravado_core import spec as bravado_core_spec
from bravado_core.schema import is_ref
from bravado_core.spec import Spec

__all__ = ["LeanSpec", "build_spec", "preloaded_metaschemas"]

#: Where the checker is kept: under its own name in the instance dict (shadowed by the property), so
#: bravado-core's `is_equal` and `__deepcopy__` treat it as they treat a plain `Spec`'s.
_FORMAT_CHECKER = "format_checker"
#: Where the ``$id``, ``id`` and anchor names of the spec's document are kept once found (not pickled).
_NAMED = "_lean_named"
#: What :meth:`LeanSpec._in_own_document` returns for a ``$ref`` it leaves to the resolver.
_MISSING = object()
#: Where the targets of the ``$ref``\ s followed are kept, by (scope, ``$ref``): as jsonschema's resolver
#: keeps them (its ``urljoin`` and remote caches), for bravado-core's model discovery follows each often.
_TARGETS = "_lean_targets"
_UNKNOWN = object()


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
    """A bravado-core ``Spec`` whose resolver's store holds no preloaded jsonschema metaschema.

    Pickled, it leaves out its format checker as well as its resolver; each is
    made again, as bravado-core makes them, when it is first used.
    """

    @property
    def format_checker(self) -> Any:
        """Return jsonschema's ``FormatChecker`` of this spec, made on first use after unpickling.

        As bravado-core's ``Spec`` makes it: a ``FormatChecker()`` with every
        user-defined format of the spec registered (``register_format``).
        """
        checker = self.__dict__.get(_FORMAT_CHECKER)
        if checker is None:
            from bravado_core.exception import SwaggerValidationError
            from bravado_core.formatter import return_true_wrapper

            checker = bravado_core_spec.FormatChecker()
            for name, user_defined_format in self.user_defined_formats.items():
                validate = return_true_wrapper(user_defined_format.validate)
                checker.checks(name, raises=(SwaggerValidationError,))(validate)
            self.__dict__[_FORMAT_CHECKER] = checker
        return checker

    @format_checker.setter
    def format_checker(self, checker: Any) -> None:
        self.__dict__[_FORMAT_CHECKER] = checker

    def __getstate__(self) -> dict[str, Any]:
        state: dict[str, Any] = super().__getstate__()
        state.pop(_FORMAT_CHECKER, None)
        state.pop(_NAMED, None)
        state.pop(_TARGETS, None)
        return state

    def _force_deref(self, ref_dict: Any) -> Any:
        """Return what ``ref_dict`` refers to, as bravado-core's ``Spec.deref`` does.

        A ``$ref`` into the spec's own document is followed as jsonschema's
        ``RefResolver`` follows it (its scope from ``x-scope``, the fragment
        percent-decoded, ``~1`` and ``~0`` unescaped, list items by index) and
        gives the very object the resolver gives, without making the resolver.
        Any other ``$ref``, and one the document holds an ``$id``, ``id`` or
        anchor for, a fragment that does not resolve included, goes to
        bravado-core's resolver and raises what it raises.
        """
        if ref_dict is None or not is_ref(ref_dict):
            return ref_dict  # as bravado-core's: most of what its model discovery derefs is no $ref
        target = self._in_own_document(ref_dict)
        return super()._force_deref(ref_dict) if target is _MISSING else target

    deref = _force_deref

    def _in_own_document(self, ref_dict: Mapping[str, Any]) -> Any:
        """Return the target of a ``$ref`` into this spec's own document, or ``_MISSING``."""
        ref = ref_dict["$ref"]
        origin = self.origin_url
        if not isinstance(ref, str) or not ref.startswith("#") or ref.endswith("/") or not origin:
            return _MISSING
        if "x-scope" in ref_dict:
            scopes = ref_dict["x-scope"]
            if not isinstance(scopes, list) or not scopes or not isinstance(scopes[-1], str):
                return _MISSING
            scope = scopes[-1]
        elif "resolver" in self.__dict__:
            scope = self.resolver.resolution_scope
        else:
            scope = origin
        targets = self.__dict__.get(_TARGETS)
        if targets is None:
            targets = self.__dict__[_TARGETS] = {}
        target = targets.get((scope, ref), _UNKNOWN)
        if target is _UNKNOWN:
            target = targets[(scope, ref)] = self._follow(scope, ref, origin)
        return target

    def _follow(self, scope: str, ref: str, origin: str) -> Any:
        """Follow ``ref`` from ``scope`` in the spec's own document, or return ``_MISSING``."""
        url, fragment = urldefrag(urljoin(scope, ref))
        if url != origin or urldefrag(origin)[0] != origin:
            return _MISSING
        if "resolver" in self.__dict__:
            resolver = self.resolver
            if resolver.referrer is not self.spec_dict or resolver.store.get(origin) is not self.spec_dict:
                return _MISSING
        fragment = fragment.lstrip("/")
        if not fragment:
            return self.spec_dict
        if self._named(fragment):
            return _MISSING
        document: Any = self.spec_dict
        for part in unquote(fragment).split("/"):
            key: Any = part.replace("~1", "/").replace("~0", "~")
            if isinstance(document, Sequence):
                try:
                    key = int(key)
                except ValueError:
                    pass
            try:
                document = document[key]
            except (TypeError, LookupError):
                return _MISSING
        return document

    def _named(self, fragment: str) -> bool:
        """Whether the resolver could find ``fragment`` by an ``$id``, ``id`` or anchor of the document.

        The resolver looks for those before it follows a JSON pointer: in every
        object reachable from the document through objects (not arrays), as
        its ``_search_schema`` walks. Any ``$id`` at all, and a string ``id``
        equal to ``#fragment`` or an anchor equal to ``fragment``, leave the
        ``$ref`` to the resolver.
        """
        named = self.__dict__.get(_NAMED)
        if named is None:
            ids: set[str] = set()
            anchors: set[str] = set()
            has_dollar_id = False
            values: deque[Any] = deque([self.spec_dict])
            while values:
                value = values.pop()
                if not isinstance(value, dict):
                    continue
                has_dollar_id = has_dollar_id or "$id" in value
                if isinstance(value.get("id"), str):
                    ids.add(value["id"])
                for keyword in ("$anchor", "$dynamicAnchor"):
                    if isinstance(value.get(keyword), str):
                        anchors.add(value[keyword])
                values.extendleft(value.values())
            named = (has_dollar_id, frozenset(ids), frozenset(anchors))
            self.__dict__[_NAMED] = named
        return named[0] or f"#{fragment}" in named[1] or fragment in named[2]

    def _validate_spec(self) -> None:
        super()._validate_spec()  # with validate_swagger_spec, this replaces self.resolver
        self.__dict__.pop(_TARGETS, None)  # followed with the resolver it replaced
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
