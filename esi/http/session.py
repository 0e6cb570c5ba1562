"""Sessions and the bravado HTTP client that send ESI requests."""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Callable, Collection, MutableMapping
from typing import Any
from urllib.parse import urlsplit

import requests
from bravado.requests_client import RequestsClient, RequestsFutureAdapter, RequestsResponseAdapter
from requests.adapters import HTTPAdapter
from requests.sessions import merge_setting
from requests.utils import get_environ_proxies

import esi
from esi.app_settings import app_settings
from esi.signals import esi_request_statistics

from .adapter import EsiHTTPAdapter

__all__ = [
    "EsiRequestsClient",
    "EsiSession",
    "TENANTS",
    "build_session",
    "tenant_for_datasource",
    "user_agent",
]

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


#: The environment variables that decide requests' proxies and CA bundle for an http(s) URL:
#: the http, https, all and no proxies in both cases (requests reads both), CGI's
#: ``REQUEST_METHOD`` (under which ``HTTP_PROXY`` is ignored) and the two CA bundles.
PROXY_ENVIRONMENT = (
    *(
        name
        for base in ("http_proxy", "https_proxy", "all_proxy", "no_proxy")
        for name in (base, base.upper())
    ),
    "REQUEST_METHOD",
    "REQUESTS_CA_BUNDLE",
    "CURL_CA_BUNDLE",
)
#: Seconds a host's proxies read from the environment are kept while those variables stay the
#: same: the system's own proxy settings (macOS, Windows), which no variable shows, are read again.
PROXY_RECHECK = 60.0
#: Hosts whose environment settings are kept (ESI and SSO: a handful).
_PROXY_MEMO_SIZE = 64
_proxy_memo: dict[tuple[str, str], tuple[tuple[str | None, ...], float, dict[str, str], str | None]] = {}


class EsiSession(requests.Session):
    """requests' :class:`~requests.Session` that reads the environment's proxy settings once per host.

    requests reads them for every request it sends (bravado asks it to:
    :meth:`merge_environment_settings`), walking the whole process environment
    twice; that was about 0.6 ms of CPU per ESI request, under the GIL while
    the other pages of a listing waited for it. This session gives the same
    settings, read again whenever one of :data:`PROXY_ENVIRONMENT` changes
    (checked on every request) and at least every :data:`PROXY_RECHECK` seconds.
    ``trust_env = False`` and an explicit ``no_proxy`` go to requests as before.
    """

    def merge_environment_settings(
        self, url: Any, proxies: Any, stream: Any, verify: Any, cert: Any
    ) -> dict[str, Any]:
        """Return requests' settings for ``url``, the environment's part remembered per host."""
        if not self.trust_env or (proxies is not None and proxies.get("no_proxy") is not None):
            return super().merge_environment_settings(url, proxies, stream, verify, cert)
        parts = urlsplit(str(url))
        key = (parts.scheme, parts.netloc)
        fingerprint = tuple(map(os.environ.get, PROXY_ENVIRONMENT))
        now = time.monotonic()
        found = _proxy_memo.get(key)
        if found is None or found[0] != fingerprint or now - found[1] >= PROXY_RECHECK:
            bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
            found = (fingerprint, now, get_environ_proxies(str(url)), bundle)
            if len(_proxy_memo) >= _PROXY_MEMO_SIZE:
                _proxy_memo.clear()
            _proxy_memo[key] = found
        env_proxies, bundle = found[2], found[3]
        if proxies is not None:
            for name, value in env_proxies.items():
                proxies.setdefault(name, value)
        if verify is True or verify is None:
            verify = bundle or verify
        return {
            "proxies": merge_setting(proxies, self.proxies),
            "stream": merge_setting(stream, self.stream),
            "verify": merge_setting(verify, self.verify),
            "cert": merge_setting(cert, self.cert),
        }


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
    """Return a pooled :class:`EsiSession` that sends through :class:`EsiHTTPAdapter`.

    It carries the User-Agent and, with a compatibility date, the
    ``X-Compatibility-Date`` and ``X-Tenant`` headers on every request.
    Code that must not repeat a request the server may have acted on (an
    OAuth token refresh) passes ``retry_methods=("GET",)``.
    """
    session = EsiSession()
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
