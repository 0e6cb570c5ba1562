"""What a start-up imports: the heavy libraries wait until a feature needs them.

Not a timing: each check runs in a fresh interpreter and reads ``sys.modules``.

* Django start-up with ``esi`` installed (admin, models, checks, views, urls)
  imports neither PyJWT nor cryptography (both wait for the first SSO login or
  token refresh), nor pydantic (the OpenAPI face's first call), nor bravado,
  jsonschema or requests-oauthlib (the first client, the first SSO call).
* Building a client from the bundled ``latest`` snapshot and making a public
  call imports neither PyJWT, cryptography nor pydantic. It imports bravado.
  bravado's modules take names from jsonschema and swagger_spec_validator
  when they are imported, but both wait until they are used
  (:mod:`esi._deferred_imports`: ``sys.modules`` has a stand-in, which these
  checks do not count as imported). Building bravado-core's ``Spec`` of an
  operation uses them, once per machine: the operation is kept beside the spec
  cache file and read back by later processes (:mod:`esi.lazy_spec`) without
  jsonschema's resolver and format checker; a valid argument is checked without
  it (:mod:`esi.request_params`), an invalid one by bravado with jsonschema. So a
  warm call imports neither swagger_spec_validator nor the typing_extensions and
  importlib_resources it imports (a compatibility-date client's neither).
  jsonschema's optional format libraries wait too, and so do the libraries
  bravado imports but uses only for YAML specs, naive date-times sent, date-times
  not in ESI's shape and msgpack bodies: PyYAML, pytz, dateutil's parser, msgpack
  (Celery's kombu imports PyYAML, msgpack and dateutil's parser itself: that check
  runs without esi.tasks).
* django-esi's own modules that a start-up or a public call does not need wait
  too: :mod:`esi.checks` until checks run; ``spec_snapshots``' download, derive
  and store modules until a route is fetched or derived.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.http_helpers import STATUS_SERVER

REPO = Path(__file__).resolve().parent.parent

#: Never at start-up, nor for a public call of the bravado face.
NEVER = ("jwt", "cryptography", "pydantic", "pydantic_core")
#: Not at Django start-up; the first client imports them.
CLIENT = ("bravado", "bravado_core", "jsonschema", "swagger_spec_validator", "requests_oauthlib", "oauthlib")
#: What validates a spec (swagger_spec_validator and what it imports): bravado-core uses it only while it
#: builds a spec, so a warm client's call imports none of these. (pydantic imports typing_extensions itself.)
SPEC_VALIDATION = ("swagger_spec_validator", "typing_extensions", "importlib_resources")
#: jsonschema's optional format libraries: never for ESI's specs.
FORMAT_LIBRARIES = (
    "rfc3987_syntax.syntax_helpers",
    "uri_template.uritemplate",
    "lark",
    "arrow",
    "isoduration.parser",
    "webcolors._definitions",
)
#: django-esi's own: not at Django start-up (esi.checks: until checks run).
ESI_NOT_AT_SETUP = ("esi.checks",)
#: django-esi's own: not for a public call of a client from the bundled snapshot.
#: (esi.openapi: a compatibility-date client converts its spec once, when the spec cache is empty.)
ESI_NOT_FOR_A_CALL = ("spec_snapshots.fetch", "spec_snapshots.derive", "spec_snapshots.store", "esi.openapi")
#: What bravado imports but its public calls do not use (each real module imports these submodules).
DEFERRED_LIBRARIES = ("yaml.cyaml", "pytz.tzinfo", "msgpack.ext", "dateutil.parser._parser")

_PRELUDE = f"""
import json, os, sys, threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
os.environ["DJANGO_SETTINGS_MODULE"] = "tests.settings"
WATCHED = {list(dict.fromkeys(NEVER + CLIENT + SPEC_VALIDATION + FORMAT_LIBRARIES))!r}
import django
django.setup()
# What the configured cache backend imports is its own (redis-py imports cryptography):
# the locmem run checks those names; this one checks the rest.
from django.core.cache import cache
cache.get("import-graph-probe")
def imported(m):
    # A stand-in of esi._deferred_imports is not the module imported.
    return m in sys.modules and type(sys.modules[m]).__name__ != "_StandIn"
