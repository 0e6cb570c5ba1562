"""The demo site's pages through Django's test client, against the fake ESI and SSO.

The SSO hop is taken as a browser takes it: the authorize URL is requested (the
in-process fake answers it), the consent form is posted, and the callback it
redirects to is handed back to the test client.
"""

from __future__ import annotations

import html
import re
import stat
import time
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest
import requests
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client, override_settings
from django.urls import reverse
from django.utils.html import escape

import demo.settings as demo_settings
from demo import views
from demo.__main__ import live_settings, main, parse_args, serving_settings
from demo.datadir import data_dir, read_secret_key, secret_key_file
from demo.process import DemoProcess
from esi.models import Token
from esi_testing import FakeESI

DEMO_SETTINGS = {
    name: getattr(demo_settings, name)
    for name in ("INSTALLED_APPS", "MIDDLEWARE", "ROOT_URLCONF", "TEMPLATES", "LOGIN_URL", "DEMO_MODE")
}


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeESI]:
    """Return the fake ESI + SSO (in-process by default), whose settings point django-esi at it."""
    with FakeESI() as fake_esi:  # in-process, or a loopback server under $ESI_FAKE_MODE=server
        yield fake_esi


@pytest.fixture
def site(fake: FakeESI, db: None) -> Iterator[Client]:
    """Return a test client of the demo site."""
    overrides = {
        **fake.settings(),
        **DEMO_SETTINGS,
        "ESI_SSO_CALLBACK_URL": "http://testserver/sso/callback/",
    }
    with override_settings(**overrides):
        yield Client()


