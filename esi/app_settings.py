"""The settings of django-esi, read lazily through one object.

Every setting has a documented default here; nothing else in the app reads
``settings.ESI_*`` directly, so ``override_settings`` works in tests::

    from esi.app_settings import app_settings
    app_settings.ESI_API_VERSION  # "latest" unless the project sets it

The settings reference in the docs is generated from :data:`SETTINGS`.

The module-level constants of django-esi 2.x-10.x are here too, read on each
access (a module ``__getattr__``), so ``override_settings`` reaches them::

    from esi.app_settings import ESI_API_DATASOURCE, ESI_LANGUAGES
    from esi import app_settings
    app_settings.ESI_TOKEN_URL  # "https://login.eveonline.com/v2/oauth/token"

Every setting of :data:`SETTINGS` reads as itself; the names of earlier
releases that are no setting here (:data:`LEGACY_CONSTANTS`) read as their
release computed them, from the settings they were derived from.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

from django.conf import settings as django_settings


# Not a dataclass: one compiles its methods with exec in every process that imports it (issue 13).
class Setting(NamedTuple):
    """One setting: its name, default and what it does (an immutable named tuple)."""

    name: str
    default: Any
    doc: str
    group: str = "General"


SETTINGS: tuple[Setting, ...] = (
    # --- SSO ---------------------------------------------------------------
    Setting("ESI_SSO_CLIENT_ID", None, "Client ID of your EVE developer application.", "SSO"),
    Setting(
        "ESI_SSO_CLIENT_SECRET",
        None,
        "Client secret of your EVE developer application. Leave it unset for a "
        "public client: the login then uses PKCE (S256) instead.",
        "SSO",
    ),
    Setting(
        "ESI_SSO_CALLBACK_URL",
        None,
        "Absolute URL of the ``esi:callback`` view, exactly as registered with "
        "your EVE developer application.",
        "SSO",
    ),
    Setting(
        "ESI_SSO_BASE_URL",
        "https://login.eveonline.com",
        "Base URL of EVE SSO (the OAuth URL that 2.x-10.x wrote here, ending in "
        "``/v2/oauth`` or ``/oauth``, is read as its host). Its metadata document "
        "(``/.well-known/oauth-authorization-server``) gives the other URLs, "
        "so pointing this at a fake SSO is enough.",
        "SSO",
    ),
    Setting(
        "ESI_SSO_AUTHORIZE_URL",
        None,
        "Authorization endpoint. ``None`` reads it from the metadata document.",
        "SSO",
    ),
    Setting(
        "ESI_SSO_TOKEN_URL",
        None,
        "Token endpoint. ``None`` reads it from the metadata document.",
        "SSO",
    ),
    Setting(
        "ESI_SSO_LOGIN_URL",
        None,
        "The 2.x-10.x name of ``ESI_SSO_AUTHORIZE_URL``, read when that is not set.",
        "SSO",
    ),
    Setting(
        "ESI_CODE_EXCHANGE_URL",
        None,
        "The 2.x-10.x name of ``ESI_SSO_TOKEN_URL``, read when that is not set.",
        "SSO",
    ),
    Setting(
        "ESI_SSO_REVOKE_URL",
        None,
        "Revocation endpoint. ``None`` reads it from the metadata document.",
        "SSO",
    ),
    Setting(
        "ESI_SSO_JWKS_URL",
        None,
        "JWKS endpoint. ``None`` reads it from the metadata document.",
        "SSO",
    ),
    Setting(
        "ESI_SSO_USE_PKCE",
        None,
        "Use PKCE (S256) on login. ``None`` uses it when no client secret is set.",
        "SSO",
    ),
    Setting(
        "ESI_SSO_METADATA_CACHE_SECONDS",
        3600,
        "How long the SSO metadata document is cached.",
        "SSO",
    ),
    Setting(
        "ESI_SSO_JWT_LEEWAY",
        60,
        "Seconds of clock skew tolerated on a JWT's ``iat`` and ``nbf``, so "
        "that a server clock behind SSO's still accepts fresh tokens. ``exp`` "
        "is checked strictly: an expired token is never accepted.",
        "SSO",
    ),
    Setting(
        "ESI_SSO_TIMEOUT",
        10,
        "Timeout in seconds for requests to EVE SSO.",
        "SSO",
    ),
    Setting(
        "ESI_ALWAYS_CREATE_TOKEN",
        False,
        "Create a new token on every login, even when an equivalent one exists.",
        "SSO",
    ),
    Setting(
        "ESI_TOKEN_REFRESH_LEEWAY",
        30,
        "Refresh an access token this many seconds before it expires.",
        "SSO",
    ),
    Setting(
        "ESI_CALLBACK_REDIRECT_MAX_AGE",
        300,
        "Seconds after which an unused login redirect is removed by ``cleanup_callbackredirect``.",
        "SSO",
    ),
    # --- Client ------------------------------------------------------------
    Setting(
        "ESI_API_URL",
        "https://esi.evetech.net/",
        "Base URL of ESI. Point it at a fake ESI to run offline.",
        "Client",
    ),
    Setting(
        "ESI_IMAGE_SERVER_URL",
        "https://images.evetech.net",
        "Base URL of EVE's image server, for the portraits and icons of the templates "
        "(``esi/select_token.html``). The fake ESI serves one (``FakeESI.images_url``).",
        "Client",
    ),
    Setting(
        "ESI_API_DATASOURCE",
        "tranquility",
        "Default datasource (``tranquility`` or ``singularity``). With a "
        "compatibility date it selects the tenant (``X-Tenant``).",
        "Client",
    ),
    Setting(
        "ESI_API_VERSION",
        "latest",
        "Swagger route the client is built from by default: ``latest``, "
        "``legacy``, ``dev`` or ``v1`` to ``v6``.",
        "Client",
    ),
    Setting(
        "ESI_COMPATIBILITY_DATE",
        None,
        "Build clients from the OpenAPI spec of this compatibility date "
        "(``YYYY-MM-DD`` or ``newest``) instead of a Swagger route.",
        "Client",
    ),
    Setting(
        "ESI_USER_CONTACT_EMAIL",
        None,
        "Contact address sent in the User-Agent, as ESI asks of every client.",
        "Client",
    ),
    Setting(
        "ESI_CONNECTION_POOL_MAXSIZE",
        10,
        "Size of the HTTP connection pool of each client.",
        "Client",
    ),
    Setting(
        "ESI_PAGES_MAX_WORKERS",
        8,
        "Threads that fetch pages 2..N of ``results()`` (and languages of "
        "``results_localized()``) concurrently.",
        "Client",
    ),
    Setting(
        "ESI_PAGES_MAX",
        2000,
        "The most pages ``results()`` fetches. A listing whose ``X-Pages`` "
        "announces more (or something that is no page count) raises "
        ":class:`esi.errors.IncompleteResponseError` after page 1. ESI's largest "
        "listing, The Forge's market orders, has some 400 pages.",
        "Client",
    ),
    Setting(
        "ESI_PAGES_CONSISTENCY_RETRIES",
        2,
        "How many times ``results()`` fetches again the pages that come from "
        "another generation of the listing than the newest page (``Last-Modified``, "
        "``Expires`` or ``X-Pages`` differ) before it raises "
        ":class:`esi.errors.IncompleteResponseError`. 0: check, never refetch.",
        "Client",
    ),
    Setting(
        "ESI_CONNECTION_ERROR_MAX_RETRIES",
        3,
        "Retries after a connection error or timeout.",
        "Client",
    ),
    Setting(
        "ESI_SERVER_ERROR_MAX_RETRIES",
        3,
        "Retries after a 502, 503 or 504.",
        "Client",
    ),
    Setting(
        "ESI_SERVER_ERROR_BACKOFF_FACTOR",
        0.2,
        "Backoff factor of the retries: ``factor * 2 ** (retry - 1)`` seconds.",
        "Client",
    ),
    Setting(
        "ESI_REQUESTS_CONNECT_TIMEOUT",
        5,
        "Connect timeout in seconds. A ``timeout`` in ``request_config`` wins.",
        "Client",
    ),
    Setting(
        "ESI_REQUESTS_READ_TIMEOUT",
        30,
        "Read timeout in seconds. A ``timeout`` in ``request_config`` wins.",
        "Client",
    ),
    Setting(
        "ESI_REQUESTS_TOTAL_TIMEOUT",
        90,
        "The most seconds one request may take, from its first attempt to the "
        "last byte of its body: retries, their backoff and rate-limit waits "
        "included. A server that trickles its answer never trips the read "
        "timeout (it bounds each wait, not the whole); this does. The default "
        "leaves room for the longest default rate-limit wait (60 s) and one "
        "read timeout (30 s). ``None``: no deadline.",
        "Client",
    ),
    Setting(
        "ESI_CACHE_RESPONSE",
        True,
        "Cache fresh responses in the Django cache until they expire, and "
        "revalidate them with ``If-None-Match``.",
        "Client",
    ),
    Setting(
        "ESI_CACHE_STALE_SECONDS",
        3600,
        "How long an expired cached response that has an ``ETag`` is kept, so "
        "that the next call revalidates it (a 304 returns the cached body).",
        "Client",
    ),
    Setting(
        "ESI_CACHE_MAX_SECONDS",
        7 * 24 * 3600,
        "The longest a response stays fresh in the cache, whatever its "
        "``Cache-Control: max-age`` or ``Expires`` says (a negative ``Age`` "
        "counts as 0). The default, 7 days, is ESI's longest lifetime but for "
        "killmails (a year), which are then fetched again weekly.",
        "Client",
    ),
    Setting(
        "ESI_LANGUAGES",
        None,
        "The languages of ``results_localized()`` when none are given. "
        "``None`` means every language the operation's spec accepts (seven in "
        "the Swagger specs, eight with ``es`` in the OpenAPI specs).",
        "Client",
    ),
    Setting(
        "ESI_INFO_LOGGING_ENABLED",
        False,
        "Log every ESI request at INFO level (no secrets are logged).",
        "Client",
    ),
    Setting(
        "ESI_LOG_LEVEL_LIBRARIES",
        "INFO",
        "Log level applied to bravado and urllib3.",
        "Client",
    ),
    Setting(
        "ESI_ERROR_LIMIT_THRESHOLD",
        10,
        "Stop sending requests while ESI's error budget "
        "(``X-ESI-Error-Limit-Remain``) is at or below this, until it resets.",
        "Client",
    ),
    Setting(
        "ESI_RATE_LIMIT_MAX_WAIT",
        60,
        "On a 429, wait up to this many seconds (``Retry-After``) and retry; "
        "a longer wait raises :class:`esi.errors.RateLimitExceeded`.",
        "Client",
    ),
    # --- Spec snapshots ----------------------------------------------------
    Setting(
        "ESI_SPEC_SNAPSHOT_DIRS",
        (),
        "Extra directories of spec snapshots, searched before the bundled "
        "ones. ``esi_snapshot import`` and ``update`` write to the first.",
        "Spec snapshots",
    ),
    Setting(
        "ESI_SPEC_OFFLINE",
        False,
        "Never download a spec. A route with no snapshot is derived from "
        "``latest`` instead (with a warning).",
        "Spec snapshots",
    ),
    Setting(
        "ESI_SPEC_LIVE",
        False,
        "Download the spec from ESI when a client is built instead of using a "
        "snapshot (the behaviour of django-esi 2.x).",
        "Spec snapshots",
    ),
    Setting(
        "ESI_SPEC_CACHE_DIR",
        None,
        "Directory where prepared specs (and route specs downloaded once) are "
        "kept between processes. ``None`` uses the ``ESI_SPEC_CACHE_DIR`` "
        "environment variable, else ``$XDG_CACHE_HOME/django-esi`` "
        "(``~/.cache/django-esi``); ``False`` turns the disk cache off. Tests "
        "using django-esi's pytest plugin or fake point it at a temporary directory.",
        "Spec snapshots",
    ),
)

_BY_NAME = {s.name: s for s in SETTINGS}


class AppSettings:
    """Lazy access to the ``ESI_*`` settings, each with its documented default."""

    def __getattr__(self, name: str) -> Any:
        try:
            setting = _BY_NAME[name]
        except KeyError:
            raise AttributeError(f"{name!r} is not a django-esi setting") from None
        return getattr(django_settings, name, setting.default)

    def __dir__(self) -> list[str]:
        return sorted(_BY_NAME)


app_settings = AppSettings()

#: The languages of ESI, which ``ESI_LANGUAGES`` listed in 2.x-10.x.
ESI_LANGUAGE_CODES = ("en", "de", "fr", "ja", "ru", "zh", "ko", "es")


def _setting(name: str, default: Any) -> Callable[[], Any]:
    return lambda: getattr(django_settings, name, default)


def _sso_host() -> str:
    from esi.sso.discovery import base_url

    return base_url()


def _oauth_url() -> str:
    return f"{_sso_host()}/v2/oauth"


def _jwks_url() -> str:
    return app_settings.ESI_SSO_JWKS_URL or f"{_sso_host()}/oauth/jwks"


#: The module-level names of django-esi 2.x-10.x that are no setting here, and how each is read.
LEGACY_CONSTANTS: dict[str, Callable[[], Any]] = {
    "ESI_OAUTH_URL": _oauth_url,
    "ESI_OAUTH_LOGIN_URL": lambda: (
        app_settings.ESI_SSO_AUTHORIZE_URL or app_settings.ESI_SSO_LOGIN_URL or f"{_oauth_url()}/authorize/"
    ),
    "ESI_TOKEN_URL": lambda: (
        app_settings.ESI_SSO_TOKEN_URL or app_settings.ESI_CODE_EXCHANGE_URL or f"{_oauth_url()}/token"
    ),
    "ESI_TOKEN_VERIFY_URL": lambda: f"{_oauth_url()}/verify",
    "ESI_TOKEN_JWK_SET_URL": _jwks_url,
    "ESI_TOKEN_JWT_AUDIENCE": _setting("ESI_TOKEN_JWT_AUDIENCE", "EVE Online"),
    "ESI_TOKEN_VALID_DURATION": _setting("ESI_TOKEN_VALID_DURATION", 1170),
    "ESI_SPEC_CACHE_DURATION": _setting("ESI_SPEC_CACHE_DURATION", 3600),
    "ESI_DEBUG_RESPONSE_CONTENT_LOGGING": _setting("ESI_DEBUG_RESPONSE_CONTENT_LOGGING", True),
    "ESI_REQUESTS_WRITE_TIMEOUT": _setting("ESI_REQUESTS_WRITE_TIMEOUT", 5),
    "ESI_REQUESTS_POOL_TIMEOUT": _setting("ESI_REQUESTS_POOL_TIMEOUT", 5),
    # 10.x (httpx) names
    "ESI_CONNECTION_POOL_MAX_CONNECTIONS": _setting("ESI_CONNECTION_POOL_MAX_CONNECTIONS", 100),
    "ESI_CONNECTION_POOL_MAX_KEEPALIVE": _setting("ESI_CONNECTION_POOL_MAX_KEEPALIVE", 20),
    "ESI_CONNECTION_POOL_KEEPALIVE_EXPIRY": _setting("ESI_CONNECTION_POOL_KEEPALIVE_EXPIRY", 5),
    "ESI_SERVER_ERROR_WAIT_EXPONENT": _setting("ESI_SERVER_ERROR_WAIT_EXPONENT", 1),
    "ESI_SSO_USER_AGENT": _setting("ESI_SSO_USER_AGENT", None),
    "ESI_SSO_MAX_RETRIES": _setting("ESI_SSO_MAX_RETRIES", 3),
    "ESI_SSO_WAIT_EXPONENT": _setting("ESI_SSO_WAIT_EXPONENT", 1),
    "ESI_SSO_MAX_RETRY_AFTER": _setting("ESI_SSO_MAX_RETRY_AFTER", 60),
}


def __getattr__(name: str) -> Any:
    # The 2.x-10.x constants, read on each access so that override_settings reaches them.
    if name == "ESI_LANGUAGES":
        # a list in every earlier release: None ("what the operation accepts") reads as all of them
        return list(app_settings.ESI_LANGUAGES or ESI_LANGUAGE_CODES)
    if name in _BY_NAME:
        return getattr(app_settings, name)
    legacy = LEGACY_CONSTANTS.get(name)
    if legacy is not None:
        return legacy()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_BY_NAME, *LEGACY_CONSTANTS])


__all__ = ["ESI_LANGUAGE_CODES", "LEGACY_CONSTANTS", "SETTINGS", "AppSettings", "Setting", "app_settings"]
