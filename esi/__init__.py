"""django-esi: a Django app for the EVE Swagger Interface (ESI)."""

__version__ = "10.1.0"
__title__ = "django-esi"
__url__ = "https://github.com/django-esi/django-esi"

# Before anything imports bravado (and so jsonschema): see esi/_deferred_imports.py.
from esi._deferred_imports import defer_libraries as _defer_libraries  # noqa: E402

_defer_libraries()
