"""Every Python example of the docs runs: the ``code-block:: python`` blocks of docs/*.rst.

The blocks of one page run in order in one namespace, as a reader types them into
one session, against the in-process fake ESI and fake SSO. The namespace starts
with what the prose around the examples takes as given (:func:`given`): a
provider ``esi``, a ``token`` of a ``user``, a ``character_id``, ``path`` for a
file to write, a project's ``BASE_DIR`` and ``INSTALLED_APPS``. A block whose
first line names a file (``# myapp/providers.py``) is also written as that file,
so a later ``from myapp.providers import esi`` imports it. A ``test_*`` function a
block defines is called, with the pytest fixtures it names taken from the
namespace. Examples that are whole files come from tested files instead
(``literalinclude``), see ``test_literal_includes_name_tested_files``.
"""

from __future__ import annotations

import inspect
import re
import sys
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
DIRECTIVE = re.compile(r"^(?P<indent>\s*)\.\. code-block::\s*(?P<language>\S*)\s*$")
FILE_LINE = re.compile(r"^# (?P<path>[\w/]+\.py)$")
#: The scopes the examples' token carries.
SCOPES = [
    "publicData",
    "esi-skills.read_skills.v1",
    "esi-skills.read_skillqueue.v1",
    "esi-assets.read_assets.v1",
    "esi-characters.read_notifications.v1",
    "esi-wallet.read_character_wallet.v1",
    "esi-location.read_location.v1",
]


@dataclass(frozen=True)
class Block:
    """One code block of a page."""

    page: str
    line: int
    language: str
    code: str

    @property
    def file(self) -> str | None:
        """Return the file the block's first line names, if it does."""
        match = FILE_LINE.match(self.code.split("\n", 1)[0])
        return match.group("path") if match else None


def code_blocks(page: Path) -> list[Block]:
    """Return the ``code-block`` directives of an rst page with their dedented code."""
    lines = page.read_text(encoding="utf-8").split("\n")
    blocks = []
    i = 0
    while i < len(lines):
        match = DIRECTIVE.match(lines[i])
        if not match:
            i += 1
            continue
        indent, start = len(match.group("indent")), i + 1
        i += 1
        while i < len(lines) and lines[i].strip().startswith(":"):
            i += 1  # directive options
        body = []
        while i < len(lines) and (not lines[i].strip() or len(lines[i]) - len(lines[i].lstrip()) > indent):
            body.append(lines[i])
            i += 1
        code = textwrap.dedent("\n".join(body)).strip("\n")
        blocks.append(Block(page.name, start, match.group("language"), code))
    return blocks


def python_pages() -> list[Path]:
    """Return the pages that have Python examples."""
    return [p for p in sorted(DOCS.glob("*.rst")) if any(b.language == "python" for b in code_blocks(p))]


@pytest.fixture
def given(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, django_user_model: Any, db: None
) -> Iterator[dict[str, Any]]:
    """Return the namespace the examples start from, the fake ESI and SSO answering."""
    from esi.clients import EsiClientProvider, esi_client_factory
    from esi.models import Token
    from esi_testing import FakeESI
    from esi_testing.factories import TokenFactory, use_fake

    for name in [m for m in sys.modules if m == "myapp" or m.startswith("myapp.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.syspath_prepend(str(tmp_path / "project"))
    with FakeESI() as fake, fake.override_settings(), use_fake(fake):
        user = django_user_model.objects.create(username="reader")
        token = TokenFactory(user=user, character_id=90000001, character_name="Ada Quickfoot", scopes=SCOPES)
        yield {
            "__name__": "docs_example",
            "esi": EsiClientProvider(),
            "esi_client": EsiClientProvider(),  # the pytest fixture of that name
            "EsiClientProvider": EsiClientProvider,
            "esi_client_factory": esi_client_factory,
            "Token": Token,
            "token": token,
            "user": user,
            "character_id": token.character_id,
            "char_id": token.character_id,
            "scopes": ["esi-assets.read_assets.v1"],
            "path": tmp_path / "small.json",
            "BASE_DIR": tmp_path / "project",
            "INSTALLED_APPS": ["django.contrib.auth", "django.contrib.contenttypes"],
            "notify": lambda user, text: None,
            "project": tmp_path / "project",
        }


def run_page(page: Path, namespace: dict[str, Any]) -> list[str]:
    """Run the page's Python blocks in order in ``namespace``; return the tests they defined and ran."""
    ran = []
    for block in code_blocks(page):
        if block.language != "python":
            continue
        if block.file:
            target = namespace["project"] / block.file
            target.parent.mkdir(parents=True, exist_ok=True)
            for parent in target.relative_to(namespace["project"]).parents:
                if parent != Path("."):
                    (namespace["project"] / parent / "__init__.py").touch()
            target.write_text(block.code + "\n", encoding="utf-8")
        defined = set(namespace)
        try:
            exec(compile(block.code, f"{page.name}:{block.line}", "exec"), namespace)
        except Exception as exc:
            raise AssertionError(
                f"docs/{page.name}, the block at line {block.line} fails: {type(exc).__name__}: {exc}\n"
                f"{block.code}"
            ) from exc
        for name in sorted(set(namespace) - defined):
            test = namespace[name]
            if name.startswith("test_") and inspect.isfunction(test):
                test(**{p: namespace[p] for p in inspect.signature(test).parameters})
                ran.append(name)
    return ran


@pytest.mark.filterwarnings("ignore::spec_snapshots.SpecDerivedWarning")  # usage.rst derives v1 and v4
@pytest.mark.parametrize("page", python_pages(), ids=lambda p: p.name)
def test_the_python_examples_of_the_page_run(page: Path, given: dict[str, Any]) -> None:
    run_page(page, given)


def test_the_examples_are_found_and_tests_in_them_run(given: dict[str, Any]) -> None:
    pages = {p.name for p in python_pages()}
    assert {"usage.rst", "quickstart.rst", "sso.rst", "testing.rst", "fake_esi.rst"} <= pages
    assert sum(len(code_blocks(DOCS / p)) for p in pages) >= 30
    assert run_page(DOCS / "testing.rst", given) == ["test_status"]


def test_literal_includes_name_tested_files() -> None:
    # Whole example files are included from the test suite, so they run as they are printed.
    includes = re.findall(
        r"^\s*\.\. literalinclude:: (\S+)",
        "\n".join(p.read_text(encoding="utf-8") for p in DOCS.glob("*.rst")),
        re.M,
    )
    assert includes
    for include in includes:
        target = (DOCS / include).resolve()
        assert target.is_file(), include
        assert target.parent == ROOT / "tests" and target.name.startswith("test_"), include
