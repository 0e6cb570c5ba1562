"""Sessions and the bravado HTTP client that send ESI requests."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Collection, MutableMapping
from typing import Any

import requests
from bravado.requests_client import RequestsClient, RequestsFutureAdapter, RequestsResponseAdapter
from requests.adapters import HTTPAdapter

import esi
from esi.app_settings import app_settings
from esi.signals import esi_request_statistics

from .adapter import EsiHTTPAdapter

__all__ = ["EsiRequestsClient", "TENANTS", "build_session", "tenant_for_datasource", "user_agent"]

#: The ``X-Tenant`` of each datasource.
TENANTS = {"tranquility": "tranquility", "singularity": "singularity"}


def user_agent(app_info_text: str | None = None) -> str:
    """Return the User-Agent ESI asks for: the app first, then django-esi with the contact address."""
    email = app_settings.ESI_USER_CONTACT_EMAIL
    contact = f"{email}; +{esi.__url__}" if email else f"+{esi.__url__}"
    ours = f"{esi.__title__}/{esi.__version__} ({contact})"
    return f"{app_info_text.strip()} {ours}" if app_info_text and app_info_text.strip() else ours


def tenant_for_datasource(datasource: str | None = None) -> str:
    """Return the ``X-Tenant`` of a datasource (default ``ESI_API_DATASOURCE``)."""
    name = (datasource or app_settings.ESI_API_DATASOURCE or "tranquility").lower()
    try:
        return TENANTS[name]
    except KeyError:
        raise ValueError(
            f"unknown ESI datasource {datasource!r}: expected one of {', '.join(sorted(TENANTS))}"
        ) from None


def build_session(
    app_info_text: str | None = None,
    compatibility_date: str | dt.date | None = None,
    tenant: str | None = None,
    *,
    datasource: str | None = None,
    transport: HTTPAdapter | None = None,
    cache_responses: bool | None = None,
    retry_methods: Collection[str] | None = None,
    sleep: Callable[[float], None] | None = None,
) -> requests.Session:
    """Return a pooled session that sends through :class:`EsiHTTPAdapter`.

    It carries the User-Agent and, with a compatibility date, the
    ``X-Compatibility-Date`` and ``X-Tenant`` headers on every request.
    Code that must not repeat a request the server may have acted on (an
    OAuth token refresh) passes ``retry_methods=("GET",)``.
    """
    session = requests.Session()
    adapter = EsiHTTPAdapter(
        transport=transport, cache_responses=cache_responses, retry_methods=retry_methods, sleep=sleep
    )
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    session.headers["User-Agent"] = user_agent(app_info_text)
    if compatibility_date is not None:
        if not isinstance(compatibility_date, dt.date):
            try:
                compatibility_date = dt.date.fromisoformat(str(compatibility_date))
            except ValueError:
                raise ValueError(
                    f"compatibility_date must be a date as YYYY-MM-DD, not {compatibility_date!r}"
                ) from None
        session.headers["X-Compatibility-Date"] = compatibility_date.isoformat()
        session.headers["X-Tenant"] = tenant or tenant_for_datasource(datasource)
    elif tenant:
        session.headers["X-Tenant"] = tenant
    return session


class StatisticsFutureAdapter(RequestsFutureAdapter):
    """bravado's future adapter that sends :data:`esi.signals.esi_request_statistics` per response."""

    operation_id = ""
    bucket = ""

    def result(self, timeout: float | None = None) -> Any:
        started = time.monotonic()
        response = super().result(timeout)
        esi_request_statistics.send(
            sender=EsiRequestsClient,
            operation=self.operation_id,
            status_code=0 if getattr(response, "from_cache", False) else response.status_code,
            headers=response.headers,
            latency=time.monotonic() - started,
            bucket=self.bucket,
        )
        return response


class EsiRequestsClient(RequestsClient):
    """bravado's :class:`~bravado.requests_client.RequestsClient` on one pooled ESI session."""

    def __init__(
        self,
        app_info_text: str | None = None,
        compatibility_date: str | dt.date | None = None,
        tenant: str | None = None,
        *,
        ssl_verify: bool = True,
        ssl_cert: Any = None,
        future_adapter_class: type[RequestsFutureAdapter] = StatisticsFutureAdapter,
        response_adapter_class: type[RequestsResponseAdapter] = RequestsResponseAdapter,
        **session_options: Any,
    ) -> None:
        """Create the client; ``session_options`` (``datasource``, ``transport``, ...) go to :func:`build_session`."""
        super().__init__(
            ssl_verify=ssl_verify,
            ssl_cert=ssl_cert,
            future_adapter_class=future_adapter_class,
            response_adapter_class=response_adapter_class,
        )
        self.session.close()
        self.session = build_session(app_info_text, compatibility_date, tenant, **session_options)

    @property
    def adapter(self) -> EsiHTTPAdapter:
        """Return the adapter mounted for ``https://``."""
        adapter = self.session.get_adapter("https://")
        assert isinstance(adapter, EsiHTTPAdapter)
        return adapter

    def request(
        self,
        request_params: MutableMapping[str, Any],
        operation: Any = None,
        request_config: Any = None,
    ) -> Any:
        """Send a bravado request; the operation's ``x-rate-limit`` group primes the rate-limit guard."""
        group = ""
        if operation is not None:
            rate_limit = (getattr(operation, "op_spec", None) or {}).get("x-rate-limit")
            if isinstance(rate_limit, dict) and rate_limit.get("group") and request_params.get("url"):
                group = str(rate_limit["group"])
                self.adapter.rate_limit.register_group(
                    str(request_params.get("method", "GET")), str(request_params["url"]), group
                )
        sent: Any = super().request(request_params, operation, request_config)
        if isinstance(sent.future, StatisticsFutureAdapter):
            sent.future.operation_id = str(getattr(operation, "operation_id", "") or "")
            sent.future.bucket = group
        return sent
