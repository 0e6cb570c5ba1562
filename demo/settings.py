"""Settings of the demo site.

The runner (``python -m demo``) passes the settings that point django-esi at the
fake ESI and fake SSO (or at the real ones with ``--live``), ``DEBUG`` and
``ALLOWED_HOSTS`` through the ``DEMO_SETTINGS`` environment variable, a JSON object
of setting names and values, and the file of the secret key (generated on the first
run, see :mod:`demo.datadir`) through ``DEMO_SECRET_FILE``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from django.core.management.utils import get_random_secret_key

from demo.datadir import read_secret_key

BASE_DIR = Path(__file__).resolve().parent

if os.environ.get("DEMO_SECRET_FILE"):
    SECRET_KEY = read_secret_key(os.environ["DEMO_SECRET_FILE"])
else:  # not started by the runner: a key of this process alone, never a known one
    SECRET_KEY = get_random_secret_key()
DEBUG = False  # the runner turns it on for the offline demo on loopback
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]", "testserver"]
USE_TZ = True
TIME_ZONE = "UTC"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "esi",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "demo.middleware.SSOErrorPageMiddleware",
]

ROOT_URLCONF = "demo.urls"
WSGI_APPLICATION = None

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "demo.views.demo_context",
            ]
        },
    }
]

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("DEMO_DB", str(BASE_DIR / "db.sqlite3")),
        "OPTIONS": {"timeout": 20},
    }
}
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"

STATIC_URL = "/static/"
LOGIN_URL = "demo:login"
LOGIN_REDIRECT_URL = "demo:index"
LOGOUT_REDIRECT_URL = "demo:index"

# django-esi. Offline, the runner overrides these with the fake's URLs and client.
ESI_USER_CONTACT_EMAIL = os.environ.get("ESI_USER_CONTACT_EMAIL", "demo@example.com")
ESI_SSO_CLIENT_ID = os.environ.get("ESI_SSO_CLIENT_ID")
ESI_SSO_CLIENT_SECRET = os.environ.get("ESI_SSO_CLIENT_SECRET")
ESI_SSO_CALLBACK_URL = os.environ.get("ESI_SSO_CALLBACK_URL", "http://127.0.0.1:8000/sso/callback/")
ESI_SPEC_OFFLINE = True

# What the demo shows in its header: "offline" (fake ESI + SSO) or "live".
DEMO_MODE = os.environ.get("DEMO_MODE", "offline")
DEMO_FAKE_URL: str | None = None
DEMO_FAKE_SSO_URL: str | None = None

globals().update(json.loads(os.environ.get("DEMO_SETTINGS", "{}")))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "loggers": {"esi": {"handlers": ["console"], "level": "INFO"}},
}
