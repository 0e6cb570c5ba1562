"""System checks of django-esi (ids ``esi.E0xx`` for errors, ``esi.W0xx`` for warnings)."""

from __future__ import annotations