class _Form(HTMLParser):
    """The first form of a page: its action and the values a browser would submit."""

    def __init__(self) -> None:
        super().__init__()
        self.action: str | None = None
        self.fields: dict[str, str] = {}
        self._done = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if self._done:
            return
        if tag == "form" and self.action is None:
            self.action = a.get("action", "")
        elif tag in ("input", "button") and self.action is not None and a.get("name"):
            kind = a.get("type", "text")
            if kind in ("radio", "checkbox") and "checked" not in a and a["name"] in self.fields:
                return
            self.fields[a["name"]] = a.get("value", "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "form" and self.action is not None:
            self._done = True


def through_sso(site: Client, response: Any) -> Any:
    """Follow a redirect to the fake SSO, consent, and return the site's answer to the callback."""
    assert response.status_code == 302, response
    sso = requests.get(response["Location"], allow_redirects=False, timeout=10)
    if sso.status_code == 200:  # the consent page: submit it as the browser does
        form = _Form()
        form.feed(sso.text)
        assert form.action is not None, "the fake SSO's consent page has no form"
        sso = requests.post(
            urljoin(sso.url, form.action), data=form.fields, allow_redirects=False, timeout=10
        )
    assert sso.status_code in (302, 303), f"fake SSO answered {sso.status_code}: {sso.text[:300]}"
    callback = urlsplit(sso.headers["Location"])
    assert callback.path == "/sso/callback/"
    back = site.get(f"{callback.path}?{callback.query}")
    assert back.status_code == 302, back
    return site.get(back["Location"])


def log_in(site: Client) -> Any:
    """Log in through /login/ and the fake SSO; return the final response."""
    return through_sso(site, site.get("/login/"))


def test_index_links_every_page(site: Client) -> None:
    response = site.get("/")
    assert response.status_code == 200
    for name in ("login", "character", "market", "type", "single_use", "status", "spec"):
        assert f'href="{reverse("demo:" + name)}"' in response.content.decode()
    assert "offline" in response.content.decode()


def test_login_makes_the_character_the_user(site: Client) -> None:
    response = log_in(site)
    assert response.status_code == 302 and response["Location"] == "/"
    token = Token.objects.get()
    user = get_user_model().objects.get()
    assert token.user == user
    assert user.first_name == token.character_name
    assert set(views.LOGIN_SCOPES) <= set(token.scopes.values_list("name", flat=True))
    page = site.get("/")
    assert page.context["user"] == user
    assert f"Logged in as {token.character_name}" in page.content.decode()


def log_in_as(site: Client, fake: FakeESI, character_id: int) -> Any:
    """Log in through the fake SSO as this character; return the user the site logged in."""
    fake.sso.set_consent(character_id=character_id)
    log_in(site)
    return get_user_model().objects.get(pk=site.session["_auth_user_id"])


@pytest.fixture
def character(fake: FakeESI) -> Iterator[int]:
    """Return the id of a character only this test logs in as (the fake forgets it afterwards)."""
    fake.sso.add_character(95000042, "Mira Vantor")
    yield 95000042
    fake.reset()


def test_a_renamed_character_keeps_its_user(site: Client, fake: FakeESI, character: int) -> None:
    first = log_in_as(site, fake, character)
    site.post("/logout/")
    fake.sso.add_character(character, "Mira Renamed", owner_hash=fake.sso.character(character).owner_hash)
    again = log_in_as(site, fake, character)
    assert again.pk == first.pk
    assert again.first_name == "Mira Renamed"


def test_a_sold_character_gets_a_new_user(site: Client, fake: FakeESI, character: int) -> None:
    seller = log_in_as(site, fake, character)
    site.post("/logout/")
    fake.sso.transfer_character(character)  # a new owner hash, the same id and name
    buyer = log_in_as(site, fake, character)
    assert buyer.pk != seller.pk
    assert (
        Token.objects.get(user=seller).character_owner_hash
        != Token.objects.get(user=buyer).character_owner_hash
    )


def test_a_user_named_like_the_character_is_not_taken_over(
    site: Client, fake: FakeESI, character: int
) -> None:
    # Logging in by name handed a character's login to whoever held a user of that name.
    squatter = get_user_model().objects.create(username="Mira Vantor")
    user = log_in_as(site, fake, character)
    assert user.pk != squatter.pk
    assert not Token.objects.filter(user=squatter).exists()


def test_login_next_must_stay_on_the_site(site: Client) -> None:
    response = through_sso(site, site.get("/login/?next=https://evil.example/"))
    assert response["Location"] == "/"


def test_character_page_needs_a_login(site: Client) -> None:
    response = site.get("/character/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=/character/")


def test_character_page_selects_a_token_then_shows_notifications(site: Client) -> None:
    log_in(site)
    token = Token.objects.get()
    choose = site.get("/character/")
    assert choose.status_code == 200
    assert "esi/select_token.html" in [t.name for t in choose.templates]
    assert token.character_name in choose.content.decode()

    page = site.post("/character/", {"_token": token.pk})
    assert page.status_code == 200
    public, notifications = page.context["public"], page.context["notifications"]
    assert public.ok, public.error
    assert public.data["name"] == token.character_name
    assert page.context["corporation"].ok
    assert notifications.ok, notifications.error
    assert notifications.data, "the fake's data pack has notifications for the character"
    stamps = [n["timestamp"] for n in notifications.data]
    assert stamps == sorted(stamps, reverse=True)
    assert str(notifications.data[0]["notification_id"]) not in ("", "None")


def test_another_users_token_is_refused(site: Client) -> None:
    log_in(site)
    token = Token.objects.get()
    other = get_user_model().objects.create(username="someone else")
    Token.objects.filter(pk=token.pk).update(user=other)
    page = site.post("/character/", {"_token": token.pk})
    # Not this user's token: no character page; SSO instead, as no token of theirs matches.
    assert page.status_code == 302
    assert "/v2/oauth/authorize" in page["Location"]


def test_market_fetches_every_page(site: Client) -> None:
    page = site.get("/market/")
    assert page.status_code == 200
    orders, first = page.context["orders"], page.context["first_page"]
    assert orders.ok, orders.error
    assert first.ok, first.error
    pages = int(page.context["pages"])
    assert pages >= 2, "the fake's market listing spans several pages"
    assert len(first.data) < len(orders.data)
    assert orders.data[: len(first.data)] == first.data
    assert f'data-testid="pages">{pages}<' in page.content.decode()


def test_market_refuses_a_bad_region(site: Client) -> None:
    page = site.get("/market/?region_id=abc")
    assert page.status_code == 200
    assert "region_id must be a whole number" in page.content.decode()
    assert page.context["region_id"] == views.DEFAULT_REGION_ID


def test_type_page_shows_every_language(site: Client) -> None:
    page = site.get("/type/")
    localized = page.context["localized"]
    assert localized.ok, localized.error
    languages = [row["language"] for row in page.context["rows"]]
    assert len(languages) >= 7 and "de" in languages and "ja" in languages
    names = {row["name"] for row in page.context["rows"]}
    assert len(names) > 1, "names differ between languages"


def test_single_use_token_belongs_to_no_user(site: Client) -> None:
    response = through_sso(site, site.get("/single-use/"))
    assert response.status_code == 200
    token = response.context["token"]
    assert token.user is None
    text = response.content.decode()
    assert "belongs to no user" in text and "<dt>Bound to a user</dt><dd>no</dd>" in text
    assert views.SKILLS_SCOPE in token.scopes.values_list("name", flat=True)
    skills = response.context["skills"]
    assert skills.ok, skills.error
    assert skills.data["total_sp"] >= 0


def test_a_logged_in_users_single_use_token_is_theirs_and_the_page_says_so(site: Client) -> None:
    log_in(site)
    user = get_user_model().objects.get()
    response = through_sso(site, site.get("/single-use/"))
    token = response.context["token"]
    assert token.user == user
    text = response.content.decode()
    # It said "binds it to no user" above "Bound to a user: yes".
    assert "no user" not in text
    assert "belongs to you" in text and f"<dd>yes: {user.first_name}</dd>" in text


def _images(text: str) -> list[str]:
    return re.findall(r'<img [^>]*src="([^"]+)"', text)


def test_the_selection_page_has_a_way_back_and_portraits_from_the_setting(site: Client) -> None:
    log_in(site)
    token = Token.objects.get()
    choose = site.get("/character/", HTTP_REFERER="http://testserver/market/")
    text = choose.content.decode()
    assert re.search(r'<a href="http://testserver/market/">Back</a>', text)
    assert _images(text) == [
        f"{settings.ESI_IMAGE_SERVER_URL}/characters/{token.character_id}/portrait?size=64"
    ]
    portrait = requests.get(_images(text)[0], timeout=10)  # the fake serves it (in-process or server)
    assert portrait.status_code == 200 and portrait.headers["Content-Type"] == "image/png"
    foreign = site.get("/character/", HTTP_REFERER="https://evil.example/").content.decode()
    assert '<a href="/">Back</a>' in foreign
    with override_settings(ESI_IMAGE_SERVER_URL="http://images.test/"):
        assert _images(site.get("/character/").content.decode())[0].startswith(
            "http://images.test/characters/"
        )


def test_the_character_and_type_pages_show_images_from_the_image_server(site: Client) -> None:
    log_in(site)
    token = Token.objects.get()
    page = site.post("/character/", {"_token": token.pk}).content.decode()
    assert f"{settings.ESI_IMAGE_SERVER_URL}/characters/{token.character_id}/portrait?size=64" in _images(
        page
    )
    assert f"{settings.ESI_IMAGE_SERVER_URL}/types/587/icon?size=64" in _images(
        site.get("/type/").content.decode()
    )


def test_status_shows_players_and_caching_headers(site: Client) -> None:
    page = site.get("/status/")
    status = page.context["status"]
    assert status.ok, status.error
    assert isinstance(status.data["players"], int)
    headers = dict(page.context["headers"])
    assert "Expires" in headers


def test_spec_page_lists_snapshots_and_switches(site: Client) -> None:
    import spec_snapshots

    page = site.get("/spec/")
    assert page.status_code == 200
    text = page.content.decode()
    for snapshot in spec_snapshots.list_snapshots():
        assert snapshot.label in text
    values = [c.value for c in page.context["choices"]]
    assert {"route:latest", "route:legacy", "route:v4"} <= set(values)
    assert any(v.startswith("date:") for v in values)
    assert page.context["summary"]["operations"] > 100

    date = next(v for v in values if v.startswith("date:"))
    switched = site.post("/spec/", {"spec": date}, follow=True)
    assert switched.context["demo_spec"].compatibility_date == date.split(":", 1)[1]
    status = site.get("/status/").context["status"]
    assert status.ok, status.error


def test_spec_switch_refuses_an_unknown_choice(site: Client) -> None:
    page = site.post("/spec/", {"spec": "route:nonsense"}, follow=True)
    assert "unknown spec choice" in page.content.decode()
    assert page.context["demo_spec"] == views.SpecChoice()


def test_v4_derived_offline_says_what_it_lacks(site: Client) -> None:
    # Offline with only the bundled `latest`, v4 is derived from it: the spec page says so,
    # and a page whose resource v4 lacks names it instead of failing.
    latest = site.get("/spec/").context["summary"]["operations"]
    site.post("/spec/", {"spec": "route:v4"})
    spec = site.get("/spec/")
    summary = spec.context["summary"]
    assert 0 < summary["operations"] < latest
    assert any("derived" in w and "v4" in w for w in summary["warnings"])
    assert escape(summary["warnings"][0]) in spec.content.decode()  # shown on the page
    resources = {name for name, _ in summary["resources"]}
    assert "Market" not in resources
    orders = site.get("/market/").context["orders"]
    assert not orders.ok
    assert "AttributeError" in orders.error and "Market" in orders.error and "v4" in orders.error


def test_runner_options() -> None:
    args = parse_args(["--port", "0", "--db", "/tmp/x.sqlite3"])
    assert (args.host, args.port, args.live, args.db) == ("127.0.0.1", 0, False, "/tmp/x.sqlite3")
    assert not args.allow_remote


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.0.2.10", "example.org"])
def test_runner_refuses_a_host_beyond_loopback_unless_asked(
    host: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["--host", host, "--port", "0"])
    assert "--allow-remote" in str(exc.value) and host in str(exc.value)


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1", "127.0.0.2"])
def test_loopback_hosts_need_no_flag(host: str) -> None:
    assert serving_settings(parse_args(["--host", host]), live=False)["DEBUG"] is True


def test_allow_remote_warns_and_turns_debug_off(capsys: pytest.CaptureFixture[str]) -> None:
    args = parse_args(["--host", "0.0.0.0", "--allow-remote"])
    settings = serving_settings(args, live=False)
    assert settings["DEBUG"] is False
    assert "warning" in capsys.readouterr().err.lower()
    named = serving_settings(parse_args(["--host", "192.0.2.10", "--allow-remote"]), live=False)
    assert "192.0.2.10" in named["ALLOWED_HOSTS"]


def test_live_runs_without_debug() -> None:
    assert serving_settings(parse_args([]), live=True)["DEBUG"] is False


def test_secret_key_is_generated_once_in_the_data_dir_and_private(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    path = secret_key_file()
    assert path == tmp_path / "xdg" / "django-esi-demo" / "secret_key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    key = read_secret_key(path)
    assert len(key) >= 50 and key != "demo-only-not-secret"
    assert secret_key_file() == path and read_secret_key(path) == key  # kept, not regenerated
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "other"))
    assert read_secret_key(secret_key_file()) != key


