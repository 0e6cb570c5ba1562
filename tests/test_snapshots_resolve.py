import hashlib
import warnings

import pytest
import responses
from django.test import override_settings

import spec_snapshots
from spec_snapshots.derive import iter_operations
from spec_snapshots.resolve import default_cache_dir

V3_FILE = "swagger2-v3-1.30-2025-03-26-mockesi.json"
V2_FILE = "swagger2-v2-1.30-2025-03-26-mockesi.json"


def _character_ops(snapshot):
    return sorted(
        op["operationId"] for _, _, op in iter_operations(snapshot.load()) if "Character" in op["tags"]
    )


def test_real_snapshot_wins_without_warning_or_network(shared_specs, tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with responses.RequestsMock() as rsps:  # any request would fail the test
            snap = spec_snapshots.resolve("v3", offline=False, dirs=[shared_specs], cache_dir=tmp_path)
            assert len(rsps.calls) == 0
    assert snap.route == "v3" and snap.version == "1.30" and not snap.derived
    assert "get_characters_character_id_roles" in _character_ops(snap)


def test_offline_derives_from_newest_latest_and_warns_how_to_get_the_real_one():
    with pytest.warns(spec_snapshots.SpecDerivedWarning) as caught:
        snap = spec_snapshots.resolve("v3", offline=True, dirs=[], cache_dir=False)
    message = str(caught[0].message)
    assert "python -m spec_snapshots update --route v3" in message
    assert "ESI_SPEC_OFFLINE = False" in message
    assert snap.derived and snap.route == "v3" and snap.version == "1.3.8"
    assert snap.source["from"] == "swagger2/latest/1.3.8"
    spec = snap.load()
    assert spec["basePath"] == "/v3"
    assert all("v3" in op["x-alternate-versions"] for _, _, op in iter_operations(spec))
    # The 2020 latest has no Character operation at v3: the derived spec cannot offer Character='v3'.
    assert _character_ops(snap) == []
    # Cached in memory: the same object, bytes that match the sha256.
    with pytest.warns(spec_snapshots.SpecDerivedWarning):
        assert spec_snapshots.resolve("v3", offline=True, dirs=[], cache_dir=False) is snap
    assert hashlib.sha256(snap.read_bytes()).hexdigest() == snap.sha256


def test_offline_derivation_uses_the_newest_latest_found(shared_specs, tmp_path):
    # Only latest specs in the directory: v3 must be derived, from the 1.36 latest.
    (tmp_path / "latest.json").write_bytes(
        (shared_specs / "swagger2-latest-1.36-2025-12-03-everef.json").read_bytes()
    )
    with pytest.warns(spec_snapshots.SpecDerivedWarning, match="latest 1.36"):
        snap = spec_snapshots.resolve("v3", offline=True, dirs=[tmp_path], cache_dir=False)
    assert snap.version == "1.36" and snap.derived
    assert "get_characters_character_id_roles" in _character_ops(snap)


@responses.activate
def test_online_fetches_once_into_the_first_user_directory(shared_specs, tmp_path):
    url = "https://esi.example.test/v3/swagger.json"
    responses.get(url, body=(shared_specs / V3_FILE).read_bytes())
    user, other = tmp_path / "user", tmp_path / "other"
    snap = spec_snapshots.resolve(
        "v3", offline=False, dirs=[user, other], api_url="https://esi.example.test/", cache_dir=tmp_path / "c"
    )
    assert not snap.derived and snap.directory == user.resolve()
    assert snap.source == {"kind": "live", "url": url} and snap.retrieved
    assert snap.read_bytes() == (shared_specs / V3_FILE).read_bytes()
    assert spec_snapshots.manifest(user)["snapshots"][0]["key"] == "swagger2/v3/1.30"
    again = spec_snapshots.resolve(
        "v3", offline=False, dirs=[user, other], api_url="https://esi.example.test/"
    )
    assert again.key == snap.key
    assert len(responses.calls) == 1
    assert not (tmp_path / "c").exists() and not other.exists()


@responses.activate
def test_online_without_user_directory_keeps_it_in_the_cache_directory(shared_specs, tmp_path):
    responses.get("https://esi.evetech.net/v3/swagger.json", body=(shared_specs / V3_FILE).read_bytes())
    snap = spec_snapshots.resolve("v3", offline=False, dirs=[], cache_dir=tmp_path)
    assert snap.directory == (tmp_path / "snapshots").resolve()
    assert spec_snapshots.resolve("v3", offline=True, dirs=[], cache_dir=tmp_path).key == snap.key
    assert len(responses.calls) == 1
    assert responses.calls[0].request.headers["User-Agent"].startswith("django-esi/")


@responses.activate
def test_online_with_disk_cache_off_keeps_it_in_memory(shared_specs):
    responses.get("https://esi.memory.test/v3/swagger.json", body=(shared_specs / V3_FILE).read_bytes())
    first = spec_snapshots.resolve(
        "v3", offline=False, dirs=[], cache_dir=False, api_url="https://esi.memory.test/"
    )
    second = spec_snapshots.resolve(
        "v3", offline=False, dirs=[], cache_dir=False, api_url="https://esi.memory.test/"
    )
    assert first is second and not first.derived and first.version == "1.30"
    assert len(responses.calls) == 1


@responses.activate
def test_configured_directory_receives_the_fetched_spec(shared_specs, tmp_path):
    responses.get("https://esi.evetech.net/v3/swagger.json", body=(shared_specs / V3_FILE).read_bytes())
    with override_settings(ESI_SPEC_SNAPSHOT_DIRS=[str(tmp_path)]):
        snap = spec_snapshots.resolve("v3", offline=False)
    assert snap.directory == tmp_path.resolve()
    assert spec_snapshots.get(route="v3", dirs=[tmp_path]).sha256 == snap.sha256


@responses.activate
def test_fetch_failure_names_url_and_status_derives_and_writes_nothing(tmp_path):
    responses.get("https://esi.evetech.net/v4/swagger.json", status=503, body="Service Unavailable")
    with pytest.warns(
        spec_snapshots.SpecDerivedWarning, match=r"https://esi.evetech.net/v4/swagger.json: HTTP 503"
    ) as caught:
        snap = spec_snapshots.resolve("v4", offline=False, dirs=[tmp_path])
    assert snap.derived and "ESI_SPEC_OFFLINE" not in str(caught[0].message)
    assert list(tmp_path.iterdir()) == []


@responses.activate
def test_fetch_failure_with_nothing_to_derive_from_names_the_failure(tmp_path, monkeypatch):
    responses.get("https://esi.evetech.net/v4/swagger.json", status=503, body="Service Unavailable")
    monkeypatch.setattr(spec_snapshots, "BUNDLED_DIR", tmp_path / "none")
    with pytest.raises(spec_snapshots.SnapshotNotFound, match=r"v4/swagger.json: HTTP 503"):
        spec_snapshots.resolve("v4", offline=False, dirs=[tmp_path])


@responses.activate
def test_fetched_spec_of_another_route_is_refused(shared_specs, tmp_path):
    responses.get("https://esi.evetech.net/v3/swagger.json", body=(shared_specs / V2_FILE).read_bytes())
    with pytest.raises(spec_snapshots.SnapshotError, match="not of route 'v3'"):
        spec_snapshots.resolve("v3", offline=False, dirs=[tmp_path])
    assert list(tmp_path.iterdir()) == []


@responses.activate
def test_fetched_non_spec_is_refused_with_the_reason(tmp_path):
    responses.get("https://esi.evetech.net/v5/swagger.json", body='{"error": "no reply"}')
    with pytest.raises(spec_snapshots.SnapshotError, match="did not answer an ESI spec: not a spec"):
        spec_snapshots.resolve("v5", offline=False, dirs=[tmp_path])


@pytest.mark.parametrize("route", ["v", "meta", "", "latest\n", "v１"])
def test_bad_route_is_refused(route):
    with pytest.raises(ValueError, match="route must be"):
        spec_snapshots.resolve(route, offline=True, dirs=[])


@pytest.mark.parametrize("route", ["latest/../x", "latest@../x", "@1.0"])
def test_a_malformed_pin_is_refused(route):
    with pytest.raises((ValueError, LookupError), match="pinned version|no snapshot with key"):
        spec_snapshots.resolve(route, offline=True, dirs=[])


def test_default_cache_dir_follows_setting_and_xdg(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("ESI_SPEC_CACHE_DIR", raising=False)
    with override_settings(ESI_SPEC_CACHE_DIR=None):
        assert default_cache_dir() == tmp_path / "xdg" / "django-esi" / "snapshots"
    with override_settings(ESI_SPEC_CACHE_DIR=str(tmp_path / "c")):
        assert default_cache_dir() == tmp_path / "c" / "snapshots"
    with override_settings(ESI_SPEC_CACHE_DIR=False):
        assert default_cache_dir() is None
    # An explicit value (what the client passes from app_settings) reads the same way.
    with override_settings(ESI_SPEC_CACHE_DIR=str(tmp_path / "ignored")):
        assert default_cache_dir(tmp_path / "c") == tmp_path / "c" / "snapshots"
        assert default_cache_dir(False) is None


@responses.activate
def test_fetching_into_a_directory_of_plain_files_keeps_them_visible(shared_specs, tmp_path):
    (tmp_path / "my-v6.json").write_bytes(
        (shared_specs / "swagger2-v6-1.30-2025-03-26-mockesi.json").read_bytes()
    )
    responses.get("https://esi.evetech.net/v3/swagger.json", body=(shared_specs / V3_FILE).read_bytes())
    spec_snapshots.resolve("v3", offline=False, dirs=[tmp_path])
    routes = {s.route for s in spec_snapshots.list_snapshots([tmp_path]) if s.directory == tmp_path.resolve()}
    assert routes == {"v3", "v6"}


@responses.activate
def test_concurrent_resolves_fetch_once(shared_specs, tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    responses.get("https://esi.evetech.net/v3/swagger.json", body=(shared_specs / V3_FILE).read_bytes())
    with ThreadPoolExecutor(4) as pool:
        snaps = list(
            pool.map(lambda _: spec_snapshots.resolve("v3", offline=False, dirs=[tmp_path]), range(8))
        )
    assert len(responses.calls) == 1
    assert {s.sha256 for s in snaps} == {snaps[0].sha256}


def test_public_names_are_pinned():
    import importlib

    assert spec_snapshots.__all__ == [
        "BUNDLED_DIR",
        "FORMATS",
        "MANIFEST_NAME",
        "MAX_SPEC_BYTES",
        "Snapshot",
        "SnapshotError",
        "SnapshotFetchError",
        "SnapshotNotFound",
        "SpecDerivedWarning",
        "describe_spec",
        "get",
        "is_compatibility_date",
        "list_snapshots",
        "manifest",
        "newest",
        "path_inside",
        "pinned",
        "read_spec_bytes",
        "resolve",
        "snapshot_dirs",
    ]
    assert callable(spec_snapshots.resolve)  # the function, not the module of the same name
    for name in ("", ".cli", ".derive", ".diff", ".fetch", ".resolve", ".store"):
        module = importlib.import_module(f"spec_snapshots{name}")
        assert module.__all__ == sorted(module.__all__), module.__name__
        assert all(hasattr(module, n) for n in module.__all__), module.__name__