BACKEND = {{m for m in WATCHED if imported(m)}}
ESI_WATCHED = {list(ESI_NOT_AT_SETUP + ESI_NOT_FOR_A_CALL)!r}
def esi_loaded():
    return sorted(m for m in ESI_WATCHED if m in sys.modules)
esi_at_setup = esi_loaded()
def loaded():
    return sorted(m for m in WATCHED if imported(m) and m not in BACKEND)
import esi.admin, esi.checks, esi.decorators, esi.models, esi.tasks, esi.urls, esi.views
after_setup = loaded()
"""

# A loopback ESI in the same process: the fake ESI would import its own libraries.
_CALL = (
    STATUS_SERVER
    + """from django.test import override_settings
with override_settings(ESI_API_URL=f"http://127.0.0.1:{server.server_port}", ESI_SPEC_OFFLINE=True,
                       ESI_SPEC_CACHE_DIR=os.environ["CACHE_DIR"]):
    from esi.clients import EsiClientProvider
    players = EsiClientProvider(app_info_text="test/1").client.Status.get_status().result()["players"]
server.shutdown()
print(json.dumps({"after_setup": after_setup, "after_call": loaded(), "players": players,
                  "esi_at_setup": esi_at_setup, "esi_after_call": esi_loaded(), "backend": sorted(BACKEND)}))
"""
)


def _python(code: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a fresh interpreter (this one's sys.modules has seen everything); it must succeed."""
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    return out


