"""The records a first call creates: no dataclass of django-esi's own (issue 13).

A ``@dataclass`` builds the source of its methods and compiles it with ``exec``
in every process that imports it (about 3.3 M instructions each); a
``typing.NamedTuple`` or a class with ``__slots__`` costs a fraction of that.
The first check runs the warm first call of each face in a fresh interpreter
and records every dataclass created; the others pin what the hand-written
classes kept of the dataclasses they were.
"""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from esi.app_settings import SETTINGS, Setting
from esi.http.cache import CachedResponse
from esi.http.identity import Caller
from esi.http.limits import RateLimitState
from esi.openapi_clients.operation import FaceContext
from esi.operations import ClientContext
from esi.pages import Generation
from esi.spec import PreparedSpec, SpecRequest
from esi.unmarshal import JSONBody
from tests.http_helpers import STATUS_SERVER

REPO = Path(__file__).resolve().parent.parent

#: The dataclasses of django-esi that a first call may create, each with its reason.
ALLOWED = {
    # Public and documented; callers (and spec_snapshots itself) use dataclasses.replace on it.
    "spec_snapshots.Snapshot",
}

# As bench/startup_floor.py: Django with esi, a loopback ESI in the same process, the spec cache warm.
_CHILD = (
    """
import dataclasses, json, os, sys, threading
created = []
_process_class = dataclasses._process_class
def _recording(cls, *args, **kwargs):
    created.append(f"{cls.__module__}.{cls.__qualname__}")
    return _process_class(cls, *args, **kwargs)
dataclasses._process_class = _recording
"""
    + STATUS_SERVER
    + """import django
from django.conf import settings
settings.configure(
    INSTALLED_APPS=["django.contrib.auth", "django.contrib.contenttypes", "django.contrib.sessions", "esi"],
    DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}},
    USE_TZ=True, ESI_API_URL=f"http://127.0.0.1:{server.server_port}", ESI_SPEC_CACHE_DIR=os.environ["CACHE_DIR"],
    ESI_SPEC_OFFLINE=True, ESI_CACHE_RESPONSE=False,
    CACHES={"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}},
)
django.setup()
"""
)

_CALLS = {
    "latest": """
from esi.clients import EsiClientProvider
players = EsiClientProvider(app_info_text="test/1").client.Status.get_status().result()["players"]
""",
    "compatibility date": """
from esi.clients import EsiClientProvider
esi = EsiClientProvider(app_info_text="test/1", compatibility_date="2025-12-16")
players = esi.client.Status.GetStatus().result()["players"]
""",
    "OpenAPI face": """
from esi.openapi_clients import ESIClientProvider
esi = ESIClientProvider("2025-12-16", ua_appname="Test", ua_version="1")
players = esi.client.Status.GetStatus().result(use_etag=False).players
""",
}

_REPORT = """
server.shutdown()
ours = [name for name in created if name.split(".")[0] in ("esi", "spec_snapshots")]
print(json.dumps({"players": players, "dataclasses": ours}))
"""


def _first_call(call: str, cache_dir: Path) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": str(REPO), "CACHE_DIR": str(cache_dir)}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    out = subprocess.run(
        [sys.executable, "-c", _CHILD + call + _REPORT],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


@pytest.mark.parametrize("face", sorted(_CALLS))
def test_the_warm_first_call_creates_no_dataclass_of_esi_but_the_allowed(face: str, tmp_path: Path) -> None:
    cold = _first_call(_CALLS[face], tmp_path)  # builds the spec and fills the cache
    warm = _first_call(_CALLS[face], tmp_path)
    assert cold["players"] == warm["players"] == 12345
    assert "spec_snapshots.Snapshot" in warm["dataclasses"]  # the recording sees what it should
    assert set(warm["dataclasses"]) <= ALLOWED, warm["dataclasses"]


# --- the named tuples: records as the frozen dataclasses were --------------------------------------------


