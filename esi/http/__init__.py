"""The HTTP layer every ESI call goes through.

Public names:

- :class:`EsiRequestsClient`: the bravado HTTP client (a
  :class:`bravado.requests_client.RequestsClient`) on one pooled session;
  ``EsiRequestsClient(app_info_text=None, compatibility_date=None, tenant=None)``.
- :func:`build_session`: the same session for code that talks to ESI (or SSO)
  without bravado: an :class:`EsiSession`, requests' session that reads the
  environment's proxy settings (``HTTPS_PROXY``, ``NO_PROXY``...) once per host
  instead of on every request, and again as soon as one of them changes.
- :class:`EsiHTTPAdapter`: the transport adapter that session mounts for
  ``http://`` and ``https://``. Swap the bytes underneath it with
  ``transport=`` (any :class:`requests.adapters.HTTPAdapter`).

Behaviour (settings in :mod:`esi.app_settings`):

- **User-Agent**: ``<app_info_text> django-esi/<version> (<ESI_USER_CONTACT_EMAIL>; +<url>)``.
- **Headers**: with a compatibility date, every request carries
  ``X-Compatibility-Date`` and ``X-Tenant`` (``tranquility`` or ``singularity``,
  from the tenant given or the datasource).
- **Timeouts**: ``(ESI_REQUESTS_CONNECT_TIMEOUT, ESI_REQUESTS_READ_TIMEOUT)``
  unless the request gives its own; a ``None`` half of a tuple is filled in.
- **Deadline**: every request is complete within ``ESI_REQUESTS_TOTAL_TIMEOUT``
  seconds, retries, waits and reading its body included (the body is read
  before ``send`` returns, the socket's timeout cut to the time left before each
  read), or raises :class:`DeadlineExceeded` (a ``ReadTimeout``, so bravado's
  ``BravadoTimeoutError``), which is not retried.
- **Retries**: 502/503/504 are retried ``ESI_SERVER_ERROR_MAX_RETRIES`` times,
  connection errors and timeouts ``ESI_CONNECTION_ERROR_MAX_RETRIES`` times, for
  every method (as django-esi always did), waiting
  ``ESI_SERVER_ERROR_BACKOFF_FACTOR * 2 ** (n - 1)`` seconds before retry ``n``.
  The last failure is returned as the response (bravado raises its
  ``HTTPError`` with status, body and headers) or raised as requests'
  ``ConnectionError`` / ``Timeout`` (bravado wraps them in
  ``BravadoConnectionError`` / ``BravadoTimeoutError``). TLS errors are not retried.
  ``build_session(retry_methods=("GET",))`` keeps other methods from being
  repeated after a failure the server may have acted on (an OAuth refresh);
  a connection that was never made is retried whatever the method. Sleeping
  goes through ``EsiHTTPAdapter.sleep`` (patchable, or ``sleep=``).
- **Response cache** (``ESI_CACHE_RESPONSE``): ``GET 200`` responses are kept in
  the Django cache while fresh (``Cache-Control: max-age`` or ``Expires``, less
  a non-negative ``Age``, at most ``ESI_CACHE_MAX_SECONDS``), when their body is
  JSON that parses, and
  served without a request; expired ones with an ``ETag`` are kept
  ``ESI_CACHE_STALE_SECONDS`` longer and revalidated with ``If-None-Match``: a
  304 returns the cached body as a 200 with the new caching headers. The key is
  method, URL with sorted query, ``Accept-Language``, ``X-Compatibility-Date``,
  ``X-Tenant`` and ``"public"`` or the SHA-256 of the access token (never the
  token): a private response is only served back to the token that fetched it,
  and not once that token's ``exp`` has passed. A request with a token in its
  URL, its own ``If-None-Match``, or ``stream=True`` is not cached. A response
  served from the cache (fresh or revalidated) has ``from_cache = True``.
- **Error limit** (both eras): ``X-ESI-Error-Limit-Remain`` / ``-Reset`` of every
  response (and any 420) are shared through the Django cache; while the
  remaining budget is at most ``ESI_ERROR_LIMIT_THRESHOLD``, requests to that
  host raise :class:`~esi.errors.ErrorLimitExceeded` (``retry_after`` set)
  before anything is sent, until the reset.
- **Rate limits** (OpenAPI era): ``X-Ratelimit-Group/-Limit/-Remaining/-Used``
  keep a budget per group and character (``"public"`` without a token) in the
  Django cache. A 429 with ``Retry-After`` is waited out and retried while the
  total wait of the call stays within ``ESI_RATE_LIMIT_MAX_WAIT``; beyond it,
  :class:`~esi.errors.RateLimitExceeded` names the group and the wait. A budget
  known to be spent (a 429, or ``Remaining`` 0: one window) is waited for or
  raised before sending.
- **Shared state**: everything above lives in the Django cache under
  ``django-esi:<kind>:<generation>:<hash>`` keys; :func:`clear_state` forgets
  all of it at once (every thread of the process from its next key on, other
  processes within a second) without touching the rest of the cache. Test
  suites call it between tests (a fake ESI that resets its data and limits
  should reset these too).
- **Logging**: with ``ESI_INFO_LOGGING_ENABLED``, one INFO line per request on
  the ``esi.http`` logger: method, URL (tokens in a query string shown as
  ``***``), status, elapsed time and cache ``hit``/``miss``/``revalidated``/``off``.
  Retries log a WARNING. Headers are never logged.
"""

from __future__ import annotations

from .adapter import RETRY_STATUSES, EsiHTTPAdapter
from .deadline import DeadlineExceeded
from .session import TENANTS, EsiRequestsClient, EsiSession, build_session, tenant_for_datasource, user_agent
from .store import clear_state

__all__ = [
    "DeadlineExceeded",
    "EsiHTTPAdapter",
    "EsiRequestsClient",
    "EsiSession",
    "RETRY_STATUSES",
    "TENANTS",
    "build_session",
    "clear_state",
    "tenant_for_datasource",
    "user_agent",
]
