"""Walk the demo site in headless Chromium: log in, select a token, the character page, log out.

The test starts ``python -m demo`` on ephemeral ports (fake ESI, fake SSO and the
site), drives Debian's ``chromium`` through Playwright (no browser download:
``executable_path`` points at the system's), and saves a screenshot of each page
to ``build/screenshots/`` (untracked; or ``$DEMO_SCREENSHOTS``). ``make screenshots``
copies them to ``docs/screenshots/``, which README and the docs show: a run on a
machine without the fonts of a page never replaces a good tracked image.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from demo.process import SCREENSHOTS as BUILD_SCREENSHOTS
from demo.process import DemoProcess
from tests.conftest import IN_CI

pytestmark = pytest.mark.browser

#: Where the screenshots go: a build folder, never the tracked docs/screenshots/.
SCREENSHOTS = Path(os.environ.get("DEMO_SCREENSHOTS", BUILD_SCREENSHOTS))
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = {"width": 1200, "height": 800}


def _require_browser() -> None:
    """Skip on a laptop, fail in CI, when Chromium or Playwright is missing."""
    problems = []
    if not (Path(CHROMIUM).is_file() and os.access(CHROMIUM, os.X_OK)) and not shutil.which(CHROMIUM):
        problems.append(f"no Chromium at {CHROMIUM} (Debian: apt-get install -y chromium)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        problems.append("the playwright package is not installed (pip install -e '.[dev]')")
    if problems:
        message = "; ".join(problems)
        if IN_CI:
            pytest.fail(f"CI must run the browser test: {message}")
        pytest.skip(message)


@pytest.fixture(scope="module")
def demo_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Start ``python -m demo --port 0`` and return the URL it prints."""
    _require_browser()
    demo = DemoProcess(tmp_path_factory.mktemp("demo") / "db.sqlite3")
    try:
        demo.start()
    except RuntimeError as exc:
        pytest.fail(str(exc))
    try:
        yield demo.url
    finally:
        demo.stop()


@pytest.fixture(scope="module")
def page(demo_url: str) -> Iterator[object]:
    """Return a Chromium page (system Chromium, no download)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport=VIEWPORT, base_url=demo_url)
        yield context.new_page()
        context.close()
        browser.close()


def shoot(page, name: str) -> Path:
    """Save a full-page screenshot of the current page as ``<SCREENSHOTS>/<name>.png``."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def test_login_select_token_character_logout(page, demo_url: str) -> None:
    from playwright.sync_api import expect

    page.goto("/")
    expect(page.get_by_role("heading", level=1)).to_have_text("django-esi at work")
    shoot(page, "01-overview")

    # Log in with EVE Online: through the fake SSO's consent page and back.
    page.get_by_role("link", name="Log in with EVE Online").first.click()
    page.wait_for_load_state()
    assert not page.url.startswith(demo_url), f"expected the fake SSO's consent page, got {page.url}"
    shoot(page, "02-sso-consent")
    page.locator("form [type=submit]").first.click()
    page.wait_for_url(f"{demo_url}/**")
    user = page.get_by_test_id("user")
    expect(user).to_be_visible()
    character_name = user.inner_text()
    assert character_name
    expect(page.locator(".messages")).to_contain_text(f"Logged in as {character_name}")
    shoot(page, "03-logged-in")

    # The character page wants a token with the notifications scope: the login token has it.
    page.get_by_role("link", name="Character", exact=True).click()
    page.wait_for_url(f"{demo_url}/character/**")
    expect(page.get_by_text(character_name).first).to_be_visible()
    shoot(page, "04-select-token")
    page.locator("form:has(input[name=_token]) [type=submit]").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(character_name)
    expect(page.get_by_role("heading", name="Public information")).to_be_visible()
    expect(page.get_by_role("heading", name="Notifications")).to_be_visible()
    expect(page.locator(".notice")).to_have_count(0)
    assert page.locator("table tbody tr").count() >= 1
    shoot(page, "05-character")

    # Log out.
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url(f"{demo_url}/")
    expect(page.get_by_role("link", name="Log in with EVE Online").first).to_be_visible()
    expect(page.get_by_test_id("user")).to_have_count(0)
    shoot(page, "06-logged-out")


def test_single_use_token(page, demo_url: str) -> None:
    from playwright.sync_api import expect

    page.goto("/single-use/")
    page.wait_for_load_state()
    assert not page.url.startswith(demo_url), f"expected the fake SSO's consent page, got {page.url}"
    page.locator("form [type=submit]").first.click()
    page.wait_for_url(f"{demo_url}/single-use/**")
    expect(page.get_by_role("heading", level=1)).to_have_text("Single-use token")
    expect(page.locator("dl.facts")).to_contain_text("Bound to a user")
    expect(page.locator(".notice")).to_have_count(0)
    shoot(page, "13-single-use")


@pytest.mark.parametrize(
    ("path", "name", "heading"),
    [
        ("/market/", "07-market", "Market orders"),
        ("/type/", "08-type", "Type 587 in every language"),
        ("/status/", "09-status", "Server status"),
        ("/spec/", "10-spec", "Spec snapshots"),
        ("/journal/", "14-journal", "What the fake ESI saw"),
    ],
)
def test_public_pages(page, path: str, name: str, heading: str) -> None:
    from playwright.sync_api import expect

    page.goto(path)
    expect(page.get_by_role("heading", level=1)).to_have_text(heading)
    expect(page.locator(".notice")).to_have_count(0)
    shoot(page, name)


def test_switch_spec_to_a_compatibility_date(page) -> None:
    from playwright.sync_api import expect

    page.goto("/spec/")
    date = page.locator("select#spec option[value^='date:']").first.get_attribute("value")
    page.select_option("select#spec", date)
    page.get_by_role("button", name="Switch").click()
    label = f"compatibility date {date.split(':', 1)[1]}"
    expect(page.locator(".messages")).to_contain_text(label)
    expect(page.locator("header .meta")).to_contain_text(label)
    shoot(page, "11-spec-compatibility-date")
    page.goto("/type/")
    expect(page.locator(".notice")).to_have_count(0)
    expect(page.locator("td[lang=es]").first).to_be_visible()  # the OpenAPI era adds Spanish
    shoot(page, "12-type-compatibility-date")
    page.goto("/spec/")
    page.select_option("select#spec", "route:latest")
    page.get_by_role("button", name="Switch").click()
    expect(page.locator("header .meta")).to_contain_text("route latest")
