"""The docs as a reader gets them: built, with no placeholder and no markup left raw.

The HTML is built once (``sphinx-build -W``, as ``make docs``) into a temporary
directory. tests/test_docs_examples.py runs the examples.
"""

from __future__ import annotations

import html
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
#: Text that marks a page or section nobody wrote yet.
PLACEHOLDERS = re.compile(
    r"Written with the issue|Filled by the|\bTODO\b|\bTBD\b|to be written|coming soon", re.I
)


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Build the HTML docs; return each page's text as a reader sees it (code blocks left out)."""
    out = tmp_path_factory.mktemp("docs")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "sphinx",
            "-W",
            "--keep-going",
            "-q",
            "-b",
            "html",
            "-d",
            str(out / "doctrees"),
        ]
        + [str(DOCS), str(out / "html")],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])},
    )
    assert done.returncode == 0, done.stdout + done.stderr
    texts = {}
    for page in sorted((out / "html").glob("*.html")):
        if page.name in ("genindex.html", "search.html", "py-modindex.html"):
            continue
        raw = page.read_text(encoding="utf-8")
        raw = re.sub(r"<(pre|script|style)\b.*?</\1>", " ", raw, flags=re.S)  # code is shown as typed
        texts[page.name] = html.unescape(re.sub(r"<[^>]+>", " ", raw))
    return texts


def rendered(pages: dict[str, str], pattern: re.Pattern[str]) -> list[str]:
    """Return ``page: context`` for each match of ``pattern`` in the rendered text."""
    return [
        f"{name}: ...{text[max(m.start() - 40, 0) : m.end() + 40].strip()}..."
        for name, text in pages.items()
        for m in pattern.finditer(text)
    ]


def test_every_page_of_the_toctree_is_built(pages: dict[str, str]) -> None:
    sources = {p.stem for p in DOCS.glob("*.rst")}
    assert {f"{s}.html" for s in sources} <= set(pages)


def test_no_page_shows_placeholder_text(pages: dict[str, str]) -> None:
    assert not rendered(pages, PLACEHOLDERS)


def test_no_rst_source_has_placeholder_text_outside_comments() -> None:
    found = [
        f"{page.name}:{number}: {line.strip()}"
        for page in sorted(DOCS.glob("*.rst"))
        for number, line in enumerate(page.read_text(encoding="utf-8").splitlines(), 1)
        if PLACEHOLDERS.search(line) and not line.lstrip().startswith("..")
    ]
    assert not found


def test_no_page_shows_raw_backticks(pages: dict[str, str]) -> None:
    # ``v1``..``v6``: an inline literal right after ".." is no markup, and its backticks show.
    assert not rendered(pages, re.compile(r"`"))


def test_the_checks_see_what_they_look_for(pages: dict[str, str]) -> None:
    # The usage page shows inline literals as text and code blocks not at all.
    usage = pages["usage.html"]
    assert "app_info_text" in usage and "from myapp.providers import esi" not in usage
    assert rendered({"x.html": "see ``v1``..``v6``"}, re.compile(r"`"))
    assert rendered({"x.html": "(Written with the issue that builds it.)"}, PLACEHOLDERS)


def test_the_benchmarks_page_quotes_bench_readme() -> None:
    page = (DOCS / "benchmarks.rst").read_text(encoding="utf-8")
    readme = (ROOT / "bench" / "README.md").read_text(encoding="utf-8")
    figures = re.findall(r"\*\*([\d.]+(?:x| to [\d.]+)?)\*\*", page)
    assert len(figures) >= 6
    for figure in figures:
        assert figure.replace(" to ", " .. ") in readme or figure in readme, figure
    for script in sorted(p.name for p in (ROOT / "bench").glob("[!_]*.py")):
        assert f"``{script}``" in page, f"docs/benchmarks.rst does not describe bench/{script}"


def test_the_manage_py_test_example_passes_under_djangos_runner(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "django", "test", "tests.test_docs_unittest_example", "-v", "2"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.settings",
            "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
        },
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert re.search(r"^Ran 2 tests in ", done.stderr, re.M) and "\nOK" in done.stderr, done.stderr


def test_without_django_settings_pytest_django_says_so(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    # What docs/testing.rst says a project without DJANGO_SETTINGS_MODULE meets.
    monkeypatch.delenv("DJANGO_SETTINGS_MODULE", raising=False)
    pytester.makeini("[pytest]\n")
    pytester.makepyfile(
        test_x="def test_db(db):\n    pass\n\n"
        "def test_client(esi_client):\n    esi_client.client.Status.get_status().result()\n"
    )
    result = pytester.runpytest_subprocess("-rs", "-p", "no:cacheprovider")
    result.assert_outcomes(skipped=1, errors=1)
    text = result.stdout.str()
    assert "no Django settings" in text
    assert "Requested setting INSTALLED_APPS, but settings are not configured" in text


def test_the_manage_py_test_example_leaves_the_settings_as_it_found_them(transactional_db: None) -> None:
    # @override_settings on a FakeESITestCase: Django undoes its override in a class cleanup,
    # after tearDownClass; the fake's override, undone in tearDownClass, was then restored
    # for good, and every later test talked to a stopped fake.
    import unittest

    from django.conf import settings

    from tests import test_docs_unittest_example

    before = {
        name: getattr(settings, name, None) for name in ("ESI_API_URL", "ESI_SSO_TOKEN_URL", "ROOT_URLCONF")
    }
    suite = unittest.defaultTestLoader.loadTestsFromModule(test_docs_unittest_example)
    result = unittest.TextTestRunner(stream=open(os.devnull, "w"), verbosity=0).run(suite)  # noqa: SIM115
    assert result.wasSuccessful(), result.errors + result.failures
    after = {name: getattr(settings, name, None) for name in before}
    assert after == before
