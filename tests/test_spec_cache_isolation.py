"""Tests never write the user's spec cache, and a fake's spec is never taken for ESI's (issue 14, 2 and 3)."""

from __future__ import annotations

import json
import os
import tempfile
import warnings
from pathlib import Path

import pytest
import responses
from django.test import override_settings

import spec_snapshots
from esi.clients import esi_client_factory
from esi_testing import FakeESI
from spec_snapshots.fetch import fetch_spec
from spec_snapshots.resolve import cache_root
from spec_snapshots.store import write_snapshot


def files_under(path: Path) -> list[Path]:
    return sorted(p for p in path.rglob("*") if p.is_file()) if path.exists() else []


@pytest.fixture
def no_user_dirs(monkeypatch):
    monkeypatch.delenv("ESI_SPEC_SNAPSHOT_DIRS", raising=False)
    with override_settings(ESI_SPEC_SNAPSHOT_DIRS=()):
        yield


def test_the_fake_marks_the_specs_it_serves():
    with FakeESI(mode="inprocess"):
        raw, meta = fetch_spec("https://esi.evetech.net/latest/swagger.json")
    assert meta["served_by_fake"] is True
    assert json.loads(raw)["basePath"] == "/latest"


@responses.activate
def test_a_spec_from_esi_is_not_marked():
    responses.get(
        "https://esi.evetech.net/latest/swagger.json", body=spec_snapshots.get(route="latest").read_bytes()
    )
    _, meta = fetch_spec("https://esi.evetech.net/latest/swagger.json")
    assert meta["served_by_fake"] is False


def test_the_fake_serves_every_route_the_client_can_derive():
    with FakeESI(mode="inprocess") as fake:
        for route in ("v1", "v2", "v4", "v5", "legacy", "dev"):
            raw, meta = fetch_spec(f"{fake.url}/{route}/swagger.json")
            spec = json.loads(raw)
            assert meta["route"] == route and spec["basePath"] == f"/{route}"
            assert spec["x-django-esi-derived"]["from_route"] == "latest"
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", spec_snapshots.SpecDerivedWarning)
            offline = spec_snapshots.resolve("v4", offline=True, dirs=[], cache_dir=False)
        raw, _ = fetch_spec(f"{fake.url}/v4/swagger.json")
        assert json.loads(raw) == offline.load()  # what the client derives, the fake serves


def test_a_client_against_the_fake_writes_no_spec_and_records_the_fake(no_user_dirs, tmp_path):
    with (
        FakeESI(mode="inprocess") as fake,
        fake.override_settings(),
        override_settings(ESI_SPEC_CACHE_DIR=str(tmp_path), ESI_SPEC_OFFLINE=False),
    ):
        client = esi_client_factory(version="v4")
        character = client.Character.get_characters_character_id(character_id=90000001).result()
        snap = spec_snapshots.resolve("v4", offline=False, api_url=fake.url + "/", cache_dir=str(tmp_path))
    assert character["name"]
    assert snap.source["kind"] == "fake" and snap.source["url"].endswith("/v4/swagger.json")
    assert not any("snapshots" in p.parts for p in files_under(tmp_path))  # no spec kept on disk


def test_a_fake_spec_is_not_reused_by_a_client_of_esi(no_user_dirs):
    with FakeESI(mode="inprocess") as fake:
        from_fake = spec_snapshots.resolve("v4", offline=False, api_url=fake.url + "/", cache_dir=False)
    assert from_fake.source["kind"] == "fake"
    with responses.RequestsMock() as rsps:
        rsps.get("https://esi.evetech.net/v4/swagger.json", status=503)
        with pytest.warns(spec_snapshots.SpecDerivedWarning, match="HTTP 503"):
            after = spec_snapshots.resolve("v4", offline=False, cache_dir=False)
        assert len(rsps.calls) == 1  # asked ESI again: the fake's answer was not kept
    assert after.source["kind"] == "derived"


