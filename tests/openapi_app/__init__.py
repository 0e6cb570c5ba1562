"""A downstream-style app written against django-esi 10.x, as Alliance Auth apps write theirs.

``providers.py`` builds the OpenAPI client at import, ``tasks.py`` has Celery
tasks with the rate-limit decorators, ``views.py`` views with the token
decorators and an async view. ``tests/test_openapi_face_app.py`` runs it
against the fake ESI; nothing in it knows about the fake.
"""

__version__ = "1.0.0"
__title__ = "OpenAPI Test App"
__url__ = "https://example.com/openapi-app"
__esi_compatibility_date__ = "2026-08-18"
