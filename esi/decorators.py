"""Decorators: views that need ESI tokens, and tasks that keep within rate limits.

View decorators (every era) hand a view the ESI token(s) it needs, sending the
user to SSO when there is none: :func:`tokens_required`, :func:`token_required`,
:func:`single_use_token`.

Rate-limit decorators (django-esi 10.x): :func:`wait_for_esi_errorlimit_reset`,
:func:`esi_rate_limiter_bucketed`, :func:`rate_limit_retry_task` and
:func:`rate_limited_task`; their state is shared through the Django cache
(:mod:`esi.rate_limiting`, the HTTP layer's error-limit state).
"""

from __future__ import annotations

import inspect
import logging
import time
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse

from .errors import ErrorLimitExceeded, RateLimitExceeded
from .exceptions import TaskBucketLimitException
from .managers import TokenQuerySet
from .models import CallbackRedirect, Token
from .rate_limiting import (
    ESIRateLimitBucket,
    ESIRateLimits,
    TaskRateLimitBucket,
    TaskRateLimits,
    task_bucket_slug_key,
)

__all__ = [
    "esi_rate_limiter_bucketed",
    "rate_limit_retry_task",
    "rate_limited_task",
    "single_use_token",
    "token_required",
    "tokens_required",
    "wait_for_esi_errorlimit_reset",
]

logger = logging.getLogger(__name__)

View = Callable[..., HttpResponse]


def _check_callback(request: HttpRequest) -> Token | None:
    """Return the token a just-completed login of this session produced (once), else None."""
    key = request.session.session_key
    if not key:
        return None
    callback = (
        CallbackRedirect.objects.filter(session_key=key, token__isnull=False).select_related("token").first()
    )
    if callback is None:
        return None
    token = callback.token
    callback.delete()
    logger.debug("Session %s… came back from SSO with %r", key[:5], token)
    return token


def _user_tokens(request: HttpRequest, scopes: Any) -> TokenQuerySet:
    return Token.objects.filter(user__pk=request.user.pk).require_scopes(scopes).require_valid()


def _sso(request: HttpRequest, scopes: Any) -> HttpResponse:
    from .views import sso_redirect

    return sso_redirect(request, scopes=scopes)