def test_a_cached_spec_that_a_fake_derived_is_ignored(no_user_dirs, tmp_path):
    """A cache written by an older django-esi test run: a fake's derived v4 recorded as live."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", spec_snapshots.SpecDerivedWarning)
        derived = spec_snapshots.resolve("v4", offline=True, dirs=[], cache_dir=False)
    write_snapshot(
        derived.read_bytes(),
        tmp_path / "snapshots",
        source={"kind": "live", "url": "https://esi.evetech.net/v4/swagger.json"},
    )
    with pytest.warns(spec_snapshots.SpecDerivedWarning) as caught:
        snap = spec_snapshots.resolve("v4", offline=True, cache_dir=str(tmp_path))
    assert snap.derived and snap.directory is None  # derived afresh, not the polluted file
    assert any("a django-esi fake derived" in str(w.message) for w in caught)


@responses.activate
def test_a_failed_download_derives_and_says_why(no_user_dirs, tmp_path):
    responses.get("https://esi.evetech.net/v4/swagger.json", status=404, body="Not found")
    with pytest.warns(spec_snapshots.SpecDerivedWarning) as caught:
        snap = spec_snapshots.resolve("v4", offline=False, cache_dir=str(tmp_path))
    assert snap.derived and snap.route == "v4"
    message = str(caught[0].message)
    assert "https://esi.evetech.net/v4/swagger.json" in message and "HTTP 404" in message
    assert files_under(tmp_path) == []


@override_settings(ESI_SPEC_CACHE_DIR=None)
def test_the_fake_points_the_spec_cache_at_a_temporary_directory():
    fake = FakeESI(mode="inprocess")
    with override_settings(ESI_SPEC_CACHE_DIR=False), fake.override_settings() as values:
        assert "ESI_SPEC_CACHE_DIR" not in values  # no disk cache stays no disk cache
    with fake.override_settings() as values:
        cache = Path(values["ESI_SPEC_CACHE_DIR"])
    assert cache.is_relative_to(Path(tempfile.gettempdir()).resolve()) and cache.is_dir()
    assert "ESI_SPEC_CACHE_DIR" not in fake.settings()  # what `serve` prints stays the user's choice


@override_settings(ESI_SPEC_CACHE_DIR=None)
def test_cache_root_follows_setting_environment_and_xdg(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("ESI_SPEC_CACHE_DIR", raising=False)
    assert cache_root(None) == tmp_path / "xdg" / "django-esi"
    monkeypatch.setenv("ESI_SPEC_CACHE_DIR", str(tmp_path / "env"))
    assert cache_root(None) == tmp_path / "env"
    assert cache_root(str(tmp_path / "set")) == tmp_path / "set"
    assert cache_root(False) is None


def test_this_suite_runs_with_a_temporary_cache():
    """conftest.py moved XDG_CACHE_HOME and ESI_SPEC_CACHE_DIR; it fails the run if the real one changes."""
    from esi.spec import spec_cache_dir

    for value in (os.environ["XDG_CACHE_HOME"], os.environ["ESI_SPEC_CACHE_DIR"]):
        assert Path(value).is_relative_to(Path(tempfile.gettempdir()).resolve())
    real = os.environ["ESI_TEST_REAL_CACHE_HOME"]
    assert not str(spec_cache_dir()).startswith(real + os.sep)


DOWNSTREAM_SETTINGS = """
SECRET_KEY = "downstream"
USE_TZ = True
INSTALLED_APPS = ["django.contrib.auth", "django.contrib.contenttypes", "esi"]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
ESI_USER_CONTACT_EMAIL = "downstream@example.com"
"""

DOWNSTREAM_TESTS = """
import pytest
from esi.clients import esi_client_factory
from esi_testing.unittest import FakeESITestCase


@pytest.mark.esi_version("v4")
def test_v4_against_the_fake(esi_client):
    character = esi_client.client.Character.get_characters_character_id(character_id=90000001).result()
    assert character["name"]


def test_latest_without_the_fake():
    assert esi_client_factory().Status.get_status  # builds (and caches) a spec


class UnittestUsers(FakeESITestCase):
    fake_esi_options = {"snapshot": "v2"}

    def test_v2(self):
        client = esi_client_factory(version="v2")
        assert client.Universe.get_universe_stations_station_id(station_id=60003760).result()["station_id"]
"""


def test_the_plugin_and_the_mixin_keep_downstream_tests_out_of_the_user_cache(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    home, xdg = pytester.path / "home", pytester.path / "xdg"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CACHE_HOME", str(xdg))
    monkeypatch.delenv("ESI_SPEC_CACHE_DIR", raising=False)
    monkeypatch.delenv("ESI_SPEC_SNAPSHOT_DIRS", raising=False)
    monkeypatch.delenv("ESI_FAKE_MODE", raising=False)
    monkeypatch.setenv("DJANGO_SETTINGS_MODULE", "settings")
    pytester.makepyfile(settings=DOWNSTREAM_SETTINGS, test_downstream=DOWNSTREAM_TESTS)
    pytester.makeini("[pytest]\nDJANGO_SETTINGS_MODULE = settings\npythonpath = .\n")

    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-W", "ignore::UserWarning")

    result.assert_outcomes(passed=3)
    assert files_under(home) == [] and files_under(xdg) == []
