"""Every django-esi name the Alliance Auth family imports or patches resolves in this package.

The references come from ``tests/downstream/import_scan_targets.json``, extracted
once from the packages' sdists by ``tests/downstream/import_scan_extract.py``
(the versions and how are in that script; only the references are committed,
not the packages' code). Each ``from esi.x import name``, ``import esi.x``,
``mock.patch("esi.x.y")`` target and dotted task name is resolved here, the
``TYPE_CHECKING`` imports of ``esi.stubs`` included.
"""

from __future__ import annotations

import importlib
import json
import pkgutil
from pathlib import Path
from typing import Any

import pytest

DATA = Path(__file__).parent / "downstream" / "import_scan_targets.json"
SCAN = json.loads(DATA.read_text(encoding="utf-8"))


def _references() -> list[tuple[str, str, str]]:
    found: dict[tuple[str, str], str] = {}
    for source in SCAN["sources"]:
        where = f"{source['name']} {source['version']}"
        for item in source["imports"]:
            target = item["module"] if item["name"] is None else f"{item['module']}:{item['name']}"
            found.setdefault(("import", target), f"{where} {item['file']}:{item['line']}")
        for item in source["patches"]:
            found.setdefault((item["kind"], item["target"]), f"{where} {item['file']}:{item['line']}")
    return [(kind, target, where) for (kind, target), where in sorted(found.items())]


REFERENCES = _references()


def _resolve_import(target: str) -> Any:
    module_name, _, name = target.partition(":")
    module = importlib.import_module(module_name)
    if not name:
        return module
    if hasattr(module, name):
        return getattr(module, name)
    return importlib.import_module(f"{module_name}.{name}")  # ``from esi import clients``


def test_the_scan_covers_the_packages_issue_10_names() -> None:
    names = {source["name"] for source in SCAN["sources"]}
    assert names == {
        "aa_memberaudit",
        "aa_structures",
        "allianceauth",
        "allianceauth_app_utils",
        "django_eveuniverse",
    }
    assert len(REFERENCES) > 40


@pytest.mark.parametrize(("kind", "target", "where"), REFERENCES, ids=[f"{k}:{t}" for k, t, _ in REFERENCES])
def test_a_downstream_reference_resolves(kind: str, target: str, where: str) -> None:
    try:
        found = _resolve_import(target) if kind == "import" else pkgutil.resolve_name(target)
    except (ImportError, AttributeError) as exc:
        pytest.fail(f"{target} ({kind}, used in {where}) does not resolve: {exc}")
    assert found is not None
