"""The OpenAPI-era face (django-esi 8.x ``openapi_clients``, 10.x): :class:`ESIClientProvider`.

As 10.x code writes it::

    from esi.openapi_clients import ESIClientProvider

    esi = ESIClientProvider(
        compatibility_date="2025-12-16", ua_appname="MyApp", ua_version="1.0",
        ua_url="https://example.com", operations=["GetStatus", "GetCharactersCharacterId"],
    )
    status = esi.client.Status.GetStatus().result()           # a pydantic model
    status.players, status.model_dump()
    esi.client.Character.GetCharactersCharacterId(character_id=90000001).result(use_etag=False)

    client = await esi.client_async                           # in async code
    await client.Status.GetStatus().result()

It is a thin face over the engine the bravado-era face uses (spec snapshots,
converted spec, HTTP layer, converter): one pooled session per provider, the
shared response cache and limits. The spec is the bundled snapshot of the
compatibility date, or of the newest date before it (``spec_file=`` another).
Building the client is lazy and thread-safe; importing this module imports
neither bravado nor pydantic.

``tags=`` and ``operations=`` are accepted as 10.x takes them; the spec is
shared by every client of the same date, so nothing is left out of it.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import threading
from collections.abc import Generator
from typing import Any

from esi.stubs import ESIClientStub

from .asynchronous import EsiOperationAsync
from .operation import EsiOperation, FaceContext

__all__ = [
    "ESIClient",
    "ESIClientAsync",
    "ESIClientProvider",
    "ESITag",
    "ESITagAsync",
    "EsiOperation",
    "EsiOperationAsync",
    "app_info_text",
    "pascal_case_string",
    "snapshot_date",
]

logger = logging.getLogger(__name__)


def pascal_case_string(string: str) -> str:
    """Return ``"app name"`` / ``"app-name"`` as ``"AppName"``; a name without spaces or hyphens unchanged."""
    if " " not in string and "-" not in string:
        return string
    return "".join(part[:1].upper() + part[1:].lower() for part in string.replace("-", " ").split())


def app_info_text(ua_appname: str, ua_version: str, ua_url: str | None = None) -> str:
    """Return the app's part of the User-Agent: ``MyApp/1.0 (+https://...)`` (``my app`` -> ``MyApp``)."""
    return f"{pascal_case_string(ua_appname)}/{ua_version}" + (f" (+{ua_url})" if ua_url else "")


def snapshot_date(compatibility_date: str) -> str:
    """Return the snapshot date serving ``compatibility_date``: the same, else the newest before it.

    ESI answers a compatibility date as the API stood on that date, so the
    newest spec not after it describes it. Raise SpecError when there is none.
    """
    import spec_snapshots
    from esi.errors import SpecError

    dates = sorted({s.compatibility_date for s in spec_snapshots.list_snapshots() if s.compatibility_date})
    if compatibility_date in dates:
        return compatibility_date
    earlier = [d for d in dates if d <= compatibility_date]
    if not earlier:
        raise SpecError(
            f"no OpenAPI snapshot for compatibility date {compatibility_date} or before it; "
            f"known dates: {', '.join(dates) or 'none'}"
        )
    return earlier[-1]


class ESITag:
    """One tag of the spec (``Character``, ``Planetary_Interaction``); its attributes are operations."""

    _operation_class: type[EsiOperation] = EsiOperation

    def __init__(self, resource: Any, context: FaceContext) -> None:
        self._resource = resource
        self._context = context

    def __getattr__(self, name: str) -> EsiOperation:
        if name.startswith("__"):
            raise AttributeError(name)
        return self._operation_class(getattr(self._resource, name), self._context)

    def __dir__(self) -> list[str]:
        return [n for n in dir(self._resource) if n[:1].isupper()]

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self._resource.resource.name}>"


class ESITagAsync(ESITag):
    """A tag whose operations are awaitable."""

    _operation_class = EsiOperationAsync


class _Client:
    """What both clients share: tags by attribute, the app's ETags."""

    _tag_class: type[ESITag] = ESITag

    def __init__(self, context: FaceContext) -> None:
        self._context = context

    def __getattr__(self, tag: str) -> ESITag:
        if tag.startswith("__"):
            raise AttributeError(tag)
        # 10.x accepts "Planetary_Interaction" for the tag "Planetary Interaction"; so does the engine.
        return self._tag_class(getattr(self._context.engine, tag.replace(" ", "_")), self._context)

    def __dir__(self) -> list[str]:
        return dir(self._context.engine)

    def purge_all_etags(self) -> int:
        """Forget every ETag this app was handed (its next calls return data, not HTTPNotModified)."""
        self._context.new_etag_generation()
        return 0

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self._context.app_name}>"