@pytest.mark.parametrize(
    "record",
    [
        SETTINGS[0],
        SpecRequest(compatibility_date="2025-12-16"),
        CachedResponse("https://esi/x", {"ETag": '"a"'}, b"{}", 1.0),
        Caller("public", "public"),
        RateLimitState("char-location", "9", 1795, 2, 1800, 900.0, None),
        Generation(None, None, "3", 1.0),
    ],
)
def test_a_record_cannot_be_changed_and_shows_its_fields(record: Any) -> None:
    name = record._fields[0]
    with pytest.raises(AttributeError):
        setattr(record, name, None)
    assert repr(record).startswith(f"{type(record).__name__}({name}=")


def test_spec_requests_are_equal_by_value_and_hashable() -> None:
    request = SpecRequest(version="latest", resource_versions=(("Universe", "v1"),))
    assert request == SpecRequest(version="latest", resource_versions=(("Universe", "v1"),))
    assert request != SpecRequest(version="latest")
    assert {request: 1}[SpecRequest(version="latest", resource_versions=(("Universe", "v1"),))] == 1
    assert SpecRequest(spec_file="/x.json").label == "spec file /x.json"
    assert Setting("ESI_X", None, "doc").group == "General"


def test_a_rate_limit_state_reads_back_what_it_stored() -> None:
    state = RateLimitState("char-location", "9", 1795, 2, 1800, 900.0, None)
    assert RateLimitState(**state._asdict()) == state


# --- the hand-written classes ------------------------------------------------------------------------


def test_a_prepared_spec_is_equal_by_value_unhashable_and_pickles() -> None:
    prepared = PreparedSpec({"swagger": "2.0"}, "latest", {"universe": "v1"}, sources=("a",))
    same = PreparedSpec({"swagger": "2.0"}, "latest", {"universe": "v1"}, sources=("a",))
    assert prepared == same
    assert prepared != PreparedSpec({"swagger": "2.0"}, "latest", {"universe": "v2"}, sources=("a",))
    assert prepared != ("latest",)
    with pytest.raises(TypeError):
        hash(prepared)
    again = pickle.loads(pickle.dumps(prepared, pickle.HIGHEST_PROTOCOL))
    assert again == prepared
    assert again.version_of("Universe") == "v1" and again.version_of("Market") == "latest"
    assert repr(prepared) == "PreparedSpec(label='latest', compatibility_date=None)"


def test_a_prepared_specs_defaults_are_its_own() -> None:
    first, second = PreparedSpec(None, "a"), PreparedSpec(None, "b")
    first.resource_versions["x"] = "v1"
    assert second.resource_versions == {} and second.aliases == {} and second.sources == ()


def test_a_json_body_is_immutable_compared_by_identity_and_not_a_tuple() -> None:
    def convert() -> list[int]:
        return [1]

    body = JSONBody(b"[1]", convert)
    assert body.content == b"[1]" and body.convert() == [1]
    assert body == body and body != JSONBody(b"[1]", convert)
    assert not isinstance(body, tuple)
    with pytest.raises(AttributeError, match="immutable"):
        body.content = b"[]"  # type: ignore[misc]
    with pytest.raises(AttributeError, match="immutable"):
        del body.convert
    assert repr(body) == f"JSONBody(content=b'[1]', convert={convert!r})"


def test_the_contexts_take_their_fields_by_keyword_and_show_them() -> None:
    context = ClientContext(prepared=None, http_client="client", api_url="http://esi")  # type: ignore[arg-type]
    assert context.datasource is context.compatibility_date is None and context.bravado_limit_errors is False
    assert repr(context) == (
        "ClientContext(prepared=None, http_client='client', datasource=None, compatibility_date=None, "
        "api_url='http://esi', bravado_limit_errors=False)"
    )
    face = FaceContext(engine="engine", app_name="App")
    assert (face.token, face.cache_alias, face.builder) == (None, "default", None)
    face.builder = "models"  # filled on the first call that needs the models
    assert repr(face) == "FaceContext(engine='engine', app_name='App', token=None, cache_alias='default')"
    with pytest.raises(AttributeError):
        face.other = 1  # type: ignore[attr-defined]
