"""View decorators that hand a view the ESI token(s) it needs, sending the user to SSO when there is none."""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse

from .managers import TokenQuerySet
from .models import CallbackRedirect, Token

__all__ = ["single_use_token", "token_required", "tokens_required"]

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