class ESIClient(_Client, ESIClientStub):
    """The client: ``client.<Tag>.<OperationId>(**params).result()`` (typed by ``esi/stubs.pyi``)."""


class ESIClientAsync(_Client):
    """The client for async code: ``await client.<Tag>.<OperationId>(**params).result()``.

    Not an ``ESIClientStub``: the stub types the synchronous calls.
    """

    _tag_class = ESITagAsync


class ESIClientProvider:
    """Provide one OpenAPI-era ESI client for a whole app, built on first use.

    :param compatibility_date: ``YYYY-MM-DD`` (or a date) your code is written against.
    :param ua_appname: your app's name (PascalCase) for the User-Agent.
    :param ua_version: your app's version for the User-Agent.
    :param ua_url: your app's URL for the User-Agent.
    :param spec_file: a local OpenAPI 3.1 (or Swagger 2.0) spec instead of the snapshot.
    :param tenant: ``tranquility`` (default) or ``singularity``.
    :param operations: the operation ids you use (10.x trims its spec with them; kept for reference).
    :param tags: the tags you use (as ``operations``).
    """

    def __init__(
        self,
        compatibility_date: str | dt.date,
        ua_appname: str,
        ua_version: str,
        ua_url: str | None = None,
        spec_file: str | None = None,
        tenant: str = "tranquility",
        operations: list[str] | None = None,
        tags: list[str] | None = None,
        **kwargs: Any,
    ) -> None:
        if isinstance(compatibility_date, dt.date):
            compatibility_date = compatibility_date.isoformat()
        self._compatibility_date = str(compatibility_date)
        dt.date.fromisoformat(self._compatibility_date)  # a clear ValueError for a bad date, now
        self._ua_appname = ua_appname
        self._ua_version = ua_version
        self._ua_url = ua_url
        self._spec_file = spec_file
        self._tenant = tenant
        self._operations = list(operations or ())
        self._tags = list(tags or ())
        self._kwargs = kwargs
        self._context: FaceContext | None = None
        self._client: ESIClient | None = None
        self._client_async: ESIClientAsync | None = None
        self._lock = threading.Lock()

    def _face_context(self) -> FaceContext:
        context = self._context
        if context is None:
            with self._lock:
                context = self._context
                if context is None:
                    context = self._context = FaceContext(
                        engine=self._build_engine(), app_name=self._ua_appname
                    )
        return context

    def _build_engine(self) -> Any:
        from esi.http import EsiRequestsClient
        from esi.operations import ClientContext, EsiClient
        from esi.spec import SpecRequest, get_spec

        if self._spec_file:
            request = SpecRequest(spec_file=str(self._spec_file))
        else:
            request = SpecRequest(compatibility_date=snapshot_date(self._compatibility_date))
        prepared = get_spec(request)
        user_agent_app = app_info_text(self._ua_appname, self._ua_version, self._ua_url)
        http_client = EsiRequestsClient(user_agent_app, self._compatibility_date, self._tenant)
        engine = EsiClient(
            ClientContext(
                prepared=prepared, http_client=http_client, compatibility_date=self._compatibility_date
            )
        )
        self._warn_unknown(engine)
        return engine

    def _warn_unknown(self, engine: Any) -> None:
        resources = engine.swagger_spec.resources
        known_ops = {op for r in resources.values() for op in r.operations}
        known_tags = {name.replace("_", " ") for name in resources} | set(resources)
        for name in self._operations:
            if name not in known_ops:
                logger.warning(
                    "%s: operation %s is not in the spec of %s", self, name, self._compatibility_date
                )
        for name in self._tags:
            if name not in known_tags:
                logger.warning("%s: tag %s is not in the spec of %s", self, name, self._compatibility_date)

    @property
    def client(self) -> ESIClient:
        """Return the client, building it on first access."""
        if self._client is None:
            self._client = ESIClient(self._face_context())
        return self._client

    @property
    def client_async(self) -> _AwaitableClient:
        """Return the async client: ``client = await provider.client_async``."""
        return _AwaitableClient(self)

    def __str__(self) -> str:
        return f"ESIClientProvider - {self._ua_appname} ({self._ua_version})"


class _AwaitableClient:
    """``await provider.client_async``: builds the client off the event loop on first use."""

    def __init__(self, provider: ESIClientProvider) -> None:
        self._provider = provider

    def __await__(self) -> Generator[Any, None, ESIClientAsync]:
        return self._get().__await__()

    async def _get(self) -> ESIClientAsync:
        provider = self._provider
        if provider._client_async is None:
            context = await asyncio.to_thread(provider._face_context)
            provider._client_async = ESIClientAsync(context)
        return provider._client_async
