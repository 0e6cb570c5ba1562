"""The ESI client: :class:`EsiClientProvider` and :func:`esi_client_factory`.

The public API of django-esi 2.x-8.x, unchanged::

    from esi.clients import EsiClientProvider

    esi = EsiClientProvider(ua_appname="my-app", ua_version="1.0", ua_url="https://my.app")
    esi.client.Universe.get_universe_types_type_id(type_id=587).result()

    esi_client_factory(Universe="v1", Character="v4")     # resources of other versions
    esi_client_factory(spec_file="/path/to/swagger.json")  # a local spec, versioning off
    EsiClientProvider(app_info_text="my-app/1.0")          # 2.x's way to name the app
    EsiClientProvider(compatibility_date="2025-12-16")     # the OpenAPI era

The client is built with the class ``esi.clients.SwaggerClient`` (a
:class:`bravado.client.SwaggerClient`), looked up when it is built, so the
tests of 2.x-8.x apps that ``mock.patch("esi.clients.SwaggerClient")`` keep
working: a patched class is called as django-esi 8.x called it
(``SwaggerClient.from_spec(spec_dict, ...)`` for a ``spec_file``,
``SwaggerClient(spec)`` otherwise).

The spec comes from the bundled snapshots (:mod:`esi.spec`), never from the
network unless ``ESI_SPEC_LIVE`` asks for it. Importing this module imports no
HTTP or Swagger library: bravado is imported when a client is first built.
"""

from __future__ import annotations

import logging
import sys
import threading
import warnings
from typing import TYPE_CHECKING, Any

from esi.app_settings import app_settings
from esi.spec import SpecRequest, get_spec, minimize_spec

if TYPE_CHECKING:  # pragma: no cover
    from esi.operations import EsiClient
    from esi.operations import EsiClient as SwaggerClient

__all__ = [
    "EsiClientProvider",
    "SwaggerClient",
    "app_user_agent",
    "esi_client_factory",
    "minimize_spec",
    "pascal_case_string",
]

logger = logging.getLogger(__name__)

_LIBRARY_LOGGERS = ("bravado", "bravado_core", "swagger_spec_validator", "urllib3")
_library_levels_set = False


def _set_library_log_levels() -> None:
    global _library_levels_set
    if _library_levels_set:
        return
    level = logging.getLevelName(str(app_settings.ESI_LOG_LEVEL_LIBRARIES).upper())
    if isinstance(level, int):
        for name in _LIBRARY_LOGGERS:
            logging.getLogger(name).setLevel(level)
    _library_levels_set = True


def _spec_request(
    spec_file: str | None,
    version: str | None,
    compatibility_date: str | None,
    resource_versions: dict[str, str],
) -> SpecRequest:
    """Return what to build from, applying the settings; refuse contradictions."""
    if spec_file:
        # As in 2.x: a spec file turns other versioning off.
        return SpecRequest(spec_file=str(spec_file))
    if compatibility_date is None and version is None and not resource_versions:
        compatibility_date = app_settings.ESI_COMPATIBILITY_DATE
    if compatibility_date:
        if version is not None or resource_versions:
            raise ValueError(
                "a compatibility date selects the whole OpenAPI spec: do not combine it with "
                f"version={version!r} or resource versions {resource_versions!r}"
            )
        return SpecRequest(compatibility_date=str(compatibility_date))
    for name, route in resource_versions.items():
        if not isinstance(route, str):
            raise TypeError(f"resource version of {name} must be a route like 'v1', not {route!r}")
    return SpecRequest(
        version=version or app_settings.ESI_API_VERSION,
        resource_versions=tuple(sorted(resource_versions.items())),
    )


def __getattr__(name: str) -> Any:
    # SwaggerClient is bound on first use: importing bravado costs every start-up.
    if name == "SwaggerClient":
        from esi.operations import EsiClient

        return EsiClient
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def pascal_case_string(text: str) -> str:
    """Return ``text`` in PascalCase when it holds spaces or hyphens, else unchanged.

    ``"my app"`` and ``"my-app"`` become ``"MyApp"``; ``"myApp"`` and
    ``"my_app"`` stay as they are (django-esi 8.x's rule for ``ua_appname``).
    """
    if " " not in text and "-" not in text:
        return text
    return "".join(word[:1].upper() + word[1:] for word in text.replace("-", " ").split())


def app_user_agent(
    app_info_text: str | None = None,
    ua_appname: str | None = None,
    ua_version: str | None = None,
    ua_url: str | None = None,
) -> str | None:
    """Return the app's part of the User-Agent, the part before django-esi's.

    ``ua_appname`` and ``ua_version`` compose as django-esi 8.x composed them:
    ``MyApp/1.0 (<ESI_USER_CONTACT_EMAIL>; +<ua_url>)``, the name in PascalCase
    (:func:`pascal_case_string`). ``app_info_text`` (2.x) is used as it is, and
    wins when both are given, as in 8.x.
    """
    for name, value in (
        ("app_info_text", app_info_text),
        ("ua_appname", ua_appname),
        ("ua_version", ua_version),
        ("ua_url", ua_url),
    ):
        if value is not None and ("\r" in str(value) or "\n" in str(value)):
            raise ValueError(f"{name} must be one line: it goes into the User-Agent header, got {value!r}")
    if app_info_text:
        return app_info_text
    if not ua_appname or not ua_version:
        if ua_appname or ua_version or ua_url:
            missing = "ua_version" if ua_appname else "ua_appname"
            warnings.warn(
                f"{missing} is missing: the User-Agent names your app only with both ua_appname and "
                "ua_version (as in django-esi 8.x, it is left out)",
                stacklevel=3,
            )
        return None
    comment = [c for c in (app_settings.ESI_USER_CONTACT_EMAIL, f"+{ua_url}" if ua_url else None) if c]
    agent = f"{pascal_case_string(str(ua_appname).strip())}/{str(ua_version).strip()}"
    return f"{agent} ({'; '.join(comment)})" if comment else agent


