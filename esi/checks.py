"""System checks of django-esi (ids ``esi.E0xx`` for errors, ``esi.W0xx`` for warnings).

- ``esi.E001`` / ``esi.W001`` (with ``DEBUG``): ``ESI_SSO_CLIENT_ID`` or
  ``ESI_SSO_CALLBACK_URL`` is missing, so SSO cannot work.
- ``esi.E002``: ``ESI_SSO_CALLBACK_URL`` is not an absolute http(s) URL, so
  EVE SSO cannot redirect to it. Only this certain failure is an error: it stops
  ``check`` and ``migrate``.
- ``esi.W003``: ``ESI_SSO_CALLBACK_URL`` may not reach the ``esi:callback`` view
  of this project: it resolves to another view or to none, or only with a
  trailing slash that nothing appends. The hint names the cause. A warning, as
  another site or a proxy may serve the URL. A path that reaches the view, with
  or without the trailing slash (``APPEND_SLASH`` redirects
  ``f"{SITE_URL}/sso/callback"``, as Alliance Auth writes it), passes.
- ``esi.W002``: ``ESI_USER_CONTACT_EMAIL`` is missing; ESI asks every client
  for a contact in its User-Agent.

The checks are registered when Django starts (``EsiConfig.ready``, with the tags
in ``esi.apps.CHECKS``); this module is imported when checks first run.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning
from django.urls import Resolver404, resolve
from django.utils.module_loading import import_string

from .app_settings import app_settings

__all__ = ["check_callback_url", "check_contact_email", "check_sso_settings"]

DEVELOPERS = "https://developers.eveonline.com"


def check_sso_settings(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Check that the SSO application is configured."""
    missing = [n for n in ("ESI_SSO_CLIENT_ID", "ESI_SSO_CALLBACK_URL") if not getattr(app_settings, n)]
    if not missing:
        return []
    hint = (
        f"Register an application at {DEVELOPERS} and set {' and '.join(missing)} "
        "(and ESI_SSO_CLIENT_SECRET, unless it is a public client using PKCE)."
    )
    if settings.DEBUG:
        return [Warning(f"{', '.join(missing)} not set: SSO logins will not work.", hint=hint, id="esi.W001")]
    return [Error(f"{', '.join(missing)} not set: SSO logins cannot work.", hint=hint, id="esi.E001")]


def check_callback_url(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Check that ``ESI_SSO_CALLBACK_URL`` reaches the ``esi:callback`` view."""
    url = app_settings.ESI_SSO_CALLBACK_URL
    if not url:
        return []  # esi.E001 / esi.W001 already says so
    parts = urlsplit(str(url))
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return [
            Error(
                f"ESI_SSO_CALLBACK_URL {url!r} is not an absolute http(s) URL: EVE SSO cannot redirect to it.",
                hint=f"Set it to the full URL of the esi:callback view, e.g. https://example.com/sso/callback/. {_INCLUDE}",
                id="esi.E002",
            )
        ]
    problem = _callback_problem(parts.path or "/")
    if problem is None:
        return []
    cause, hint = problem
    return [Warning(f"ESI_SSO_CALLBACK_URL {url!r} {cause}.", hint=hint, id="esi.W003")]


_INCLUDE = 'Include esi.urls in your URLconf, e.g. path("sso/", include("esi.urls")).'
_NOT_HERE = "If another site or a proxy serves this URL, ignore this warning (add esi.W003 to SILENCED_SYSTEM_CHECKS)."


def _view_name(path: str) -> str | None:
    try:
        return resolve(path).view_name
    except Resolver404:
        return None


def _appends_slash() -> str | None:
    """Return None when Django redirects a path to its trailing-slash form, else why not."""
    if not settings.APPEND_SLASH:
        return "APPEND_SLASH is False"
    from django.middleware.common import CommonMiddleware

    for name in settings.MIDDLEWARE or ():
        try:
            middleware = import_string(name)
        except ImportError:
            continue  # Django's own check reports a middleware that does not import
        if isinstance(middleware, type) and issubclass(middleware, CommonMiddleware):
            return None
    return "django.middleware.common.CommonMiddleware is not in MIDDLEWARE"


def _callback_problem(path: str) -> tuple[str, str] | None:
    """Return why ``path`` may not reach esi:callback, and a hint; None when it does."""
    script_name = (getattr(settings, "FORCE_SCRIPT_NAME", None) or "").rstrip("/")
    if script_name and (path == script_name or path.startswith(script_name + "/")):
        path = path[len(script_name) :] or "/"
    try:
        view_name = _view_name(path)
        if view_name == "esi:callback":
            return None
        if not path.endswith("/") and _view_name(path + "/") == "esi:callback":
            why_not = _appends_slash()
            if why_not is None:
                return None  # CommonMiddleware redirects it, query string and all
            return (
                "reaches esi:callback only with a trailing slash, and nothing adds it",
                f"{why_not}, so SSO's redirect gets a 404: end the URL with a slash (here and in your "
                f"application at {DEVELOPERS}), or turn APPEND_SLASH and CommonMiddleware on.",
            )
        if path.endswith("/") and path != "/" and _view_name(path.rstrip("/")) == "esi:callback":
            return (
                "has a trailing slash that esi:callback's URL lacks",
                f"Django does not remove slashes: drop it (here and in your application at {DEVELOPERS}).",
            )
    except Exception as exc:  # a broken URLconf: Django's own checks report it in full
        return (f"cannot be resolved ({type(exc).__name__}: {exc})", f"Fix the URLconf. {_NOT_HERE}")
    if view_name:
        return (
            f"resolves to {view_name!r}, not 'esi:callback': SSO would send logins there",
            f"Point it at the esi:callback view. {_INCLUDE} {_NOT_HERE}",
        )
    prefix = "" if script_name else " If the site is served under a path prefix, set FORCE_SCRIPT_NAME."
    return (
        "resolves to no view of this project",
        f"Point it at the esi:callback view. {_INCLUDE}{prefix} {_NOT_HERE}",
    )


def check_contact_email(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Check that a contact address for the User-Agent is set."""
    if app_settings.ESI_USER_CONTACT_EMAIL:
        return []
    return [
        Warning(
            "ESI_USER_CONTACT_EMAIL is not set.",
            hint="ESI asks every client for a contact in its User-Agent; set it to an address CCP can reach.",
            id="esi.W002",
        )
    ]
