"""Turn an EVE SSO failure into a page that says what happened, instead of a server error."""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

logger = logging.getLogger(__name__)


class SSOErrorPageMiddleware:
    """Render ``demo/sso_error.html`` (status 502) when a view raises :class:`esi.errors.SSOError`."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        from esi.errors import SSOError

        if not isinstance(exception, SSOError):
            return None
        logger.warning("EVE SSO failed: %s", exception)
        context = {"error": f"{type(exception).__name__}: {exception}"}
        return render(request, "demo/sso_error.html", context, status=502)
