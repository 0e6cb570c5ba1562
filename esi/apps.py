"""The app config of django-esi: system checks registered, the log filter installed."""

from collections.abc import Callable
from typing import Any

from django.apps import AppConfig
from django.core.checks import CheckMessage, Tags, register

#: The system checks of :mod:`esi.checks` and their tags. They are registered when
#: Django starts; the module is imported when checks first run (``check``, ``migrate``,
#: ``runserver``), not by every process that sets Django up.
CHECKS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("check_sso_settings", (Tags.security,)),
    ("check_callback_url", (Tags.urls,)),
    ("check_contact_email", ()),
)


def _check(name: str) -> Callable[..., list[CheckMessage]]:
    """Return a check that runs ``esi.checks.<name>``, importing the module on its first run."""

    def check(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
        from . import checks

        result: list[CheckMessage] = getattr(checks, name)(app_configs=app_configs, **kwargs)
        return result

    check.__name__ = check.__qualname__ = name
    check.__doc__ = f"Run :func:`esi.checks.{name}`."
    return check


#: Made once, so that registering them again (a second ``ready``) adds nothing.
_REGISTERED = tuple((_check(name), tags) for name, tags in CHECKS)


class EsiConfig(AppConfig):
    name = "esi"
    verbose_name = "EVE Swagger Interface"
    default_auto_field = "django.db.models.AutoField"

    def ready(self) -> None:
        from .debug import install_log_filter

        for check, tags in _REGISTERED:
            register(check, *tags)
        install_log_filter()  # oauthlib logs codes and tokens at DEBUG
