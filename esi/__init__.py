"""django-esi: a Django app for the EVE Swagger Interface (ESI)."""

__version__ = "3.0.0"
__title__ = "django-esi"
__url__ = "https://github.com/django-esi/django-esi"
