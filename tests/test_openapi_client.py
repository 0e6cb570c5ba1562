"""The OpenAPI-era client (compatibility dates) against the fake ESI, as its users call it.

Both operation names, the headers of every request, the tenant, localization,
X-Pages paging, 2.x code on the Swagger default, and the errors naming the date.
The fake runs through the ``fake_esi`` fixture of esi_testing's pytest plugin
(in-process, or a loopback server with ``--esi-mode server``).
"""

from __future__ import annotations

from typing import Any

import pytest
import requests

from esi.clients import EsiClientProvider, esi_client_factory
from esi.spec import clear_memory_cache

DATE = "2025-12-16"
OPENAPI_LANGUAGES = ["en", "de", "fr", "ja", "ru", "zh", "ko", "es"]
CHARACTER_ID = 90000001  # a character of the default data pack

pytestmark = pytest.mark.esi_snapshot(DATE)


@pytest.fixture
def client(fake_esi: Any, settings: Any) -> Any:
    settings.ESI_CACHE_RESPONSE = False  # every call reaches the fake and its journal
    return esi_client_factory(compatibility_date=DATE)


def _sent(fake_esi: Any, since: int = 0) -> list[Any]:
    return fake_esi.journal[since:]


def test_the_spec_name_and_the_swagger_era_name_are_the_same_operation(client: Any, fake_esi: Any) -> None:
    new = client.Universe.GetUniverseTypesTypeId(type_id=587).result()
    old = client.Universe.get_universe_types_type_id(type_id=587).result()
    assert new == old and new["type_id"] == 587
    assert [e.path for e in _sent(fake_esi)] == ["/universe/types/587"] * 2
    assert (
        client.Universe.get_universe_types_type_id.operation
        is client.Universe.GetUniverseTypesTypeId.operation
    )


def test_body_parameters_keep_their_swagger_era_names(client: Any, fake_esi: Any) -> None:
    names = client.Universe.post_universe_names(ids=[587, 30000142]).result()
    assert isinstance(names, list) and names
    sent = _sent(fake_esi)[-1]
    assert (sent.method, sent.path, sent.body) == ("POST", "/universe/names", [587, 30000142])


def test_every_request_sends_the_compatibility_date_and_the_tenant(client: Any, fake_esi: Any) -> None:
    token = fake_esi.issue_tokens(CHARACTER_ID, ["esi-assets.read_assets.v1"])["access_token"]
    client.Status.get_status().result()
    client.Assets.get_characters_character_id_assets(character_id=CHARACTER_ID, token=token).result()
    client.Universe.post_universe_ids(names=["Jita"]).result()
    client.Market.get_markets_region_id_orders(region_id=10000002, order_type="all").results()
    client.Universe.get_universe_types_type_id(type_id=587).results_localized(languages=["de", "ja"])
    sent = _sent(fake_esi)
    assert len(sent) >= 7
    assert {(e.headers.get("X-Compatibility-Date"), e.headers.get("X-Tenant")) for e in sent} == {
        (DATE, "tranquility")
    }
    assert {e.status for e in sent} == {200}
    # No Swagger-era leftovers on the wire: no datasource query, no version prefix.
    assert not any("datasource" in e.query or e.path.startswith("/latest/") for e in sent)


@pytest.mark.parametrize("make", [esi_client_factory, lambda **kw: EsiClientProvider(**kw).client])
def test_datasource_singularity_is_the_tenant_singularity(make: Any, fake_esi: Any, settings: Any) -> None:
    settings.ESI_CACHE_RESPONSE = False
    make(compatibility_date=DATE, datasource="singularity").Status.get_status().result()
    assert _sent(fake_esi)[-1].headers.get("X-Tenant") == "singularity"


def test_a_datasource_given_to_the_operation_is_the_tenant(client: Any, fake_esi: Any) -> None:
    # 2.x code passes datasource= to operations; the OpenAPI specs have no such parameter.
    client.Status.get_status(datasource="singularity").result()
    sent = _sent(fake_esi)[-1]
    assert sent.headers.get("X-Tenant") == "singularity"
    assert "datasource" not in sent.query


def test_language_is_sent_as_accept_language(client: Any, fake_esi: Any) -> None:
    german = client.Universe.get_universe_types_type_id(type_id=587, language="de").result()
    assert _sent(fake_esi)[-1].headers.get("Accept-Language") == "de"
    korean = client.Universe.get_universe_types_type_id(type_id=587).result(language="ko")
    assert _sent(fake_esi)[-1].headers.get("Accept-Language") == "ko"
    assert german["type_id"] == korean["type_id"] == 587