def _run(body: str, cache_dir: Path, prelude: str = _PRELUDE) -> dict[str, object]:
    env = {**os.environ, "PYTHONPATH": str(REPO), "CACHE_DIR": str(cache_dir)}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    return json.loads(_python(prelude + body, env).stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def _backend(found: dict[str, object]) -> set[str]:
    """What the configured cache backend had imported before the check began (redis-py: typing_extensions)."""
    backend = found["backend"]
    assert isinstance(backend, list)
    return set(backend)


def test_django_start_up_with_esi_imports_no_jwt_cryptography_pydantic_nor_bravado(tmp_path: Path) -> None:
    found = _run('print(json.dumps({"after_setup": after_setup}))', tmp_path)
    assert found == {"after_setup": []}


def test_a_public_call_of_a_client_from_the_bundled_snapshot_imports_no_jwt_cryptography_pydantic(
    tmp_path: Path,
) -> None:
    # Three times: the first process builds the spec (empty cache) and its operation with jsonschema;
    # the next ones read both back, and the call validates its parameters without jsonschema.
    for run in range(3):
        found = _run(_CALL, tmp_path)
        assert found["players"] == 12345
        assert found["after_setup"] == []
        after_call = found["after_call"]
        assert isinstance(after_call, list)
        assert not set(after_call) & set(NEVER + FORMAT_LIBRARIES), after_call
        # What bravado truly needs (see the module docstring), and nothing of the SSO.
        needed = {"bravado", "bravado_core"} | ({"jsonschema", *SPEC_VALIDATION} if run == 0 else set())
        assert set(after_call) == needed - _backend(found), (run, after_call)
        assert found["esi_at_setup"] == []
        # A real snapshot: nothing downloaded, derived or kept (the prelude imported esi.checks).
        assert found["esi_after_call"] == ["esi.checks"]


def test_a_compatibility_date_client_converts_its_spec_only_when_the_spec_cache_is_empty(
    tmp_path: Path,
) -> None:
    call = _CALL.replace('app_info_text="test/1"', 'app_info_text="test/1", compatibility_date="2025-12-16"')
    assert call != _CALL
    cold, warm = _run(call, tmp_path), _run(call, tmp_path)
    assert cold["players"] == warm["players"] == 12345
    assert cold["esi_after_call"] == ["esi.checks", "esi.openapi"]
    assert warm["esi_after_call"] == ["esi.checks"]  # the cache key reads esi/openapi.py, never imports it
    # Its operation's $refs (#/definitions/...) are followed without jsonschema's resolver.
    assert "jsonschema" in cold["after_call"] and "jsonschema" not in warm["after_call"]  # type: ignore[operator]
    # Nor swagger_spec_validator: it serves only while the spec is built.
    assert set(SPEC_VALIDATION) - _backend(cold) <= set(cold["after_call"])  # type: ignore[arg-type]
    assert not set(SPEC_VALIDATION) & set(warm["after_call"]), warm["after_call"]  # type: ignore[arg-type]


def test_the_openapi_faces_call_imports_jsonschema_only_when_its_operation_is_first_built(
    tmp_path: Path,
) -> None:
    line = (
        'players = EsiClientProvider(app_info_text="test/1").client.Status.get_status().result()["players"]'
    )
    face = (
        "from esi.openapi_clients import ESIClientProvider\n    players = ESIClientProvider("
        '"2025-12-16", ua_appname="Test", ua_version="1").client.Status.GetStatus().result(use_etag=False).players'
    )
    call = _CALL.replace(line, face)
    assert call != _CALL
    cold, warm = _run(call, tmp_path), _run(call, tmp_path)
    assert cold["players"] == warm["players"] == 12345
    assert "jsonschema" in cold["after_call"]  # type: ignore[operator]
    assert set(warm["after_call"]) == {
        "bravado",
        "bravado_core",
        "pydantic",
        "pydantic_core",
        "typing_extensions",  # pydantic's
    } - _backend(warm)  # type: ignore[arg-type]


def test_a_public_call_of_a_site_without_celery_imports_neither_pyyaml_pytz_msgpack_nor_dateutils_parser(
    tmp_path: Path,
) -> None:
    prelude = _PRELUDE.replace("esi.tasks, ", "").replace(
        "\nWATCHED = ", f"\nWATCHED = {list(DEFERRED_LIBRARIES)!r} + ", 1
    )
    for _ in range(2):  # the spec built, then unpickled
        found = _run(_CALL, tmp_path, prelude)
        assert found["players"] == 12345
        assert found["after_setup"] == []
        assert not set(found["after_call"]) & set(DEFERRED_LIBRARIES + FORMAT_LIBRARIES), found["after_call"]  # type: ignore[arg-type]


def test_jsonschemas_duration_checker_imports_isoduration_on_first_use_and_checks_as_before() -> None:
    code = (
        "import sys, esi, bravado.client, jsonschema; "
        "print('arrow' in sys.modules); "
        "checker = jsonschema.FormatChecker(); "
        "print(checker.conforms('P1D', 'duration'), checker.conforms('P1Q', 'duration'), 'arrow' in sys.modules); "
        "import isoduration; from isoduration.parser.exceptions import DurationParsingException; "
        "print(isoduration.DurationParsingException is DurationParsingException)"
    )
    out = _python(code)
    # Not imported by bravado; imported, checking as before, on first use; the real class for everyone else.
    assert out.stdout.split() == ["False", "True", "False", "True", "True"]


def test_a_submodule_of_a_deferred_package_imports_before_the_package_itself() -> None:
    code = (
        "import sys, esi, bravado.client, jsonschema; "
        "from isoduration.parser.exceptions import DurationParsingException; "
        "import rfc3987_syntax.syntax_helpers; "
        "print(issubclass(DurationParsingException, ValueError)); "
        "print(jsonschema.FormatChecker().conforms('P1Q', 'duration')); "
        "import isoduration; print(isoduration.DurationParsingException is DurationParsingException)"
    )
    out = _python(code)
    assert out.stdout.split() == ["True", "False", "True"]


def test_esi_checks_are_registered_at_start_up_and_imported_when_checks_run() -> None:
    code = """
import os, sys, django
os.environ["DJANGO_SETTINGS_MODULE"] = "tests.settings"
django.setup()
print("esi.checks" in sys.modules)
from django.core import checks
from django.test import override_settings
with override_settings(ESI_SSO_CALLBACK_URL="callback"):
    ids = sorted(m.id for m in checks.run_checks(tags=[checks.Tags.urls]) if m.id.startswith("esi."))
print("esi.checks" in sys.modules, ",".join(ids))
"""
    out = _python(code, {**os.environ, "PYTHONPATH": str(REPO)})
    # Registered with its tag at start-up, esi.checks imported when the checks first run.
    assert out.stdout.split() == ["False", "True", "esi.E002"]
