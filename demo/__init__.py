"""The django-esi demo site: a small Django project that uses the app as a downstream site would.

``python -m demo`` (what ``make demo`` runs) starts a fake ESI and a fake EVE SSO
on loopback and serves the site on http://127.0.0.1:8000/; ``python -m demo --live``
talks to the real ESI and SSO instead. See ``demo/README.md``.
"""