def test_results_localized_covers_the_eight_openapi_languages(client: Any, fake_esi: Any) -> None:
    by_language = client.Universe.get_universe_types_type_id(type_id=587).results_localized()
    assert list(by_language) == OPENAPI_LANGUAGES
    assert sorted(e.headers.get("Accept-Language") for e in _sent(fake_esi)) == sorted(OPENAPI_LANGUAGES)
    assert {d["type_id"] for d in by_language.values()} == {587}
    # Each answer is its language's: the names are not all one text.
    assert len({d["name"] for d in by_language.values()}) > 1
    with pytest.raises(ValueError, match="xx"):
        client.Universe.get_universe_types_type_id(type_id=587).results_localized(languages=["en", "xx"])


def test_results_reads_x_pages_and_fetches_every_page(client: Any, fake_esi: Any) -> None:
    operation = client.Market.get_markets_region_id_orders
    future = operation(region_id=10000002, order_type="all")
    future.request_config.also_return_response = True
    first, response = future.result()
    pages = int(response.headers["X-Pages"])
    assert pages > 1, "the default data pack has more than one page of Jita orders"
    since = len(fake_esi.journal)
    everything = operation(region_id=10000002, order_type="all").results()
    requested = sorted(int(e.query["page"][0]) for e in _sent(fake_esi, since))
    assert requested == list(range(1, pages + 1))
    by_page = [operation(region_id=10000002, order_type="all").result(page=p) for p in range(1, pages + 1)]
    assert by_page[0] == first
    assert everything == [order for page in by_page for order in page]


def test_a_missing_operation_or_resource_names_the_date(client: Any) -> None:
    # get_route_origin_destination is a Swagger-era operation the 2025-12-16 spec does not have.
    with pytest.raises(AttributeError, match=f"get_route_origin_destination.*{DATE}"):
        client.Routes.get_route_origin_destination  # noqa: B018
    # So are the opportunities, resource and all.
    with pytest.raises(AttributeError, match=f"Opportunities.*{DATE}"):
        client.Opportunities  # noqa: B018


@pytest.mark.esi_snapshot("latest")
def test_2x_code_is_unchanged_without_a_compatibility_date(fake_esi: Any, settings: Any) -> None:
    settings.ESI_CACHE_RESPONSE = False
    assert getattr(settings, "ESI_COMPATIBILITY_DATE", None) is None
    client = EsiClientProvider(app_info_text="my-app/1.0").client
    assert client._context.prepared.compatibility_date is None
    rifter = client.Universe.get_universe_types_type_id(type_id=587).result()
    assert rifter["type_id"] == 587
    sent = _sent(fake_esi)[-1]
    assert sent.path == "/latest/universe/types/587/"
    assert sent.query.get("datasource") == ["tranquility"]
    assert "X-Compatibility-Date" not in sent.headers
    # The OpenAPI names are not part of the Swagger spec.
    with pytest.raises(AttributeError, match="latest"):
        client.Universe.GetUniverseTypesTypeId  # noqa: B018


def test_results_follows_the_cursor_of_x_pagination_operations(client: Any, fake_esi: Any) -> None:
    # GetFreelanceJobsListing has x-pagination: cursor; the fake answers 10 items per request by default.
    raw = requests.get(
        fake_esi.url + "/freelance-jobs", headers={"X-Compatibility-Date": DATE}, timeout=10
    ).json()
    key = next(k for k, v in raw.items() if isinstance(v, list))
    jobs = [{**raw[key][0], "id": f"00000000-0000-4000-8000-{i:012d}"} for i in range(25)]
    fake_esi.add_data(
        {"operation": "GetFreelanceJobsListing", "params": {}, "body": {"cursor": {}, key: jobs}}
    )
    since = len(fake_esi.journal)
    everything = client.Freelance_Jobs.GetFreelanceJobsListing().results()
    items = everything[key] if isinstance(everything, dict) else everything
    assert sorted(str(job["id"]) for job in items) == sorted(job["id"] for job in jobs)
    assert len(_sent(fake_esi, since)) > 1  # one request per cursor page


def test_the_swagger_era_name_survives_a_rename_between_dates(settings: Any, shared_specs: Any) -> None:
    # 2026-08-04 renamed GetCharactersCharacterId to GetCharactersDetail; the path did not change.
    settings.ESI_SPEC_SNAPSHOT_DIRS = [str(shared_specs)]
    clear_memory_cache()
    try:
        before = esi_client_factory(compatibility_date="2025-12-16").Character
        after = esi_client_factory(compatibility_date="2026-08-04").Character
        assert before.get_characters_character_id.operation.operation_id == "GetCharactersCharacterId"
        assert after.get_characters_character_id.operation.operation_id == "GetCharactersDetail"
        with pytest.raises(AttributeError, match="GetCharactersCharacterId.*2026-08-04"):
            after.GetCharactersCharacterId  # noqa: B018
    finally:
        clear_memory_cache()
