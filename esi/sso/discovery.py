"""Where the SSO is: its endpoints, from the settings or its metadata document."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

from ..app_settings import app_settings
from ..errors import SSOError
from .transport import get_json

__all__ = ["METADATA_PATH", "Endpoints", "base_url", "clear_metadata", "endpoints"]

METADATA_PATH = "/.well-known/oauth-authorization-server"

# 2.x-10.x wrote the OAuth URL (".../v2/oauth", 2.x ".../oauth") into ESI_SSO_BASE_URL.
_OAUTH_SUFFIXES = ("/v2/oauth", "/oauth")

#: The endpoint settings of 2.x-10.x, read when the current one is not set.
_OLD_NAMES = {"authorize": "ESI_SSO_LOGIN_URL", "token": "ESI_CODE_EXCHANGE_URL"}


@dataclass(frozen=True)
class Endpoints:
    """The URLs of one SSO."""

    authorize: str
    token: str
    revoke: str
    jwks: str
    issuer: str | None = None


_metadata_lock = threading.Lock()
_metadata: dict[str, tuple[float, dict[str, Any]]] = {}


def base_url() -> str:
    """Return the SSO's host URL: ``ESI_SSO_BASE_URL`` without the OAuth path earlier releases put there."""
    base = str(app_settings.ESI_SSO_BASE_URL).rstrip("/")
    for suffix in _OAUTH_SUFFIXES:
        if base.endswith(suffix):
            return base[: -len(suffix)]
    return base


def _metadata_document() -> dict[str, Any]:
    base = base_url()
    with _metadata_lock:
        cached = _metadata.get(base)
        if cached and cached[0] > time.monotonic():
            return cached[1]
        data, _ = get_json(base + METADATA_PATH, "SSO metadata")
        _metadata[base] = (time.monotonic() + app_settings.ESI_SSO_METADATA_CACHE_SECONDS, data)
        return data


def endpoints() -> Endpoints:
    """Return the SSO endpoints: each from its setting, else from the metadata document."""
    configured = {
        "authorize": app_settings.ESI_SSO_AUTHORIZE_URL,
        "token": app_settings.ESI_SSO_TOKEN_URL,
        "revoke": app_settings.ESI_SSO_REVOKE_URL,
        "jwks": app_settings.ESI_SSO_JWKS_URL,
    }
    for name, old_name in _OLD_NAMES.items():
        configured[name] = configured[name] or getattr(app_settings, old_name)
    issuer = None
    if not all(configured.values()):
        meta = _metadata_document()
        keys = {
            "authorize": "authorization_endpoint",
            "token": "token_endpoint",
            "revoke": "revocation_endpoint",
            "jwks": "jwks_uri",
        }
        for name, key in keys.items():
            if not configured[name]:
                if not meta.get(key):
                    raise SSOError(f"SSO metadata has no {key!r}; set ESI_SSO_{name.upper()}_URL")
                configured[name] = meta[key]
        issuer = meta.get("issuer")
    return Endpoints(issuer=issuer, **configured)


def clear_metadata() -> None:
    """Forget the cached metadata documents."""
    with _metadata_lock:
        _metadata.clear()
