"""Extract what downstream packages import from django-esi (the import scan's test data).

Run once by hand (it downloads from the package registry; tests never do)::

    python tests/downstream/import_scan_extract.py > tests/downstream/import_scan_targets.json

For each package below, ``pip download --no-deps --no-binary :all:`` fetches its
sdist; every ``.py`` file in it is parsed with :mod:`ast` (nothing is imported
or run) and two kinds of references to django-esi are kept:

* ``from esi... import name`` and ``import esi...`` statements (flagged
  ``type_checking`` when they sit under ``if TYPE_CHECKING:``);
* string targets of ``patch("esi.x.y")`` / ``mock.patch("esi.x.y")`` calls
  and decorators;
* other strings that name an object of django-esi by its dotted path, three
  parts or more (``"esi.tasks.cleanup_token_subset"`` in a Celery beat schedule).

Only those references (file, line, module, name) are written, never the
packages' code. ``tests/test_import_scan.py`` resolves each one.
"""

from __future__ import annotations

import ast
import hashlib
import json
import re
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path
from typing import Any

#: The sdists scanned: the Alliance Auth family in the versions issue 10 names.
PACKAGES = [
    "allianceauth==5.5.0",
    "django-eveuniverse==2.2.0",
    "aa-memberaudit==5.3.0",
    "aa-structures==4.1.0",
    "allianceauth-app-utils==1.33.2",
]


_DOTTED = re.compile(r"^esi(\.[A-Za-z_]\w*){2,}$")


def _is_esi(module: str | None) -> bool:
    return module is not None and (module == "esi" or module.startswith("esi."))


def _type_checking_lines(tree: ast.AST) -> set[int]:
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If):
            test = node.test
            name = test.attr if isinstance(test, ast.Attribute) else getattr(test, "id", None)
            if name == "TYPE_CHECKING":
                for child in node.body:
                    for sub in ast.walk(child):
                        if hasattr(sub, "lineno"):
                            lines.add(sub.lineno)
    return lines


def _patch_target(node: ast.Call) -> str | None:
    func = node.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
    if name != "patch" or not node.args:
        return None
    first = node.args[0]
    if isinstance(first, ast.Constant) and isinstance(first.value, str) and _is_esi(first.value):
        return first.value
    return None


def scan_file(path: Path, rel: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Return the esi imports and patch targets of one file."""
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=rel)
    except (SyntaxError, UnicodeDecodeError):
        return [], []
    guarded = _type_checking_lines(tree)
    imports: list[dict[str, Any]] = []
    patches: list[dict[str, Any]] = []
    patched: set[int] = set()
    strings: list[ast.Constant] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and _DOTTED.match(node.value):
            strings.append(node)
        if isinstance(node, ast.ImportFrom) and node.level == 0 and _is_esi(node.module):
            for alias in node.names:
                imports.append(
                    {
                        "file": rel,
                        "line": node.lineno,
                        "module": node.module,
                        "name": alias.name,
                        "type_checking": node.lineno in guarded,
                    }
                )
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if _is_esi(alias.name):
                    imports.append(
                        {
                            "file": rel,
                            "line": node.lineno,
                            "module": alias.name,
                            "name": None,
                            "type_checking": node.lineno in guarded,
                        }
                    )
        elif isinstance(node, ast.Call):
            target = _patch_target(node)
            if target is not None:
                patches.append({"file": rel, "line": node.lineno, "target": target, "kind": "patch"})
                patched.add(id(node.args[0]))
    for node in strings:
        if id(node) not in patched:
            patches.append({"file": rel, "line": node.lineno, "target": node.value, "kind": "dotted"})
    return imports, patches


def scan_sdist(archive: Path) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Return the esi imports and patch targets of every ``.py`` file in an sdist."""
    imports: list[dict[str, Any]] = []
    patches: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp, tarfile.open(archive) as tar:
        tar.extractall(tmp, filter="data")
        root = Path(tmp)
        for path in sorted(root.rglob("*.py")):
            rel = "/".join(path.relative_to(root).parts[1:])  # drop the <name>-<version>/ prefix
            found_imports, found_patches = scan_file(path, rel)
            imports += found_imports
            patches += found_patches
    return imports, patches


def main() -> int:
    sources = []
    with tempfile.TemporaryDirectory() as dest:
        for requirement in PACKAGES:
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "pip",
                    "download",
                    "-q",
                    "--no-deps",
                    "--no-binary",
                    ":all:",
                    "-d",
                    dest,
                    requirement,
                ],
                check=True,
            )
        for archive in sorted(Path(dest).glob("*.tar.gz")):
            imports, patches = scan_sdist(archive)
            name, _, version = archive.name.removesuffix(".tar.gz").rpartition("-")
            sources.append(
                {
                    "sdist": archive.name,
                    "name": name,
                    "version": version,
                    "sha256": hashlib.sha256(archive.read_bytes()).hexdigest(),
                    "imports": imports,
                    "patches": patches,
                }
            )
    json.dump(
        {"made_by": "tests/downstream/import_scan_extract.py", "sources": sources}, sys.stdout, indent=1
    )
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
