"""The pytest plugin as a downstream project meets it: pytester runs a generated project."""

from __future__ import annotations

import pytest

SETTINGS = """
SECRET_KEY = "downstream"
USE_TZ = True
INSTALLED_APPS = [
    "django.contrib.auth", "django.contrib.contenttypes", "django.contrib.sessions",
    "django.contrib.messages", "esi", "shipyard",
]
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]
ROOT_URLCONF = "urls"
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
TEMPLATES = [{"BACKEND": "django.template.backends.django.DjangoTemplates", "APP_DIRS": True,
              "OPTIONS": {"context_processors": ["django.template.context_processors.request",
                                                 "django.contrib.auth.context_processors.auth"]}}]
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
ESI_USER_CONTACT_EMAIL = "shipyard@example.com"
ESI_SPEC_CACHE_DIR = False
ESI_SPEC_OFFLINE = True
"""

URLS = """
from django.urls import include, path
from shipyard import views

urlpatterns = [
    path("sso/", include("esi.urls", namespace="esi")),
    path("skills/", views.skills),
    path("orders/", views.orders),
    path("rifter/", views.rifter),
]
"""

MODELS = """
from django.db import models

class SkillTotal(models.Model):
    character_id = models.BigIntegerField(unique=True)
    total_sp = models.BigIntegerField()
"""

VIEWS = """
from django.http import JsonResponse
from esi.clients import EsiClientProvider
from esi.decorators import token_required
from shipyard.models import SkillTotal

esi = EsiClientProvider(app_info_text="shipyard/1.0")  # built lazily, on first use


@token_required(scopes="esi-skills.read_skills.v1")
def skills(request, token):
    data = esi.client.Skills.get_characters_character_id_skills(
        character_id=token.character_id, token=token
    ).result()
    SkillTotal.objects.update_or_create(
        character_id=token.character_id, defaults={"total_sp": data["total_sp"]}
    )
    return JsonResponse({"total_sp": data["total_sp"]})


def orders(request):
    orders = esi.client.Market.get_markets_region_id_orders(region_id=10000002, order_type="all").results()
    return JsonResponse({"count": len(orders)})


def rifter(request):
    names = esi.client.Universe.get_universe_types_type_id(type_id=587).results_localized()
    return JsonResponse({language: data["name"] for language, data in names.items()})
"""

TESTS = """
import pytest
from bravado.exception import HTTPServiceUnavailable

from shipyard.models import SkillTotal

pytestmark = pytest.mark.django_db


def test_token_required_view_with_a_fake_token(client, esi_token, fake_esi):
    client.force_login(esi_token.user)
    page = client.get("/skills/")
    assert page.status_code == 200 and esi_token.character_name in page.content.decode()
    response = client.post("/skills/", {"_token": esi_token.pk})
    assert response.status_code == 200
    saved = SkillTotal.objects.get(character_id=esi_token.character_id)
    assert saved.total_sp == response.json()["total_sp"]
    calls = [e for e in fake_esi.journal if e.operation == "get_characters_character_id_skills"]
    assert len(calls) == 1 and calls[0].character_id == esi_token.character_id


def test_paging_reads_every_page(client, fake_esi):
    assert client.get("/orders/").json() == {"count": 2500}
    pages = [e for e in fake_esi.journal if e.operation == "get_markets_region_id_orders"]
    assert len(pages) == 3


def test_localization(client, fake_esi):
    names = client.get("/rifter/").json()
    assert names["ja"] == "リフター" and names["zh"] == "裂谷级" and len(names) >= 7


@pytest.mark.esi_faults(operation="get_status", status=503, times=10)
def test_faults_marker(esi_client):
    with pytest.raises(HTTPServiceUnavailable):
        esi_client.client.Status.get_status().result()


@pytest.mark.esi_data({"operation": "get_status", "body": {"players": 4242, "server_version": "1",
                                                          "start_time": "2026-11-23T11:00:00Z"}})
def test_data_marker(esi_client):
    assert esi_client.client.Status.get_status().result()["players"] == 4242


def test_expired_token_refreshes_against_the_fake_sso(esi_token_factory, fake_esi):
    token = esi_token_factory(expired=True, scopes=["esi-skills.read_skills.v1"])
    token.valid_access_token()
    assert len(fake_esi.sso.calls("token", grant_type="refresh_token")) == 1


@pytest.mark.esi_version("v4")
def test_version_marker(esi_client):
    with pytest.raises(AttributeError, match="v4"):
        esi_client.client.Status.get_status
"""


@pytest.fixture
def downstream(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    monkeypatch.setenv("DJANGO_SETTINGS_MODULE", "settings")
    monkeypatch.delenv("ESI_FAKE_MODE", raising=False)
    pytester.makepyfile(settings=SETTINGS, urls=URLS, test_shipyard=TESTS)
    pkg = pytester.mkpydir("shipyard")
    (pkg / "models.py").write_text(MODELS)
    (pkg / "views.py").write_text(VIEWS)
    pytester.makeini("[pytest]\nDJANGO_SETTINGS_MODULE = settings\npythonpath = .\n")
    return pytester


@pytest.mark.parametrize("mode", ["inprocess", "server"])
def test_downstream_project_runs_offline_with_the_plugin(downstream: pytest.Pytester, mode: str) -> None:
    result = downstream.runpytest_subprocess(
        f"--esi-mode={mode}", "-p", "no:cacheprovider", "--disable-socket", "--allow-hosts=127.0.0.1"
    )
    result.stdout.fnmatch_lines([f"django-esi: fake ESI mode={mode}, record mode=none"])
    result.assert_outcomes(passed=7)


def test_markers_and_options_are_documented(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DJANGO_SETTINGS_MODULE")
    result = pytester.runpytest_subprocess("--markers")
    result.stdout.fnmatch_lines(["*esi_snapshot(snapshot)*", "*esi_faults(**fault)*", "*esi_cassette(name)*"])
    result = pytester.runpytest_subprocess("--help")
    result.stdout.fnmatch_lines(["*--esi-mode*", "*--esi-record-mode*", "*--esi-snapshot*"])