def _client_class() -> Any:
    """Return ``esi.clients.SwaggerClient`` as it is now: the real class or a test's patch."""
    return sys.modules[__name__].SwaggerClient


def _build_client(context: Any, spec_file: str | None) -> Any:
    """Build the client with ``esi.clients.SwaggerClient``, called as django-esi 8.x called it when patched."""
    from esi.operations import EsiClient

    client_class = _client_class()
    if isinstance(client_class, type) and issubclass(client_class, EsiClient):
        return client_class(context)
    spec = context.prepared.spec
    if spec_file:
        return client_class.from_spec(
            spec.spec_dict, http_client=context.http_client, config={"use_models": False}
        )
    return client_class(spec)


def _http_client(app_info_text: str | None, compatibility_date: str | None, datasource: str | None) -> Any:
    """Return the bravado HTTP client of one client: one pooled session (see :mod:`esi.http`)."""
    from esi.http import EsiRequestsClient

    return EsiRequestsClient(app_info_text, compatibility_date, datasource=datasource)


def esi_client_factory(
    token: Any = None,
    datasource: str | None = None,
    spec_file: str | None = None,
    version: str | None = None,
    app_info_text: str | None = None,
    ua_appname: str | None = None,
    ua_version: str | None = None,
    ua_url: str | None = None,
    compatibility_date: str | None = None,
    **kwargs: str,
) -> EsiClient:
    """Return a new ESI client.

    :param token: a Token (anything with ``valid_access_token()``) sent with
        every call as ``Authorization: Bearer``.
    :param datasource: ``tranquility`` or ``singularity`` (default ``ESI_API_DATASOURCE``).
    :param spec_file: path to a local Swagger 2.0 (or OpenAPI 3) spec; versions are then off.
    :param version: the route: ``latest``, ``legacy``, ``dev`` or ``v1``.. (default ``ESI_API_VERSION``).
    :param app_info_text: your app, first in the User-Agent, as it is (``my-app/1.0``).
    :param ua_appname: your app's name for the User-Agent (with ``ua_version``; see :func:`app_user_agent`).
    :param ua_version: your app's version for the User-Agent.
    :param ua_url: where your app lives, added to the User-Agent.
    :param compatibility_date: build from the OpenAPI spec of this date (``YYYY-MM-DD`` or ``newest``).
    :param kwargs: resource versions, as ``Universe="v1"``, ``Faction_Warfare="v2"``.
    """
    from esi.operations import ClientContext, TokenAuthenticator

    _set_library_log_levels()
    app_text = app_user_agent(app_info_text, ua_appname, ua_version, ua_url)
    request = _spec_request(spec_file, version, compatibility_date, kwargs)
    if app_settings.ESI_INFO_LOGGING_ENABLED:
        logger.info("Building an ESI client from %s", request.label)
    prepared = get_spec(request)
    http_client = _http_client(app_text, prepared.compatibility_date, datasource)
    if token is not None:
        http_client.authenticator = TokenAuthenticator(token)
    context = ClientContext(
        prepared=prepared,
        http_client=http_client,
        datasource=datasource,
        compatibility_date=prepared.compatibility_date,
        bravado_limit_errors=True,
    )
    return _build_client(context, spec_file)  # type: ignore[no-any-return]


class EsiClientProvider:
    """Provide one ESI client for the whole app, built on first use.

    Accepts the arguments of :func:`esi_client_factory` except ``token``; pass
    ``token=`` to each operation instead. The client is built once, on the
    first access to :attr:`client`, even when threads race for it.
    """

    def __init__(
        self,
        datasource: str | None = None,
        spec_file: str | None = None,
        version: str | None = None,
        app_info_text: str | None = None,
        ua_appname: str | None = None,
        ua_version: str | None = None,
        ua_url: str | None = None,
        compatibility_date: str | None = None,
        **resource_versions: str,
    ) -> None:
        self._datasource = datasource
        self._spec_file = spec_file
        self._version = version
        self._app_info_text = app_info_text
        self._ua_appname = ua_appname
        self._ua_version = ua_version
        self._ua_url = ua_url
        self._compatibility_date = compatibility_date
        self._resource_versions = resource_versions
        self._client: EsiClient | None = None
        self._lock = threading.Lock()

    @property
    def client(self) -> EsiClient:
        """Return the client, building it on first access."""
        client = self._client
        if client is None:
            with self._lock:
                client = self._client
                if client is None:
                    client = esi_client_factory(
                        datasource=self._datasource,
                        spec_file=self._spec_file,
                        version=self._version,
                        app_info_text=self._app_info_text,
                        ua_appname=self._ua_appname,
                        ua_version=self._ua_version,
                        ua_url=self._ua_url,
                        compatibility_date=self._compatibility_date,
                        **self._resource_versions,
                    )
                    self._client = client
        return client

    def __str__(self) -> str:
        return "EsiClientProvider"

    def __repr__(self) -> str:
        built = "built" if self._client is not None else "not built"
        return f"<EsiClientProvider {_spec_request_label(self)} ({built})>"


def _spec_request_label(provider: EsiClientProvider) -> str:
    if provider._spec_file:
        return f"spec file {provider._spec_file}"
    if provider._compatibility_date:
        return f"compatibility date {provider._compatibility_date}"
    mix = ", ".join(f"{k}={v}" for k, v in sorted(provider._resource_versions.items()))
    return (provider._version or "default version") + (f" with {mix}" if mix else "")
