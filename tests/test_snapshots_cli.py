import gzip
import hashlib
import io
import json
import os
import subprocess
import sys
from datetime import date, datetime, timezone
from pathlib import Path

import pytest
import responses
from django.core.management import CommandError, call_command
from django.test import override_settings

import spec_snapshots
from spec_snapshots.cli import main
from spec_snapshots.fetch import today_compatibility_date

REPO = Path(__file__).resolve().parent.parent
V3 = "swagger2-v3-1.30-2025-03-26-mockesi.json"
V2 = "swagger2-v2-1.30-2025-03-26-mockesi.json"
LATEST_136 = "swagger2-latest-1.36-2025-12-03-everef.json"
OPENAPI_2026 = "openapi3-2026-08-04-fetched-2026-08-04-esiproxy.json"
OPENAPI_2025 = "openapi3-2025-12-16-fetched-2026-05-08-esiproxy.json"


@pytest.fixture(autouse=True)
def no_configured_dirs(monkeypatch):
    monkeypatch.delenv("ESI_SPEC_SNAPSHOT_DIRS", raising=False)
    with override_settings(ESI_SPEC_SNAPSHOT_DIRS=(), ESI_SPEC_CACHE_DIR=False):
        yield


def run(*argv):
    """Run the CLI; return (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    old = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = out, err
    try:
        code = main([str(a) for a in argv])
    finally:
        sys.stdout, sys.stderr = old
    return code, out.getvalue(), err.getvalue()


# --- list ----------------------------------------------------------------------------


def test_list_shows_bundled_and_user_snapshots(shared_specs, tmp_path):
    assert run("import", shared_specs / V3, "--dir", tmp_path, "--source", "mock-esi")[0] == 0
    code, out, _ = run("list", "--dir", tmp_path)
    assert code == 0
    header, *rows = out.splitlines()
    assert header.split() == [
        "KEY",
        "FORMAT",
        "ROUTE/DATE",
        "VERSION",
        "SOURCE",
        "SHA256",
        "DERIVED",
        "DIRECTORY",
    ]
    sha = hashlib.sha256((shared_specs / V3).read_bytes()).hexdigest()
    assert rows[0].split() == [
        "swagger2/v3/1.30",
        "swagger2",
        "v3",
        "1.30",
        "mock-esi",
        sha[:12],
        "no",
        str(tmp_path.resolve()),
    ]
    assert any(r.startswith("swagger2/latest/1.3.8") and r.endswith("bundled") for r in rows)
    code, out, _ = run("list", "--dir", tmp_path, "--json")
    entries = json.loads(out)
    assert [e["key"] for e in entries][:1] == ["swagger2/v3/1.30"]
    assert {e["key"] for e in entries if e["bundled"]} == {
        "swagger2/latest/1.3.8",
        "openapi3/2025-12-16/2025-12-16",
    }


def test_list_reads_the_setting(shared_specs, tmp_path):
    run("import", shared_specs / V3, "--dir", tmp_path)
    with override_settings(ESI_SPEC_SNAPSHOT_DIRS=[str(tmp_path)]):
        code, out, _ = run("list")
    assert code == 0 and "swagger2/v3/1.30" in out


def test_list_a_directory_of_plain_spec_files(shared_specs):
    code, out, _ = run("list", "--dir", shared_specs, "--json")
    plain = [e for e in json.loads(out) if not e["bundled"]]
    assert {e["route"] for e in plain if e["version"] == "1.30"} >= {"latest", "legacy", "dev", "v1", "v6"}
    assert {e["compatibility_date"] for e in plain} >= {"2020-01-01", "2025-12-16", "2026-08-04"}


def test_module_runs_without_django_and_reads_the_environment(shared_specs, tmp_path):
    run("import", shared_specs / V3, "--dir", tmp_path)
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env["ESI_SPEC_SNAPSHOT_DIRS"] = str(tmp_path)
    proc = subprocess.run(
        [sys.executable, "-m", "spec_snapshots", "list", "--json"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr
    assert "swagger2/v3/1.30" in [e["key"] for e in json.loads(proc.stdout)]
    proc = subprocess.run(
        [sys.executable, "-m", "spec_snapshots", "diff", "v9", "latest"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2 and proc.stderr.startswith("error: no snapshot of route 'v9'")


# --- import --------------------------------------------------------------------------


def test_import_keeps_the_original_bytes_and_provenance(shared_specs, tmp_path):
    raw = (shared_specs / OPENAPI_2026).read_bytes()
    code, out, _ = run(
        "import",
        shared_specs / OPENAPI_2026,
        "--dir",
        tmp_path,
        "--source",
        "eve-esi-proxy@5c7e686",
        "--retrieved",
        "2026-08-04",
    )
    assert code == 0 and "imported openapi3/2026-08-04/2026-08-04" in out
    [entry] = spectree = spec_snapshots.manifest(tmp_path)["snapshots"]
    assert spectree[0]["format"] == "openapi3" and entry["compatibility_date"] == "2026-08-04"
    assert entry["source"] == {
        "kind": "import",
        "file": str((shared_specs / OPENAPI_2026).resolve()),
        "origin": "eve-esi-proxy@5c7e686",
    }
    assert entry["retrieved"] == "2026-08-04" and entry["sha256"] == hashlib.sha256(raw).hexdigest()
    assert gzip.decompress((tmp_path / entry["file"]).read_bytes()) == raw


def test_import_writes_to_the_first_configured_directory(shared_specs, tmp_path):
    first, second = tmp_path / "a", tmp_path / "b"
    with override_settings(ESI_SPEC_SNAPSHOT_DIRS=[str(first), str(second)]):
        assert run("import", shared_specs / V3)[0] == 0
    assert spec_snapshots.get(route="v3", dirs=[first]).version == "1.30" and not second.exists()


def test_import_without_a_directory_says_how_to_give_one(shared_specs):
    code, _, err = run("import", shared_specs / V3)
    assert code == 2 and "pass --dir DIR, or set ESI_SPEC_SNAPSHOT_DIRS" in err


@pytest.mark.parametrize(
    "content, reason",
    [
        (b"{not json", "is not JSON"),
        (b'{"hello": "world"}', "neither a 'swagger' nor an 'openapi' field"),
        (
            b'{"swagger": "2.0", "info": {"version": "1"}, "basePath": "/v2", "paths": {"/a/": {"get": {}}}}',
            "invalid Swagger 2.0 spec",
        ),
        (
            b'{"openapi": "3.1.0", "info": {"title": "ESI", "version": "2026-01-01"}, "paths": {"/a": {"get": {"responses": {"200": {"$ref": "#/components/responses/Nope"}}}}}}',
            "#/components/responses/Nope",
        ),
        (
            b'{"openapi": "3.1.0", "info": {"title": "ESI", "version": "2026-01-01"}, "paths": {"/a": {"get": {}}}}',
            "GET /a has no responses",
        ),
        (
            b'{"openapi": "3.1.0", "info": {"version": "3.0"}, "paths": {"/a": {}}}',
            "not a compatibility date",
        ),
    ],
)
def test_import_refuses_what_is_not_an_esi_spec_with_the_reason(tmp_path, content, reason):
    bad = tmp_path / "bad.json"
    bad.write_bytes(content)
    store = tmp_path / "store"
    code, out, err = run("import", bad, "--dir", store)
    assert code == 2 and reason in err and err.startswith("error: ") and out == ""
    assert not store.exists()


def test_import_of_an_unreadable_file(tmp_path):
    code, _, err = run("import", tmp_path / "missing.json", "--dir", tmp_path)
    assert code == 2 and "cannot read" in err and "missing.json" in err


# --- update ----------------------------------------------------------------------------


def test_today_compatibility_date_turns_at_downtime():
    assert today_compatibility_date(datetime(2026, 8, 4, 10, 59, tzinfo=timezone.utc)) == "2026-08-03"
    assert today_compatibility_date(datetime(2026, 8, 4, 11, 0, tzinfo=timezone.utc)) == "2026-08-04"


@responses.activate
def test_update_by_default_downloads_latest_and_todays_newest_date(shared_specs, tmp_path):
    today = today_compatibility_date()
    latest_url = "https://esi.evetech.net/latest/swagger.json"
    openapi = f"https://esi.evetech.net/meta/openapi.json?compatibility_date={today}"
    responses.get(latest_url, body=(shared_specs / LATEST_136).read_bytes())
    responses.get(openapi, body=(shared_specs / OPENAPI_2026).read_bytes())
    code, out, err = run("update", "--dir", tmp_path)
    assert code == 0, err
    assert out.splitlines() == [
        f"swagger2/latest/1.36 <- {latest_url}",
        f"openapi3/2026-08-04/2026-08-04 <- {openapi}",
    ]
    entries = {e["key"]: e for e in spec_snapshots.manifest(tmp_path)["snapshots"]}
    assert entries["swagger2/latest/1.36"]["source"] == {"kind": "live", "url": latest_url}
    assert entries["openapi3/2026-08-04/2026-08-04"]["retrieved"] == date.today().isoformat()
    assert (
        spec_snapshots.get(route="latest", dirs=[tmp_path]).read_bytes()
        == (shared_specs / LATEST_136).read_bytes()
    )
    assert [c.request.url for c in responses.calls] == [latest_url, openapi]


@responses.activate
def test_update_routes_and_dates_from_another_api_url(shared_specs, tmp_path):
    responses.get("http://fake.test/v3/swagger.json", body=(shared_specs / V3).read_bytes())
    responses.get(
        "http://fake.test/meta/openapi.json?compatibility_date=2026-01-05",
        body=(shared_specs / OPENAPI_2025).read_bytes(),
    )
    code, out, err = run(
        "update",
        "--route",
        "v3",
        "--compatibility-date",
        "2026-01-05",
        "--dir",
        tmp_path,
        "--api-url",
        "http://fake.test",
    )
    assert code == 0, err
    # ESI answers a date with the newest compatibility date on or before it.
    assert (
        spec_snapshots.get(compatibility_date="2025-12-16", dirs=[tmp_path]).directory == tmp_path.resolve()
    )
    assert spec_snapshots.get(route="v3", dirs=[tmp_path]).version == "1.30"


@responses.activate
def test_update_failure_names_url_and_status_and_keeps_what_worked(shared_specs, tmp_path):
    responses.get("https://esi.evetech.net/v3/swagger.json", body=(shared_specs / V3).read_bytes())
    responses.get("https://esi.evetech.net/v4/swagger.json", status=502, body="Bad Gateway")
    code, _, err = run("update", "--route", "v4", "--route", "v3", "--dir", tmp_path)
    assert code == 2
    assert "https://esi.evetech.net/v4/swagger.json: HTTP 502: Bad Gateway" in err
    assert [e["key"] for e in spec_snapshots.manifest(tmp_path)["snapshots"]] == ["swagger2/v3/1.30"]


@responses.activate
def test_update_refuses_the_wrong_spec(shared_specs, tmp_path):
    responses.get("https://esi.evetech.net/v3/swagger.json", body=(shared_specs / V2).read_bytes())
    responses.get(
        "https://esi.evetech.net/meta/openapi.json?compatibility_date=2025-12-20",
        body=(shared_specs / OPENAPI_2026).read_bytes(),
    )
    code, _, err = run("update", "--route", "v3", "--compatibility-date", "2025-12-20", "--dir", tmp_path)
    assert code == 2
    assert "answered the spec of swagger2 v2, not of route 'v3'" in err
    assert "answered the spec of openapi3 2026-08-04, not of compatibility date 2025-12-20" in err
    assert not (tmp_path / "manifest.json").exists()


@pytest.mark.parametrize(
    "argv, reason",
    [
        (["--route", "v3x"], "--route must be"),
        (["--compatibility-date", "2025-13"], "--compatibility-date must be YYYY-MM-DD"),
    ],
)
def test_update_checks_its_arguments(tmp_path, argv, reason):
    code, _, err = run("update", *argv, "--dir", tmp_path)
    assert code == 2 and reason in err


# --- diff ------------------------------------------------------------------------------


def test_diff_compatibility_dates_by_date(shared_specs):
    code, out, _ = run("diff", "2025-12-16", "2026-08-04", "--dir", shared_specs)
    assert code == 0
    assert "206 matched, 19 added, 2 removed, 1 renamed, 5 changed" in out
    assert "+ GET /sovereignty/systems  GetSovereigntySystems" in out
    assert "- GET /sovereignty/map  GetSovereigntyMap" in out
    code, out, _ = run("diff", "2025-12-16", "2026-08-04", "--dir", shared_specs, "--json")
    doc = json.loads(out)
    assert doc["a"]["version"] == "2025-12-16" and doc["b"]["operations"] == 225


def test_diff_across_eras_by_file_and_key(shared_specs):
    code, out, _ = run("diff", "swagger2/latest/1.3.8", shared_specs / OPENAPI_2025, "--json")
    assert code == 0
    doc = json.loads(out)
    assert doc["a"]["label"] == "swagger2/latest/1.3.8" and doc["b"]["format"] == "openapi3"
    assert {"from": "get_universe_types_type_id", "to": "GetUniverseTypesTypeId"}.items() <= next(
        r for r in doc["renamed"] if r["path"] == "/universe/types/{type_id}"
    ).items()


@pytest.mark.parametrize(
    "a, reason",
    [
        ("v9", "no snapshot of route 'v9'"),
        ("1999-01-01", "known dates: 2025-12-16"),
        ("swagger2/v9/0.0", "unknown snapshot 'swagger2/v9/0.0'"),
        ("/nope/spec.json", "cannot read /nope/spec.json"),
        ("tomorrow", "unknown snapshot 'tomorrow'"),
    ],
)
def test_diff_names_what_it_cannot_find(a, reason):
    code, out, err = run("diff", a, "latest", "--dir", "/nonexistent-dir")
    assert code == 2 and reason in err and out == ""


def test_diff_refuses_a_non_esi_file(tmp_path):
    (tmp_path / "x.json").write_text('{"openapi": "2.0", "info": {"version": "1"}, "paths": {"/a": {}}}')
    code, _, err = run("diff", tmp_path / "x.json", "latest")
    assert code == 2 and "unsupported OpenAPI version '2.0'" in err


# --- manage.py esi_snapshot ------------------------------------------------------------


def test_management_command_is_the_same_cli(shared_specs, tmp_path):
    out = io.StringIO()
    call_command("esi_snapshot", "import", str(shared_specs / V3), "--dir", str(tmp_path), stdout=out)
    assert "imported swagger2/v3/1.30" in out.getvalue()
    out = io.StringIO()
    call_command("esi_snapshot", "list", "--dir", str(tmp_path), "--json", stdout=out)
    assert json.loads(out.getvalue())[0]["key"] == "swagger2/v3/1.30"
    with pytest.raises(CommandError, match="no snapshot of route 'v9'") as exc:
        call_command("esi_snapshot", "diff", "v9", "latest")
    assert exc.value.returncode == 2
    out = io.StringIO()
    call_command("esi_snapshot", stdout=out)
    assert "manage.py esi_snapshot" in out.getvalue() and "derive-report" in out.getvalue()


def test_import_a_gzipped_file_stores_the_original_bytes(shared_specs, tmp_path):
    raw = (shared_specs / V3).read_bytes()
    (tmp_path / "v3.json.gz").write_bytes(gzip.compress(raw))
    assert run("import", tmp_path / "v3.json.gz", "--dir", tmp_path / "store")[0] == 0
    assert spec_snapshots.get(route="v3", dirs=[tmp_path / "store"]).read_bytes() == raw


@pytest.mark.parametrize(
    "argv, reason",
    [
        (["--against", "/nonexistent-dir"], "--against /nonexistent-dir: not a directory"),
        (["--against", "{tmp}"], "no Swagger route specs in"),
        (["--against", "{shared}", "--version", "9.99"], "no route spec of version 9.99"),
    ],
)
def test_derive_report_errors(shared_specs, tmp_path, argv, reason):
    argv = [a.format(tmp=tmp_path, shared=shared_specs) for a in argv]
    code, _, err = run("derive-report", "--from", "latest", *argv)
    assert code == 2 and reason in err
