"""EsiClientProvider and esi_client_factory: building, versions, errors."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import pytest

import esi.clients
from esi.clients import EsiClientProvider, esi_client_factory
from esi.errors import SpecError
from tests.client_fixtures import loopback, real_family  # noqa: F401 - fixtures

REPO = Path(__file__).resolve().parent.parent


def test_public_names():
    assert esi.clients.__all__ == [
        "EsiClientProvider",
        "SwaggerClient",
        "app_user_agent",
        "esi_client_factory",
        "minimize_spec",
        "pascal_case_string",
    ]


def test_importing_the_client_module_builds_nothing():
    # esi.errors re-exports bravado's exceptions; the client machinery itself waits.
    code = (
        "import sys, django; from django.conf import settings; settings.configure(); "
        "import esi.clients; "
        "print(sorted(m for m in ('bravado.client', 'bravado_core.spec', 'esi.operations') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_importing_bravado_through_esi_defers_jsonschemas_format_libraries():
    code = (
        "import sys, esi, bravado.client, jsonschema; "
        "print('rfc3987_syntax.syntax_helpers' in sys.modules, 'uri_template.uritemplate' in sys.modules); "
        "checker = jsonschema.FormatChecker(); "
        "print(checker.conforms('not an iri', 'iri'), checker.conforms('http://x/{a', 'uri-template'), "
        "checker.conforms('http://x/{a}', 'uri-template'), checker.conforms('a b', 'uri')); "
        "print('rfc3987_syntax.syntax_helpers' in sys.modules, 'uri_template.uritemplate' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    # Not imported by bravado; imported, and checking as before, on first use.
    assert out.stdout.split() == ["False", "False", "False", "False", "True", "False", "True", "True"]


def test_provider_builds_lazily_once_and_thread_safely(monkeypatch):
    calls = []
    real = esi.clients.get_spec

    def counting(request):
        calls.append(request)
        return real(request)

    monkeypatch.setattr(esi.clients, "get_spec", counting)
    provider = EsiClientProvider(app_info_text="t/1")
    assert calls == []
    barrier = threading.Barrier(8)
    clients = []

    def access():
        barrier.wait()
        clients.append(provider.client)

    threads = [threading.Thread(target=access) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(calls) == 1
    assert len({id(c) for c in clients}) == 1 and clients[0] is provider.client
    assert str(provider) == "EsiClientProvider"


def test_default_client_is_the_bundled_latest(settings):
    settings.ESI_SPEC_SNAPSHOT_DIRS = []
    client = esi_client_factory()
    assert "Universe" in dir(client)
    assert client.swagger_spec.spec_dict["info"]["version"] == "1.3.8"


def test_missing_resource_and_operation_name_themselves_and_the_version():
    client = esi_client_factory()
    with pytest.raises(AttributeError, match=r"Resource Nope not found on ESI version latest"):
        client.Nope  # noqa: B018
    with pytest.raises(
        AttributeError, match=r"Operation get_nothing not found in resource Universe on ESI version latest"
    ):
        client.Universe.get_nothing  # noqa: B018


def test_multi_word_resources():
    client = esi_client_factory()
    assert client.Faction_Warfare.get_fw_stats
    assert client.Planetary_Interaction.get_universe_schematics_schematic_id


def test_version_exposes_only_what_it_has(real_family):  # noqa: F811
    v4 = esi_client_factory(version="v4")
    v1 = esi_client_factory(version="v1")
    v4_ops = {name for res in dir(v4) for name in dir(getattr(v4, res))}
    v1_ops = {name for res in dir(v1) for name in dir(getattr(v1, res))}
    assert v4_ops and v4_ops != v1_ops
    shared = [r for r in dir(v1) if r in dir(v4) and set(dir(getattr(v1, r))) - set(dir(getattr(v4, r)))]
    assert shared
    resource = shared[0]
    missing = sorted(set(dir(getattr(v1, resource))) - set(dir(getattr(v4, resource))))[0]
    with pytest.raises(
        AttributeError, match=rf"{missing} not found in resource {resource} on ESI version v4"
    ):
        getattr(getattr(v4, resource), missing)
    absent = sorted(set(dir(v1)) - set(dir(v4)))[0]
    with pytest.raises(AttributeError, match=rf"Resource {absent} not found on ESI version v4"):
        getattr(v4, absent)
    assert v4.swagger_spec.spec_dict["basePath"] == "/v4"


def test_resource_versions_mix(real_family, loopback):  # noqa: F811
    client = esi_client_factory(Universe="v1", Character="v3")
    with pytest.raises(AttributeError, match="on ESI version v1"):
        client.Universe.get_universe_types_type_id  # noqa: B018 - v3 only
    loopback.route("/v3/characters/90000001/portrait/", {"px64x64": "https://images.example/64.png"})
    loopback.route(
        "/v1/universe/groups/25/",
        {"group_id": 25, "name": "Frigate", "published": True, "category_id": 6, "types": [587]},
    )
    loopback.route(
        "/latest/status/", {"players": 1, "server_version": "1", "start_time": "2020-01-01T00:00:00Z"}
    )
    portrait = client.Character.get_characters_character_id_portrait(character_id=90000001).result()
    assert portrait["px64x64"] == "https://images.example/64.png"
    assert client.Universe.get_universe_groups_group_id(group_id=25).result()["name"] == "Frigate"
    assert client.Status.get_status().result()["players"] == 1
    assert [r.path for r in loopback.requests] == [
        "/v3/characters/90000001/portrait/",
        "/v1/universe/groups/25/",
        "/latest/status/",
    ]


def test_mixed_resource_missing_operation_names_the_resources_version(real_family):  # noqa: F811
    client = esi_client_factory(Universe="v1")
    v1_universe = set(dir(client.Universe))
    latest_universe = set(dir(esi_client_factory().Universe))
    missing = sorted(latest_universe - v1_universe)[0]
    with pytest.raises(AttributeError, match=rf"{missing} not found in resource Universe on ESI version v1"):
        getattr(client.Universe, missing)


def test_resource_missing_in_its_version_raises_attribute_error(real_family):  # noqa: F811
    with pytest.raises(AttributeError, match=r"Resource Nope not found on ESI version v2"):
        esi_client_factory(Nope="v2")


def test_multi_word_resource_version(real_family):  # noqa: F811
    client = esi_client_factory(Faction_Warfare="v2")
    fw = set(dir(client.Faction_Warfare))
    assert fw and fw == set(dir(esi_client_factory(version="v2").Faction_Warfare))


def test_spec_file_builds_from_a_local_file_and_turns_versions_off(tmp_path, loopback):  # noqa: F811
    spec = {
        "swagger": "2.0",
        "info": {"title": "mini", "version": "0.1"},
        "basePath": "/mini",
        "paths": {
            "/things/{thing_id}/": {
                "get": {
                    "operationId": "get_things_thing_id",
                    "tags": ["Things"],
                    "parameters": [{"name": "thing_id", "in": "path", "required": True, "type": "integer"}],
                    "responses": {"200": {"description": "ok", "schema": {"type": "object"}}},
                }
            }
        },
    }
    import json

    path = tmp_path / "swagger.json"
    path.write_text(json.dumps(spec))
    client = esi_client_factory(spec_file=str(path), version="v4", Universe="v1")
    assert dir(client) == ["Things"]
    loopback.route("/mini/things/7/", {"id": 7})
    assert client.Things.get_things_thing_id(thing_id=7).result() == {"id": 7}
    with pytest.raises(AttributeError, match="Resource Universe not found on ESI version spec file"):
        client.Universe  # noqa: B018


def test_spec_file_that_is_not_a_spec_is_refused(tmp_path):
    path = tmp_path / "nope.json"
    path.write_text('{"hello": "world"}')
    with pytest.raises(SpecError, match="not a Swagger 2.0 or OpenAPI 3 spec"):
        esi_client_factory(spec_file=str(path))
    with pytest.raises(SpecError, match="cannot read spec file"):
        esi_client_factory(spec_file=str(tmp_path / "missing.json"))


def test_unknown_version_is_a_spec_error():
    with pytest.raises(SpecError, match="'v0x'"):
        esi_client_factory(version="v0x")


def test_compatibility_date_builds_from_the_openapi_snapshot(loopback):  # noqa: F811
    client = esi_client_factory(compatibility_date="2025-12-16")
    op = client.Universe.get_universe_types_type_id  # the Swagger-era name still works
    loopback.route(
        "/universe/types/587",
        {"type_id": 587, "name": "Rifter", "published": True, "description": "", "group_id": 25},
    )
    loopback.route(
        "/universe/types/587/",
        {"type_id": 587, "name": "Rifter", "published": True, "description": "", "group_id": 25},
    )
    assert op(type_id=587).result()["name"] == "Rifter"
    headers = loopback.requests[0].headers
    assert headers["X-Compatibility-Date"] == "2025-12-16"
    assert headers["X-Tenant"] == "tranquility"
    assert "datasource" not in loopback.requests[0].query


def test_compatibility_date_setting_and_newest(settings):
    settings.ESI_COMPATIBILITY_DATE = "newest"
    provider = EsiClientProvider()
    assert provider.client._context.prepared.compatibility_date == "2025-12-16"
    # An explicit version wins over the setting.
    assert esi_client_factory(version="latest")._context.prepared.compatibility_date is None


def test_compatibility_date_with_versions_is_refused():
    with pytest.raises(ValueError, match="compatibility date"):
        esi_client_factory(compatibility_date="2025-12-16", Universe="v1")


def test_one_pooled_session_per_provider(loopback, settings):  # noqa: F811
    settings.ESI_PAGES_MAX_WORKERS = 2
    loopback.route(
        "/latest/status/", {"players": 1, "server_version": "1", "start_time": "2020-01-01T00:00:00Z"}
    )
    provider = EsiClientProvider()
    for _ in range(5):
        provider.client.Status.get_status().result()
    # Kept-alive: five calls, one connection.
    assert len({r.client_port for r in loopback.requests}) == 1
    other = EsiClientProvider()
    other.client.Status.get_status().result()
    assert len({r.client_port for r in loopback.requests}) == 2
    assert other.client._context.http_client.session is not provider.client._context.http_client.session


def test_live_spec_is_downloaded_when_asked(settings):
    import responses

    spec = {
        "swagger": "2.0",
        "info": {"title": "EVE Swagger Interface", "version": "9.9.9"},
        "basePath": "/latest",
        "paths": {
            "/status/": {
                "get": {
                    "operationId": "get_status",
                    "tags": ["Status"],
                    "responses": {"200": {"description": "ok", "schema": {"type": "object"}}},
                }
            }
        },
    }
    settings.ESI_SPEC_LIVE = True
    settings.ESI_SPEC_OFFLINE = False
    settings.ESI_API_URL = "https://esi.example/"
    with responses.RequestsMock() as mock:
        mock.get("https://esi.example/latest/swagger.json", json=spec)
        client = esi_client_factory()
        assert dir(client) == ["Status"]
        assert client._context.prepared.label == "latest (live)"
    settings.ESI_SPEC_OFFLINE = True
    with pytest.raises(SpecError, match="ESI_SPEC_OFFLINE"):
        esi_client_factory()


def test_offline_without_a_real_route_snapshot_derives_it_and_says_what_is_missing(settings):
    from spec_snapshots import SpecDerivedWarning

    settings.ESI_SPEC_SNAPSHOT_DIRS = []
    settings.ESI_SPEC_OFFLINE = True
    with pytest.warns(SpecDerivedWarning):
        client = esi_client_factory(Universe="v2")
    assert client._context.prepared.version_of("Universe") == "v2"
    assert dir(client.Universe)
    # The 2020 latest spec has no v3 Character operation to derive from.
    with (
        pytest.warns(SpecDerivedWarning),
        pytest.raises(AttributeError, match="Resource Character not found on ESI version v3") as exc,
    ):
        esi_client_factory(Universe="v1", Character="v3")
    assert "v3 here is derived from swagger2/latest/1.3.8" in str(exc.value)
    assert "python -m spec_snapshots update --route v3" in str(exc.value)
    # The offline example of the docs: every resource named exists in the derived routes.
    with pytest.warns(SpecDerivedWarning):
        client = esi_client_factory(Universe="v1", Character="v4")
    assert client.Character.get_characters_character_id


def test_minimize_spec_keeps_the_operations_and_resources_named(tmp_path, loopback):  # noqa: F811
    import json

    import spec_snapshots
    from esi.clients import minimize_spec

    full = spec_snapshots.get(route="latest", dirs=[]).load()
    small = minimize_spec(full, operations=["get_status"], resources=["Faction Warfare"])
    assert full["paths"] != small["paths"] and full["paths"]["/status/"]  # the input is kept
    names = {op["operationId"] for item in small["paths"].values() for op in item.values()}
    assert "get_status" in names and "get_fw_stats" in names and "get_universe_types" not in names
    path = tmp_path / "small.json"
    path.write_text(json.dumps(small))
    client = esi_client_factory(spec_file=str(path))
    assert dir(client) == ["Faction_Warfare", "Status"]


def test_datasource_is_the_tenant_in_the_openapi_era(loopback):  # noqa: F811
    loopback.route("/status", {"players": 1, "server_version": "1", "start_time": "2020-01-01T00:00:00Z"})
    client = esi_client_factory(compatibility_date="2025-12-16", datasource="singularity")
    client.Status.get_status().result()
    assert loopback.requests[0].headers["X-Tenant"] == "singularity"
    with pytest.raises(ValueError, match="nowhere"):
        esi_client_factory(compatibility_date="2025-12-16", datasource="nowhere")
