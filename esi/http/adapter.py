"""The transport adapter every ESI request goes through.

:class:`EsiHTTPAdapter` is a :class:`requests.adapters.HTTPAdapter`: mount it
on a session and every request sent through that session gets, in order:

1. a fresh cached response when there is one (no request is sent);
   (unless the request says ``Cache-Control: no-cache``);
2. the error-limit guard (raise before sending while ESI's budget is spent)
   and the rate-limit guard (wait, or raise, while the group's budget is spent);
3. default connect and read timeouts, and the request's total deadline
   (``ESI_REQUESTS_TOTAL_TIMEOUT``, see :mod:`esi.http.deadline`);
4. the request, with ``If-None-Match`` when a stale cached copy has an ETag,
   its body read before the deadline;
5. retries with exponential backoff on 502/503/504 and on connection errors
   and timeouts, and on a 429 whose ``Retry-After`` fits the allowed wait,
   none of them past the deadline;
6. a 304 to its own revalidation answered with the cached body as a 200,
   and a fresh 200 stored (unless the request says ``Cache-Control: no-store``);
7. an INFO log line when ``ESI_INFO_LOGGING_ENABLED``.

The bytes go out through ``HTTPAdapter.send`` (so ``responses`` intercepts
them), or through the ``transport`` adapter given to the constructor.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Collection, Mapping
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import ConnectTimeoutError, MaxRetryError, NewConnectionError

from esi.app_settings import app_settings
from esi.errors import RateLimitExceeded

from .cache import ResponseCache, cache_key
from .deadline import Deadline, DeadlineExceeded, read_body
from .identity import Caller, identify, redact_url, url_has_secret
from .jsonbody import fast_json
from .limits import ErrorLimitGuard, RateLimitGuard, parse_retry_after

__all__ = ["EsiHTTPAdapter", "RETRY_STATUSES", "never_sent"]

logger = logging.getLogger("esi.http")

#: Statuses retried with backoff (gateway errors ESI answers while it recovers).
RETRY_STATUSES = frozenset({502, 503, 504})

Timeout = float | tuple[float | None, float | None] | None


def never_sent(exc: Exception) -> bool:
    """Return True when a connection error happened before the request reached the server."""
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return True
    reason = exc.args[0] if exc.args else None
    if isinstance(reason, MaxRetryError):
        reason = reason.reason
    return isinstance(reason, (NewConnectionError, ConnectTimeoutError))


class EsiHTTPAdapter(HTTPAdapter):
    """Send requests to ESI with timeouts, retries, the response cache and limit guards."""

    #: Called to wait between retries; replace it (on the class or an instance) in tests.
    sleep: Callable[[float], None] = staticmethod(time.sleep)
    #: Wall-clock time, shared with other processes through the cache.
    clock: Callable[[], float] = staticmethod(time.time)

    def __init__(
        self,
        *,
        pool_maxsize: int | None = None,
        transport: HTTPAdapter | None = None,
        cache_responses: bool | None = None,
        cache_alias: str = "default",
        retry_methods: Collection[str] | None = None,
        sleep: Callable[[float], None] | None = None,
        clock: Callable[[], float] | None = None,
    ) -> None:
        """Create the adapter.

        ``transport`` sends the bytes instead of ``HTTPAdapter.send`` (a fake
        ESI, for example). ``cache_responses`` overrides ``ESI_CACHE_RESPONSE``.
        ``retry_methods`` limits the retries of failures after which the server
        may have acted (502/503/504, read timeouts, dropped connections) to
        these methods; ``None`` retries every method, as django-esi always did.
        A connection that was never made is retried whatever the method.
        """
        size = int(pool_maxsize or app_settings.ESI_CONNECTION_POOL_MAXSIZE)
        # Retries are ours (step 5), so urllib3 must not retry underneath.
        super().__init__(pool_connections=size, pool_maxsize=size, max_retries=0)
        self.transport = transport
        self.cache_responses = cache_responses
        self.retry_methods = None if retry_methods is None else frozenset(m.upper() for m in retry_methods)
        self.response_cache = ResponseCache(cache_alias)
        self.error_limit = ErrorLimitGuard(cache_alias)
        self.rate_limit = RateLimitGuard(cache_alias)
        if sleep is not None:
            self.sleep = sleep
        if clock is not None:
            self.clock = clock

    # -- public entry point ---------------------------------------------------

    def send(  # type: ignore[override]
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: Timeout = None,
        verify: bool | str = True,
        cert: Any = None,
        proxies: Mapping[str, str] | None = None,
    ) -> requests.Response:
        """Send a request through the cache, the limit guards and the retries."""
        started = time.monotonic()
        method = (request.method or "GET").upper()
        url = request.url or ""
        caller = identify(request.headers)
        character = caller.character
        # The caller's Cache-Control: no-cache skips the fresh copy, no-store keeps the answer out.
        directives = str(request.headers.get("Cache-Control", "")).replace(" ", "").lower().split(",")
        key = None
        entry = None
        if self._cacheable(request, method, url, stream, caller):
            assert caller.cache_identity is not None
            key = cache_key(method, url, request.headers, caller.cache_identity, self.response_cache.alias)
            entry = self.response_cache.get(key)
            if entry is not None and entry.is_fresh(self.clock()) and "no-cache" not in directives:
                response = entry.to_response(request, self)
                self._log(method, url, response, started, "hit")
                return fast_json(response)
        outgoing = request
        if entry is not None and entry.etag:
            outgoing = request.copy()
            outgoing.headers["If-None-Match"] = entry.etag
        options = {
            "stream": stream,
            "timeout": self.default_timeout(timeout),
            "verify": verify,
            "cert": cert,
            "proxies": proxies,
        }
        total = app_settings.ESI_REQUESTS_TOTAL_TIMEOUT
        deadline = Deadline(None if total is None else float(total), method, url)
        response = fast_json(
            self._send_with_retries(outgoing, method, url, character or "unknown", options, deadline)
        )
        cache_state = "off"
        if key is not None:
            now = self.clock()
            cache_state = "miss"
            if entry is not None and outgoing is not request and response.status_code == 304:
                entry = entry.revalidated(response, now)
                response.close()
                if "no-store" not in directives:
                    self.response_cache.set(key, entry, now)
                response = entry.to_response(request, self)
                cache_state = "revalidated"
            elif response.status_code == 200 and "no-store" not in directives:
                fresh = self.response_cache.entry_for(response, now)
                if fresh is not None:
                    self.response_cache.set(key, fresh, now)
        self._log(method, url, response, started, cache_state)
        return fast_json(response)  # a revalidated entry is a new response

    # -- pieces -------------------------------------------------------------------

    def default_timeout(self, timeout: Timeout) -> Timeout:
        """Return ``timeout`` with the connect/read defaults from the settings filled in."""
        connect = float(app_settings.ESI_REQUESTS_CONNECT_TIMEOUT)
        read = float(app_settings.ESI_REQUESTS_READ_TIMEOUT)
        if timeout is None:
            return (connect, read)
        if isinstance(timeout, tuple):
            given_connect, given_read = timeout
            return (
                connect if given_connect is None else given_connect,
                read if given_read is None else given_read,
            )
        return timeout

    def backoff(self, retry: int) -> float:
        """Return the wait before retry number ``retry`` (1, 2, ...)."""
        return float(app_settings.ESI_SERVER_ERROR_BACKOFF_FACTOR) * 2 ** (retry - 1)

    def _cacheable(
        self, request: requests.PreparedRequest, method: str, url: str, stream: bool, caller: Caller
    ) -> bool:
        enabled = app_settings.ESI_CACHE_RESPONSE if self.cache_responses is None else self.cache_responses
        return bool(
            enabled
            and method == "GET"
            and not stream
            and caller.cache_identity is not None
            # An expired token gets nothing from the cache, not even what it once fetched.
            and not caller.expired(self.clock())
            and "If-None-Match" not in request.headers
            and not url_has_secret(url)
        )

    def _send_once(self, request: requests.PreparedRequest, options: dict[str, Any]) -> requests.Response:
        # The deadline travels in the options, so that wrappers of this method (tests) pass it on.
        options = dict(options)
        deadline: Deadline = options.pop("deadline", None) or Deadline(None, request.method or "GET", "")
        timeout = deadline.clip(options["timeout"])
        options["timeout"] = timeout
        if self.transport is not None:
            response = self.transport.send(request, **options)
        else:
            response = super().send(request, **options)
        if not options["stream"]:
            read_body(response, deadline, timeout[1] if isinstance(timeout, tuple) else timeout)
        return response

    def _send_with_retries(
        self,
        request: requests.PreparedRequest,
        method: str,
        url: str,
        character: str,
        options: dict[str, Any],
        deadline: Deadline,
    ) -> requests.Response:
        host = urlsplit(url).netloc
        max_wait = float(app_settings.ESI_RATE_LIMIT_MAX_WAIT)
        server_retries = connection_retries = 0
        waited = 0.0
        may_repeat = self.retry_methods is None or method in self.retry_methods
        while True:
            self.error_limit.check(host, self.clock())
            blocked = self.rate_limit.wait_needed(method, url, character, self.clock())
            if blocked is not None:
                waited = self._wait_for_rate_limit(
                    blocked[0], character, blocked[1], waited, max_wait, deadline
                )
                continue
            deadline.check()
            try:
                response = self._send_once(request, {**options, "deadline": deadline})
            except (requests.exceptions.SSLError, DeadlineExceeded):
                raise
            except (requests.exceptions.ConnectionError, requests.exceptions.Timeout) as exc:
                if deadline.remaining() <= 0:
                    # A timeout cut short by the deadline: say so, and do not retry.
                    raise deadline.exceeded(request) from exc
                if connection_retries >= int(app_settings.ESI_CONNECTION_ERROR_MAX_RETRIES):
                    raise
                if not (may_repeat or never_sent(exc)):
                    raise
                if not deadline.allows(self.backoff(connection_retries + 1)):
                    raise
                connection_retries += 1
                self._retry_later(method, url, type(exc).__name__, connection_retries, "connection")
                continue
            now = self.clock()
            self.error_limit.observe(host, response.status_code, response.headers, now)
            group = self.rate_limit.observe(
                method, url, character, response.status_code, response.headers, now
            )
            if response.status_code == 429:
                retry_after = parse_retry_after(response.headers.get("Retry-After"), now)
                if retry_after is None:
                    return response
                response.close()
                waited = self._wait_for_rate_limit(group, character, retry_after, waited, max_wait, deadline)
                continue
            if (
                response.status_code in RETRY_STATUSES
                and may_repeat
                and server_retries < int(app_settings.ESI_SERVER_ERROR_MAX_RETRIES)
                and deadline.allows(self.backoff(server_retries + 1))
            ):
                server_retries += 1
                response.close()
                self._retry_later(method, url, str(response.status_code), server_retries, "server")
                continue
            return response

    def _retry_later(self, method: str, url: str, reason: str, retry: int, kind: str) -> None:
        limit = (
            app_settings.ESI_CONNECTION_ERROR_MAX_RETRIES
            if kind == "connection"
            else app_settings.ESI_SERVER_ERROR_MAX_RETRIES
        )
        delay = self.backoff(retry)
        logger.warning(
            "ESI %s %s: %s, retry %d/%d in %.2f s", method, redact_url(url), reason, retry, limit, delay
        )
        self.sleep(delay)

    def _wait_for_rate_limit(
        self,
        group: str | None,
        character: str,
        seconds: float,
        waited: float,
        max_wait: float,
        deadline: Deadline,
    ) -> float:
        """Sleep ``seconds`` when the total wait stays within ``max_wait`` and the deadline; else raise."""
        label = group or "unknown"
        too_long = None
        if waited + seconds > max_wait:
            too_long = f"ESI_RATE_LIMIT_MAX_WAIT={max_wait:g} s"
        elif not deadline.allows(seconds):
            too_long = f"the time left of ESI_REQUESTS_TOTAL_TIMEOUT={deadline.seconds:g} s"
        if too_long is not None:
            raise RateLimitExceeded(
                f"ESI rate limit of group {label!r} (character {character}) is spent: "
                f"retry in {seconds:.0f} s, longer than {too_long}",
                retry_after=seconds,
                group=group,
            )
        logger.info("ESI rate limit of group %r (character %s): waiting %.1f s", label, character, seconds)
        self.sleep(seconds)
        return waited + seconds

    def _log(self, method: str, url: str, response: requests.Response, started: float, cache: str) -> None:
        if not app_settings.ESI_INFO_LOGGING_ENABLED:
            return
        logger.info(
            "ESI %s %s -> %s in %.3f s (cache %s)",
            method,
            redact_url(url),
            response.status_code,
            time.monotonic() - started,
            cache,
        )
