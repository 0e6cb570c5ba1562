"""Sphinx configuration of the django-esi docs."""

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")

import django  # noqa: E402

django.setup()

import esi  # noqa: E402

project = "django-esi"
author = "the django-esi developers"
copyright = "2026, the django-esi developers"
release = esi.__version__
version = ".".join(release.split(".")[:2])

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.intersphinx",
    "sphinx.ext.viewcode",
    "settings_reference",
]
autodoc_typehints = "description"
autodoc_member_order = "bysource"
intersphinx_mapping = {}
nitpicky = False
exclude_patterns = ["_build"]
html_theme = "alabaster"
html_static_path: list[str] = []


def _drop_field_aliases(app, what, name, obj, options, lines):  # type: ignore[no-untyped-def]
    """Drop "Alias for field number N", the docstring of every named tuple's field: its type says more."""
    if what == "attribute" and len(lines) == 1 and lines[0].startswith("Alias for field number"):
        lines.clear()


def setup(app):  # type: ignore[no-untyped-def]
    """Connect the docstring hooks."""
    app.connect("autodoc-process-docstring", _drop_field_aliases)
