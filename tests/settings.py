"""Settings of the project's own test suite.

The default run uses SQLite and the local-memory cache, so a fresh laptop
passes it. ``ESI_TEST_DATABASE=postgres`` and ``ESI_TEST_CACHE=redis`` switch to
the PostgreSQL and Redis that CI runs (127.0.0.1, see ``.ci/run``).
"""

import os
import tempfile
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
SHARED_SPECS = Path(os.environ.get("ESI_SHARED_SPECS", BASE_DIR.parent / "shared" / "esi-specs"))

SECRET_KEY = "tests-only-not-secret"
DEBUG = False
USE_TZ = True
TIME_ZONE = "UTC"
ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "esi",
]

MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]

ROOT_URLCONF = "tests.urls"

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
            ]
        },
    }
]

if os.environ.get("ESI_TEST_DATABASE") == "postgres":
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": os.environ.get("PGDATABASE", "test"),
            "USER": os.environ.get("PGUSER", "postgres"),
            "HOST": os.environ.get("PGHOST", "127.0.0.1"),
            "PORT": os.environ.get("PGPORT", "5432"),
            "TEST": {"NAME": f"test_django_esi_{os.getpid()}"},
        }
    }
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.path.join(tempfile.gettempdir(), "django-esi-tests.sqlite3"),
            # A file (not :memory:) so that threads share it; one per process so
            # that parallel runs do not collide.
            "TEST": {"NAME": os.path.join(tempfile.gettempdir(), f"django-esi-test-{os.getpid()}.sqlite3")},
            "OPTIONS": {"timeout": 20},
        }
    }

if os.environ.get("ESI_TEST_CACHE") == "redis":
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ.get("ESI_TEST_REDIS_URL", "redis://127.0.0.1:6379/1"),
            # One prefix per process, as the test databases: runs sharing Redis stay apart.
            "KEY_PREFIX": f"django-esi-tests-{os.getpid()}",
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
STATIC_URL = "/static/"

# django-esi: tests talk to the fake ESI and fake SSO only.
ESI_SSO_CLIENT_ID = "test-client-id"
ESI_SSO_CLIENT_SECRET = "test-client-secret"
ESI_SSO_CALLBACK_URL = "http://testserver/sso/callback/"
ESI_USER_CONTACT_EMAIL = "tests@example.com"
ESI_SPEC_OFFLINE = True
ESI_SPEC_CACHE_DIR = False

CELERY_TASK_ALWAYS_EAGER = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"null": {"class": "logging.NullHandler"}},
    "root": {"handlers": ["null"], "level": "WARNING"},
}
