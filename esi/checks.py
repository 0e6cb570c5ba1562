"""System checks of django-esi (ids ``esi.E0xx`` for errors, ``esi.W0xx`` for warnings).

- ``esi.E001`` / ``esi.W001`` (with ``DEBUG``): ``ESI_SSO_CLIENT_ID`` or
  ``ESI_SSO_CALLBACK_URL`` is missing, so SSO cannot work.
- ``esi.E002``: ``ESI_SSO_CALLBACK_URL`` is not an absolute http(s) URL whose
  path resolves to the ``esi:callback`` view.
- ``esi.W002``: ``ESI_USER_CONTACT_EMAIL`` is missing; ESI asks every client
  for a contact in its User-Agent.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register
from django.urls import Resolver404, resolve

from .app_settings import app_settings

__all__ = ["check_callback_url", "check_contact_email", "check_sso_settings"]

DEVELOPERS = "https://developers.eveonline.com"


@register(Tags.security)
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


@register(Tags.urls)
def check_callback_url(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Check that ``ESI_SSO_CALLBACK_URL`` points at the ``esi:callback`` view."""
    url = app_settings.ESI_SSO_CALLBACK_URL
    if not url:
        return []  # esi.E001 / esi.W001 already says so
    parts = urlsplit(url)
    hint = 'Include esi.urls, e.g. path("sso/", include("esi.urls")), and set the URL of its callback/.'
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return [
            Error(f"ESI_SSO_CALLBACK_URL {url!r} is not an absolute http(s) URL.", hint=hint, id="esi.E002")
        ]
    try:
        view_name = resolve(parts.path).view_name
    except Resolver404:
        view_name = None
    if view_name != "esi:callback":
        found = f"resolves to {view_name!r}" if view_name else "resolves to no view"
        return [Error(f"ESI_SSO_CALLBACK_URL {url!r} {found}, not 'esi:callback'.", hint=hint, id="esi.E002")]
    return []


@register()
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
