"""The OpenAPI-era operation for ``async`` code: ``await op.result()``, the event loop never blocked.

It prepares the token on Django's sync thread (a refresh may write the token
row, inside the caller's transaction) and sends from worker threads
(:func:`asyncio.to_thread`) over the client's pooled session, so the event
loop never waits on ESI; the pages of ``results()`` are fetched by the engine's
threads (at most ``ESI_PAGES_MAX_WORKERS`` at a time) and the languages of
``results_localized()`` are gathered concurrently. Behaviour otherwise is
:class:`~esi.openapi_clients.operation.EsiOperation`'s.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from .operation import EsiOperation, _Call

__all__ = ["EsiOperationAsync"]


class EsiOperationAsync(EsiOperation):
    """The same operation for ``async`` code: ``await op.result()``, the event loop never blocked."""

    async def _prepare_async(self, extra: Mapping[str, Any]) -> _Call:
        from asgiref.sync import sync_to_async

        # On Django's sync thread: a refresh writes the token row, inside the caller's transaction.
        return await sync_to_async(self._prepare, thread_sensitive=True)(extra)

    async def result(  # type: ignore[override]
        self,
        use_etag: bool = True,
        return_response: bool = False,
        force_refresh: bool = False,
        use_cache: bool = True,
        store_cache: bool = True,
        last_modified: datetime | None = None,
        **extra: Any,
    ) -> Any:
        """Return the answer as models, as :meth:`EsiOperation.result` does, without blocking the loop."""
        call = await self._prepare_async(extra)
        headers = self._headers(use_cache and not force_refresh, store_cache, last_modified)
        data, response = await asyncio.to_thread(self._result, call, use_etag, force_refresh, headers)
        return (data, response) if return_response else data

    async def results(  # type: ignore[override]
        self,
        use_etag: bool = True,
        return_response: bool = False,
        force_refresh: bool = False,
        use_cache: bool = True,
        store_cache: bool = True,
        last_modified: datetime | None = None,
        **extra: Any,
    ) -> Any:
        """Return every page's items of one generation, as :meth:`EsiOperation.results`, without blocking the loop."""
        call = await self._prepare_async(extra)
        headers = self._headers(use_cache and not force_refresh, store_cache, last_modified)
        if self._is_cursor():
            items, response = await asyncio.to_thread(self._cursor, call, headers)
        elif self._is_paged():
            # The engine's threads fetch the pages (at most ESI_PAGES_MAX_WORKERS at a time), off the loop.
            items, response = await asyncio.to_thread(self._paged, call, headers, use_etag, force_refresh)
        else:
            data, response = await asyncio.to_thread(self._result, call, use_etag, force_refresh, headers)
            items = data if isinstance(data, list) else [data]
        return (items, response) if return_response else items

    async def results_localized(  # type: ignore[override]
        self, languages: Iterable[str] | str | None = None, **kwargs: Any
    ) -> dict[str, Any]:
        """Return ``results()`` for each language, the languages gathered concurrently."""
        wanted = self._languages(languages)
        found = await asyncio.gather(*(self.results(accept_language=lang, **kwargs) for lang in wanted))
        return dict(zip(wanted, found, strict=True))