def test_a_secret_key_others_can_read_is_refused(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    path = secret_key_file()
    path.chmod(0o644)
    with pytest.raises(SystemExit) as exc:
        secret_key_file()
    assert str(path) in str(exc.value) and "chmod 600" in str(exc.value)


def test_data_dir_defaults_to_local_share(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert data_dir() == tmp_path / ".local" / "share" / "django-esi-demo"


def test_live_needs_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("ESI_SSO_CLIENT_ID", "ESI_SSO_CLIENT_SECRET", "ESI_SSO_CALLBACK_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ESI_SSO_CLIENT_ID", "abc")
    with pytest.raises(SystemExit) as exc:
        live_settings("http://127.0.0.1:8000")
    assert "ESI_SSO_CLIENT_SECRET, ESI_SSO_CALLBACK_URL" in str(exc.value)
    assert "http://127.0.0.1:8000/sso/callback/" in str(exc.value)


def test_live_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ESI_SSO_CLIENT_ID", "abc")
    monkeypatch.setenv("ESI_SSO_CLIENT_SECRET", "s3cret")
    monkeypatch.setenv("ESI_SSO_CALLBACK_URL", "http://127.0.0.1:8000/sso/callback/")
    settings = live_settings("http://127.0.0.1:8000")
    assert settings["DEMO_MODE"] == "live"
    assert settings["ESI_SSO_CLIENT_ID"] == "abc"
    assert "SECRET_KEY" not in settings and "DEBUG" not in settings  # the runner decides those
    assert "ESI_API_URL" not in settings  # the real ESI: django-esi's default


def test_python_m_demo_serves_the_site_with_the_fake_in_server_mode(tmp_path: Any) -> None:
    # What `make demo` runs, on ephemeral ports: the site, the fake ESI and the fake SSO
    # on loopback, and a login through the fake SSO's consent page over real HTTP.
    with DemoProcess(tmp_path / "db.sqlite3") as demo, requests.Session() as browser:
        assert demo.url.startswith("http://127.0.0.1:")
        child = demo._process
        assert child is not None and child.poll() is None
        text = "".join(demo.output)
        assert "fake ESI:  http://127.0.0.1:" in text and "fake SSO:  http://127.0.0.1:" in text

        consent = browser.get(f"{demo.url}/login/", timeout=30)
        assert consent.url.startswith("http://127.0.0.1:") and not consent.url.startswith(demo.url)
        form = _Form()
        form.feed(consent.text)
        home = browser.post(urljoin(consent.url, form.action or ""), data=form.fields, timeout=30)
        assert home.url == f"{demo.url}/"
        assert 'data-testid="user"' in home.text and "Logged in as" in home.text

        choose = browser.get(f"{demo.url}/character/", timeout=30)
        (portrait,) = _images(choose.text)
        assert portrait.startswith("http://127.0.0.1:") and "/images/characters/" in portrait
        image = browser.get(portrait, timeout=30)
        assert image.status_code == 200 and image.headers["Content-Type"] == "image/png"

        market = browser.get(f"{demo.url}/market/", timeout=30)
        assert market.status_code == 200
        assert 'class="notice' not in market.text
        assert int(re.search(r'data-testid="pages">(\d+)<', market.text).group(1)) >= 2
    assert child.poll() is not None, "leaving the with block stops the demo"


def test_live_demo_hides_debug_pages_and_keeps_its_secret_private(tmp_path: Any) -> None:
    credentials = {
        "ESI_SSO_CLIENT_ID": "abc",
        "ESI_SSO_CLIENT_SECRET": "not-used-here",
        "ESI_SSO_CALLBACK_URL": "http://127.0.0.1:8000/sso/callback/",
    }
    with DemoProcess(tmp_path / "db.sqlite3", "--live", env=credentials) as demo:
        missing = requests.get(f"{demo.url}/no-such-page/", timeout=30)
        text = "".join(demo.output)
    assert missing.status_code == 404
    assert "URLconf" not in missing.text and "DEBUG = True" not in missing.text
    secret = tmp_path / "data" / "django-esi-demo" / "secret_key"
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600
    assert read_secret_key(secret) not in text and "not-used-here" not in text


def test_sso_outage_gets_a_page_not_a_server_error(site: Client) -> None:
    from esi.sso import clear_caches

    clear_caches()  # the metadata document must be fetched, from an SSO that is down
    down = {
        "ESI_SSO_BASE_URL": "http://127.0.0.1:9",
        "ESI_SSO_AUTHORIZE_URL": None,
        "ESI_SSO_TOKEN_URL": None,
    }
    try:
        with override_settings(**down):
            page = site.get("/login/")
    finally:
        clear_caches()
    assert page.status_code == 502
    assert "demo/sso_error.html" in [t.name for t in page.templates]
    assert "SSOUnavailable" in page.content.decode()
    assert not Token.objects.exists()


def test_journal_lists_what_the_fake_answered_without_tokens(site: Client) -> None:
    log_in(site)
    token = Token.objects.get()
    site.post("/character/", {"_token": token.pk})
    page = site.get("/journal/")
    assert page.status_code == 200
    entries = page.context["entries"]
    operations = [e["operation"] for e in entries]
    assert "get_characters_character_id_notifications" in operations
    notifications = entries[operations.index("get_characters_character_id_notifications")]
    assert notifications["character_id"] == token.character_id and notifications["status"] == 200
    public = entries[operations.index("get_characters_character_id")]
    assert public["character_id"] is None
    assert token.access_token not in page.content.decode()


def test_journal_shows_each_answers_etag_and_wraps_paths_between_segments(site: Client) -> None:
    site.get("/status/")
    page = site.get("/journal/")
    entry = next(e for e in page.context["entries"] if e["operation"] == "get_status")
    assert entry["etag"] and entry["etag"].startswith('"')  # the ETag column was always empty
    text = page.content.decode()
    assert f'<code title="{html.escape(entry["etag"])}">' in text
    assert "GET /<wbr>latest/<wbr>status/<wbr>" in text
    css = (Path(demo_settings.BASE_DIR) / "static" / "demo" / "demo.css").read_text()
    assert "break-all" not in css  # it wrapped "characters" as "charac / ters"


def test_the_browser_walk_never_writes_the_tracked_screenshots() -> None:
    import subprocess

    from demo.process import ROOT, SCREENSHOTS

    walk = (ROOT / "tests" / "browser" / "test_walkthrough.py").read_text()
    assert 'os.environ.get("DEMO_SCREENSHOTS", BUILD_SCREENSHOTS)' in walk
    assert SCREENSHOTS == ROOT / "build" / "screenshots"
    ignored = subprocess.run(["git", "check-ignore", "-q", str(SCREENSHOTS / "01-overview.png")], cwd=ROOT)
    assert ignored.returncode == 0, "build/screenshots/ must be ignored by git"
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(
        r"^screenshots: test-browser\n\tcp build/screenshots/\*\.png docs/screenshots/$", makefile, re.M
    )


def test_a_second_stop_signal_does_not_break_the_clean_up(tmp_path: Any) -> None:
    # `make demo` stopped by its process group: make and python each get SIGTERM, and make
    # sends python another; the second one came during fake.stop() as a KeyboardInterrupt.
    import signal

    demo = DemoProcess(tmp_path / "db.sqlite3")
    demo.start()
    child = demo._process
    assert child is not None
    child.send_signal(signal.SIGTERM)
    for _ in range(5):
        time.sleep(0.05)
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    assert child.wait(timeout=30) == 0
    demo.stop()
    assert "Traceback" not in "".join(demo.output), "".join(demo.output)