def tokens_required(scopes: Any = "", new: bool = False) -> Callable[[View], View]:
    """Give the view every valid token of the user that carries ``scopes``.

    ``scopes`` is a list or a space-delimited string. The view is called as
    ``view(request, tokens, *args, **kwargs)`` with a queryset. Anonymous
    users go to the login page; a user without such tokens (or every user
    when ``new=True``) goes to SSO first, and comes back with the new token::

        @tokens_required(scopes="esi-wallet.read_character_wallet.v1")
        def wallets(request, tokens):
            ...
    """

    def decorator(view_func: View) -> View:
        @wraps(view_func)
        def _wrapped_view(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            token = _check_callback(request)
            if token is not None and new:
                return view_func(request, Token.objects.filter(pk=token.pk), *args, **kwargs)
            if not new:
                if not request.user.is_authenticated:
                    return redirect_to_login(request.get_full_path())
                tokens = _user_tokens(request, scopes)
                if tokens.exists():
                    return view_func(request, tokens, *args, **kwargs)
            return _sso(request, scopes)

        return _wrapped_view

    return decorator


def token_required(scopes: Any = "", new: bool = False) -> Callable[[View], View]:
    """Give the view one token carrying ``scopes``, chosen by the user.

    The view is called as ``view(request, token, *args, **kwargs)``. When the
    user has matching tokens a page lets them pick one (or add another
    character); with none, or with ``new=True``, they go to SSO first.
    Anonymous users go to the login page, unless ``new=True`` (the token is
    then bound to no user)::

        @login_required
        @token_required(scopes=["esi-skills.read_skills.v1"])
        def skills(request, token):
            ...
    """

    def decorator(view_func: View) -> View:
        @wraps(view_func)
        def _wrapped_view(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            token = _check_callback(request)
            if token is not None and Token.objects.filter(pk=token.pk).require_scopes(scopes).exists():
                return view_func(request, token, *args, **kwargs)
            if request.method == "POST":
                if request.POST.get("_add"):
                    return _sso(request, scopes)
                chosen = request.POST.get("_token", "")
                if chosen.isdigit() and request.user.is_authenticated:
                    token = _user_tokens(request, scopes).filter(pk=int(chosen)).first()
                    if token is not None:
                        return view_func(request, token, *args, **kwargs)
                    logger.info(
                        "%s picked token %s, which is not theirs or lacks scopes", request.user, chosen
                    )
            if not new:
                if not request.user.is_authenticated:
                    return redirect_to_login(request.get_full_path())
                if _user_tokens(request, scopes).exists():
                    from .views import select_token

                    return select_token(request, scopes=scopes, new=new)
            return _sso(request, scopes)

        return _wrapped_view

    return decorator


def single_use_token(scopes: Any = "", new: bool = False) -> Callable[[View], View]:
    """Give the view a token from a fresh SSO login, logged in to the site or not.

    The view is called as ``view(request, token, *args, **kwargs)``. The token
    belongs to the logged-in user, or to no user for anonymous visitors::

        @single_use_token(scopes="esi-location.read_location.v1")
        def where_am_i(request, token):
            ...
    """

    def decorator(view_func: View) -> View:
        @wraps(view_func)
        def _wrapped_view(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            token = _check_callback(request)
            if token is not None:
                return view_func(request, token, *args, **kwargs)
            return _sso(request, scopes)

        return _wrapped_view

    return decorator


def _error_limit_wait() -> float:
    """Return the seconds until ESI's error budget returns (0 when calls may go), as the HTTP layer sees it."""
    from urllib.parse import urlsplit

    from .app_settings import app_settings
    from .http.limits import ErrorLimitGuard

    try:
        ErrorLimitGuard().check(urlsplit(app_settings.ESI_API_URL).netloc, time.time())
    except ErrorLimitExceeded as exc:
        return float(exc.retry_after or 0)
    return 0.0


def wait_for_esi_errorlimit_reset(
    cache_key: str = "esi_error_limit_reset", poll_interval: float = 1
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Wait, before each call of the function, while ESI's error budget is spent.

    The budget is the one the HTTP layer tracks for every process (and, as in
    10.x, a reset time stored under ``cache_key``). Retrying a task later is
    kinder to a worker than waiting; see :func:`rate_limit_retry_task`::

        @wait_for_esi_errorlimit_reset()
        def update_character(character_id): ...
    """

    def decorator(func: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            from django.core.cache import cache

            while True:
                wait = max(_error_limit_wait(), 1.0 if cache.get(cache_key) else 0.0)
                if wait <= 0:
                    return func(*args, **kwargs)
                logger.warning("ESI error limited: waiting %.0f s before %s", wait, func.__qualname__)
                time.sleep(min(float(poll_interval), wait))

        return wrapper

    return decorator


def esi_rate_limiter_bucketed(
    bucket: ESIRateLimitBucket, raise_on_limit: bool = True
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Spend one call of ``bucket`` before each call; raise ESIBucketLimitException when it is spent.

    With ``raise_on_limit=False``, wait for the bucket's window instead::

        @esi_rate_limiter_bucketed(ESIRateLimitBucket.MARKET_DATA_HISTORY)
        def fetch_history(region_id, type_id): ...

    The budget is shared by every process through the Django cache.
    """

    def decorator(func: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            ESIRateLimits.check_decr_bucket(bucket, raise_on_limit)
            return func(*args, **kwargs)

        return wrapper

    return decorator


def rate_limit_retry_task(func: Callable[..., Any]) -> Callable[..., Any]:
    """Retry a bound Celery task when an ESI limit is spent, once the limit resets.

    Catches :class:`~esi.exceptions.ESIErrorLimitException`,
    :class:`~esi.exceptions.ESIBucketLimitException` and the bravado-era
    ``ErrorLimitExceeded`` / ``RateLimitExceeded`` they derive from::

        @shared_task(bind=True)
        @rate_limit_retry_task
        def update_assets(self, character_id): ...
    """

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except (ErrorLimitExceeded, RateLimitExceeded) as exc:
            from celery import Task

            task = args[0] if args else None
            if not isinstance(task, Task):
                logger.error(
                    "%s: an ESI limit is spent and the first argument is not a bound task", func.__qualname__
                )
                raise
            countdown = getattr(exc, "reset", None) or exc.retry_after or 1
            return task.retry(countdown=countdown, exc=exc)

    return wrapper


def rate_limited_task(
    rate: str, keys: list[str] | None = None
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Run a bound Celery task at most at ``rate`` (``"100/15m"``, ``"10/s"``), across every worker.

    Runs over the rate are retried when their turn comes, without spending a
    retry. ``keys`` names the arguments that get a budget of their own
    (default: one budget for the task)::

        @shared_task(bind=True)
        @rate_limited_task("10/m", keys=["character_id"])
        def update_character(self, character_id): ...
    """
    TaskRateLimitBucket.from_rate("check", rate)  # a bad rate fails at import, with its name

    def decorator(func: Callable[..., Any]) -> Callable[..., Any]:
        signature = inspect.signature(func)

        @wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            bound = signature.bind(*args, **kwargs)
            task: Any = bound.arguments.get("self", args[0] if args else None)
            slug = task_bucket_slug_key(task.name, bound.arguments, restrict_to=keys)
            try:
                TaskRateLimits.check_bucket(TaskRateLimitBucket.from_rate(slug, rate))
            except TaskBucketLimitException as exc:
                task.request.retries = task.request.retries - 1  # waiting for a turn is no failure
                return task.retry(countdown=exc.reset)
            return func(*args, **kwargs)

        return wrapper

    return decorator
