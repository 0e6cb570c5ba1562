"""Keep SSO secrets out of logs and error reports.

Two leaks closed here, both installed by the app:

- oauthlib and requests-oauthlib log authorization codes, access tokens and
  refresh tokens (request bodies, token responses) at DEBUG level.
  :func:`install_log_filter` (run by ``EsiConfig.ready``) caps their loggers
  at INFO and puts :class:`DropDebugRecords` on each of them, so a site that
  turns them up to DEBUG still gets no secret from them.
- Django's error reports hide the variables marked with
  ``sensitive_variables``, but only with ``DEBUG = False``.
  :class:`SecretsExceptionReporterFilter` hides them with ``DEBUG = True``
  too; the SSO views use it for their own requests, and a site can make it
  the default::

      DEFAULT_EXCEPTION_REPORTER_FILTER = "esi.debug.SecretsExceptionReporterFilter"
"""

from __future__ import annotations

import logging
from typing import Any

from django.views.debug import SafeExceptionReporterFilter

__all__ = [
    "SECRET_BEARING_LOGGERS",
    "DropDebugRecords",
    "SecretsExceptionReporterFilter",
    "install_log_filter",
]

#: Loggers whose DEBUG records carry codes and tokens (with every logger below them).
SECRET_BEARING_LOGGERS = ("oauthlib", "requests_oauthlib")


class DropDebugRecords(logging.Filter):
    """Drop the records below INFO: those of oauthlib and requests-oauthlib carry secrets."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= logging.INFO


_drop = DropDebugRecords()


def _secret_bearing(name: str) -> bool:
    return any(name == root or name.startswith(root + ".") for root in SECRET_BEARING_LOGGERS)


def install_log_filter() -> None:
    """Cap the secret-bearing loggers at INFO and filter each existing one; idempotent."""
    for name in SECRET_BEARING_LOGGERS:
        logger = logging.getLogger(name)
        if logger.level < logging.INFO:
            logger.setLevel(logging.INFO)
    # a filter acts only on records made by its own logger, not on its children's
    existing = [logging.getLogger(name) for name in list(logging.Logger.manager.loggerDict)]
    for logger in [logging.getLogger(name) for name in SECRET_BEARING_LOGGERS] + existing:
        if _secret_bearing(logger.name) and _drop not in logger.filters:
            logger.addFilter(_drop)


class SecretsExceptionReporterFilter(SafeExceptionReporterFilter):
    """Django's error report filter, active with ``DEBUG = True`` as well.

    Variables marked with ``sensitive_variables`` (every django-esi function
    that holds a code, a token or the client secret), and POST parameters
    marked with ``sensitive_post_parameters``, read as stars on the DEBUG page.
    """

    def is_active(self, request: Any) -> bool:
        return True
