"""How django-esi talks to SSO: https (or plain http to loopback), User-Agent, errors.

Every SSO URL must be ``https://``, or ``http://`` to loopback (a fake SSO on
this machine). oauthlib refuses plain http unless ``OAUTHLIB_INSECURE_TRANSPORT``
is set for the whole process; instead, its check is widened for loopback URLs
only, inside django-esi's own calls (:func:`secure_transport`).
"""

from __future__ import annotations

import contextvars
import ipaddress
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

import requests
import requests_oauthlib.oauth2_session
from oauthlib.oauth2 import InvalidGrantError, OAuth2Error
from oauthlib.oauth2.rfc6749 import parameters as oauthlib_parameters
from requests_oauthlib import OAuth2Session

from .. import __url__, __version__
from ..app_settings import app_settings
from ..debug import install_log_filter
from ..errors import InvalidGrant, SSOError, SSOUnavailable

# oauthlib's loggers exist from now: filter them too (EsiConfig.ready ran before they did).
install_log_filter()

#: True while django-esi itself talks to a loopback SSO (this thread or task only).
_loopback_call: contextvars.ContextVar[bool] = contextvars.ContextVar("esi_sso_loopback_call", default=False)


def _is_loopback_http(url: str) -> bool:
    """Return True for a plain ``http://`` URL to localhost, 127.0.0.0/8 or ::1."""
    parts = urlsplit(url)
    # no userinfo or backslash: parsers disagree on where the host of such URLs is
    if parts.scheme.lower() != "http" or "@" in parts.netloc or "\\" in url:
        return False
    host = parts.hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@contextmanager
def secure_transport(url: str, what: str) -> Iterator[None]:
    """Refuse any SSO URL but https, or plain http to loopback (a fake SSO on this machine).

    oauthlib refuses plain http unless ``OAUTHLIB_INSECURE_TRANSPORT`` is set,
    for the whole process. Instead, its check is answered "secure" for
    loopback http URLs only, and only inside this block: other hosts, other
    threads and other users of oauthlib keep the check as it is.
    """
    if not url.lower().startswith("https://") and not _is_loopback_http(url):
        raise SSOError(f"{what}: {url} is not https; plain http is allowed only to a loopback SSO")
    reset = _loopback_call.set(True)
    try:
        yield
    finally:
        _loopback_call.reset(reset)


def _install_loopback_check() -> None:
    """Wrap oauthlib's ``is_secure_transport`` where requests-oauthlib and oauthlib look it up."""
    for module in (requests_oauthlib.oauth2_session, oauthlib_parameters):
        original = module.is_secure_transport
        if getattr(original, "esi_loopback", False):
            continue

        def is_secure_transport(uri: str, _original: Any = original) -> bool:
            return bool(_original(uri)) or (_loopback_call.get() and _is_loopback_http(uri))

        is_secure_transport.esi_loopback = True  # type: ignore[attr-defined]
        module.is_secure_transport = is_secure_transport


_install_loopback_check()


def user_agent() -> str:
    contact = app_settings.ESI_USER_CONTACT_EMAIL
    return f"django-esi/{__version__} (+{__url__}{'; ' + contact if contact else ''})"


def oauth_session(**kwargs: Any) -> OAuth2Session:
    session = OAuth2Session(app_settings.ESI_SSO_CLIENT_ID, **kwargs)
    session.headers["User-Agent"] = user_agent()
    # oauthlib parses any body it gets; a 5xx page must not read as a refusal.
    session.register_compliance_hook("access_token_response", raise_unavailable)
    session.register_compliance_hook("refresh_token_response", raise_unavailable)
    return session


def raise_unavailable(response: requests.Response) -> requests.Response:
    if response.status_code >= 500 or response.status_code == 429:
        raise SSOUnavailable(f"EVE SSO answered {response.status_code} on {response.url}", response=response)
    return response


@contextmanager
def sso_errors(what: str) -> Iterator[None]:
    """Turn requests/oauthlib exceptions into the :mod:`esi.errors` tree."""
    try:
        yield
    except SSOError:
        raise
    except (requests.ConnectionError, requests.Timeout) as exc:
        raise SSOUnavailable(f"{what}: EVE SSO unreachable ({exc.__class__.__name__}: {exc})") from exc
    except InvalidGrantError as exc:
        raise InvalidGrant(f"{what}: invalid_grant ({exc.description})") from exc
    except OAuth2Error as exc:
        raise SSOError(f"{what}: {exc.error} ({exc.description})") from exc
    except requests.RequestException as exc:
        raise SSOUnavailable(f"{what}: {exc}") from exc


def get_json(url: str, what: str) -> tuple[dict[str, Any], requests.Response]:
    with secure_transport(url, what), sso_errors(what):
        response = requests.get(
            url, timeout=app_settings.ESI_SSO_TIMEOUT, headers={"User-Agent": user_agent()}
        )
    raise_unavailable(response)
    if response.status_code != 200:
        raise SSOError(f"{what}: {url} answered {response.status_code}", response=response)
    try:
        data = response.json()
    except ValueError as exc:
        raise SSOError(f"{what}: {url} did not answer JSON", response=response) from exc
    if not isinstance(data, dict):
        raise SSOError(f"{what}: {url} did not answer a JSON object", response=response)
    return data, response
