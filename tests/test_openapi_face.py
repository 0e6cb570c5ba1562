"""The OpenAPI-era face (``esi.openapi_clients``) against the fake ESI, with 10.x's semantics.

Pydantic models, CamelCase operation ids, ``use_etag`` raising HTTPNotModified,
``results()`` and ``results_localized()``, tokens and their scopes, the
``esi.exceptions`` errors, the ``esi_request_statistics`` signal, ``esi.stubs``.
The fake runs in-process, or as a loopback server with ``ESI_FAKE_MODE=server``.
"""

from __future__ import annotations

import pickle
from typing import Any

import pytest
from pydantic import BaseModel

from esi import errors
from esi.errors import SpecError
from esi.exceptions import (
    ESIBucketLimitException,
    ESIErrorLimitException,
    HTTPClientError,
    HTTPNotModified,
    HTTPServerError,
    TaskBucketLimitException,
)
from esi.openapi_clients import ESIClientProvider, pascal_case_string, snapshot_date
from esi.signals import esi_request_statistics
from esi_testing.factories import TokenFactory

DATE = "2025-12-16"
CHARACTER_ID = 90000001

pytestmark = pytest.mark.esi_snapshot(DATE)


@pytest.fixture
def esi(fake_esi: Any) -> ESIClientProvider:
    return ESIClientProvider(
        compatibility_date=DATE,
        ua_appname="Face Tests",
        ua_version="1.2.3",
        ua_url="https://example.com/face",
        operations=["GetStatus", "GetCharactersCharacterId"],
    )


def _sent(fake: Any, path: str) -> int:
    return sum(1 for e in fake.journal if e.path == path)


def test_a_result_is_a_pydantic_model_with_attribute_access(esi: ESIClientProvider) -> None:
    character = esi.client.Character.GetCharactersCharacterId(character_id=CHARACTER_ID).result()
    assert isinstance(character, BaseModel)
    assert type(character).__name__ == "CharactersDetail"
    assert character.name == "Ada Quickfoot"
    assert character.birthday.tzinfo is not None
    assert character.model_dump()["corporation_id"] == character.corporation_id


def test_requests_carry_the_apps_user_agent_and_the_compatibility_date_asked_for(fake_esi: Any) -> None:
    esi = ESIClientProvider("2026-08-18", ua_appname="my-app", ua_version="2.0", ua_url="https://x.example")
    esi.client.Status.GetStatus().result()
    sent = fake_esi.journal[-1]
    assert sent.headers["X-Compatibility-Date"] == "2026-08-18"
    assert sent.headers["X-Tenant"] == "tranquility"
    assert sent.headers["User-Agent"].startswith("MyApp/2.0 (+https://x.example) django-esi/")


def test_a_date_without_snapshot_uses_the_newest_before_it_and_none_before_all_is_an_error() -> None:
    assert snapshot_date("2026-08-18") == DATE
    assert snapshot_date(DATE) == DATE
    with pytest.raises(SpecError, match="no OpenAPI snapshot for compatibility date 2001-01-01"):
        snapshot_date("2001-01-01")
    with pytest.raises(ValueError):
        ESIClientProvider("not a date", "App", "1.0")


def test_pascal_case_of_the_app_name() -> None:
    assert [pascal_case_string(s) for s in ("app name", "app-name", "appname", "AppName", "app_name")] == [
        "AppName",
        "AppName",
        "appname",
        "AppName",
        "app_name",
    ]


def test_use_etag_raises_not_modified_for_an_answer_already_handed_out(esi: ESIClientProvider) -> None:
    operation = esi.client.Status.GetStatus
    first = operation().result()
    with pytest.raises(HTTPNotModified) as caught:
        operation().result()
    assert caught.value.status_code == 304
    assert caught.value.headers["ETag"]
    assert operation().result(use_etag=False).players == first.players


def test_force_refresh_asks_esi_again_and_returns_data(esi: ESIClientProvider, fake_esi: Any) -> None:
    operation = esi.client.Status.GetStatus
    operation().result()
    before = _sent(fake_esi, "/status")
    assert operation().result(force_refresh=True).players
    assert _sent(fake_esi, "/status") == before + 1


def test_use_cache_false_asks_esi_and_store_cache_false_keeps_the_answer_out(
    esi: ESIClientProvider, fake_esi: Any
) -> None:
    operation = esi.client.Status.GetStatus
    operation().result(use_etag=False, store_cache=False)
    operation().result(use_etag=False)  # not cached above: sent
    operation().result(use_etag=False)  # cached now: not sent
    operation().result(use_etag=False, use_cache=False)  # sent
    assert _sent(fake_esi, "/status") == 3


def test_return_response_gives_the_response_too(esi: ESIClientProvider) -> None:
    data, response = esi.client.Status.GetStatus().result(return_response=True)
    assert data.players and response.status_code == 200 and "ETag" in response.headers


def test_results_of_a_call_without_pages_is_a_list_of_one(esi: ESIClientProvider) -> None:
    found = esi.client.Status.GetStatus().results(use_etag=False)
    assert isinstance(found, list) and len(found) == 1 and found[0].players


def test_results_fetches_every_page_and_is_not_modified_only_when_no_page_changed(
    esi: ESIClientProvider, fake_esi: Any
) -> None:
    operation = esi.client.Market.GetMarketsRegionIdOrders
    orders, response = operation(region_id=10000002, order_type="all").results(return_response=True)
    pages = int(response.headers["X-Pages"])
    assert pages > 1
    assert len(orders) > 1000 * (pages - 1)
    assert type(orders[0]).__name__ == "MarketsRegionIdOrdersGetItem" and orders[0].order_id
    with pytest.raises(HTTPNotModified):
        operation(region_id=10000002, order_type="all").results()
    assert len(operation(region_id=10000002, order_type="all").results(use_etag=False)) == len(orders)


def test_results_localized_by_language(esi: ESIClientProvider, fake_esi: Any) -> None:
    found = esi.client.Universe.GetUniverseTypesTypeId(type_id=587).results_localized(languages=["de", "ja"])
    assert list(found) == ["de", "ja"]
    assert all(items[0].type_id == 587 for items in found.values())
    languages = {
        e.headers.get("Accept-Language") for e in fake_esi.journal if e.path == "/universe/types/587"
    }
    assert languages == {"de", "ja"}
    with pytest.raises(ValueError, match="Invalid or Not Supported Language Code: xx"):
        esi.client.Universe.GetUniverseTypesTypeId(type_id=587).results_localized(languages=["xx"])


def test_a_body_goes_as_body(esi: ESIClientProvider, fake_esi: Any) -> None:
    names = esi.client.Universe.PostUniverseNames(body=[CHARACTER_ID]).result()
    assert type(names[0]).__name__ == "UniverseNamesPostItem" and names[0].name
    assert fake_esi.journal[-1].body == [CHARACTER_ID]


@pytest.mark.django_db
def test_a_token_with_the_scope_reads_private_data(esi: ESIClientProvider, fake_esi: Any) -> None:
    token = TokenFactory(character_id=CHARACTER_ID, scopes=["esi-skills.read_skills.v1"])
    skills = esi.client.Skills.GetCharactersCharacterIdSkills(character_id=CHARACTER_ID, token=token).result()
    assert skills.total_sp >= 0
    with pytest.raises(HTTPClientError) as caught:  # the fake checks the token: none, no data
        esi.client.Skills.GetCharactersCharacterIdSkills(character_id=CHARACTER_ID).result()
    assert caught.value.status_code in (401, 403)


@pytest.mark.django_db
def test_a_token_without_the_scope_is_refused_before_sending(esi: ESIClientProvider, fake_esi: Any) -> None:
    token = TokenFactory(character_id=CHARACTER_ID, scopes=["esi-assets.read_assets.v1"])
    before = len(fake_esi.journal)
    with pytest.raises(ValueError, match=r"Token Missing Scopes - \['esi-skills.read_skills.v1'\]"):
        esi.client.Skills.GetCharactersCharacterIdSkills(character_id=CHARACTER_ID, token=token).result()
    with pytest.raises(ValueError, match="Token provided on public endpoint"):
        esi.client.Status.GetStatus(token=token).result()
    assert len(fake_esi.journal) == before


def test_a_404_is_http_client_error_with_status_and_data(esi: ESIClientProvider, fake_esi: Any) -> None:
    fake_esi.add_fault(operation="GetStatus", status=404)
    with pytest.raises(HTTPClientError) as caught:
        esi.client.Status.GetStatus().result()
    assert caught.value.status_code == 404 and caught.value.data


def test_a_500_is_http_server_error(esi: ESIClientProvider, fake_esi: Any, settings: Any) -> None:
    settings.ESI_SERVER_ERROR_MAX_RETRIES = 0
    fake_esi.add_fault(operation="GetStatus", status=500)
    with pytest.raises(HTTPServerError) as caught:
        esi.client.Status.GetStatus().result()
    assert caught.value.status_code == 500


def test_a_spent_error_limit_is_esi_error_limit_exception(esi: ESIClientProvider, fake_esi: Any) -> None:
    fake_esi.add_fault(operation="GetStatus", status=420, times=1)
    with pytest.raises(ESIErrorLimitException) as first:
        esi.client.Status.GetStatus().result()
    # The HTTP layer now holds every call (in every process) until the reset.
    with pytest.raises(ESIErrorLimitException) as held:
        esi.client.Status.GetStatus().result()
    assert isinstance(held.value, errors.ErrorLimitExceeded)
    assert held.value.reset and held.value.reset > 0
    assert isinstance(first.value, errors.ErrorLimitExceeded)


def test_the_10x_exceptions_are_in_the_one_tree_and_pickle() -> None:
    assert issubclass(HTTPClientError, errors.DjangoEsiException)
    assert issubclass(ESIErrorLimitException, errors.ErrorLimitExceeded)
    assert issubclass(ESIBucketLimitException, errors.RateLimitExceeded)
    assert issubclass(TaskBucketLimitException, errors.ESILimitError)
    assert errors.SSOUnavailableError is errors.SSOUnavailable
    built = [
        HTTPClientError(status_code=404, headers={}, data={"error": "x"}),
        HTTPNotModified(status_code=304, headers={}),
        ESIErrorLimitException(reset=10),
        ESIBucketLimitException(bucket=None, reset=1.0),
        TaskBucketLimitException("bucket", 5),
    ]
    for exc in built:
        copy = pickle.loads(pickle.dumps(exc))
        assert type(copy) is type(exc) and str(copy) == str(exc)
    assert built[2].reset == 10 and built[2].retry_after == 10
    assert built[3].reset == 1.0 and built[3].bucket is None


def test_every_call_sends_esi_request_statistics(esi: ESIClientProvider) -> None:
    seen: list[dict[str, Any]] = []

    def receiver(sender: Any, **kwargs: Any) -> None:
        seen.append(kwargs)

    esi_request_statistics.connect(receiver)
    try:
        esi.client.Status.GetStatus().result(use_etag=False)
        esi.client.Status.GetStatus().result(use_etag=False)
    finally:
        esi_request_statistics.disconnect(receiver)
    assert [(s["operation"], s["status_code"], s["bucket"]) for s in seen] == [
        ("GetStatus", 200, "status"),
        ("GetStatus", 0, "status"),  # the second came from the cache
    ]
    assert seen[0]["headers"]["ETag"] and seen[0]["latency"] >= 0


def test_stubs_names_are_the_models_the_face_returns(esi: ESIClientProvider) -> None:
    from esi import stubs

    character = esi.client.Character.GetCharactersCharacterId(character_id=CHARACTER_ID).result()
    assert type(character) is stubs.CharactersDetail
    assert stubs.CharacterID is int
    assert stubs.UniverseFactionsGetItem.__name__ == "UniverseFactionsGetItem"
    assert stubs.PostUniverseNamesOperationBody == list[int]
    assert issubclass(stubs.PostUniverseNamesOperation, type(esi.client.Status.GetStatus))
    with pytest.raises(AttributeError, match="no such schema"):
        stubs.NoSuchSchemaAnywhere  # noqa: B018


def test_a_property_named_like_a_keyword_gets_an_underscore(fake_esi: Any) -> None:
    from esi.openapi_clients.models import ModelBuilder

    builder = ModelBuilder(
        {"definitions": {"Mail": {"type": "object", "properties": {"from": {"type": "integer"}}}}}
    )
    mail = builder.named("Mail").model_validate({"from": 5})
    assert mail.from_ == 5 and mail.model_dump(by_alias=True) == {"from": 5}


def test_results_refuses_an_x_pages_beyond_esi_pages_max_after_page_1(
    esi: ESIClientProvider, fake_esi: Any, settings: Any
) -> None:
    from unittest import mock

    from esi.http import EsiHTTPAdapter

    settings.ESI_PAGES_MAX = 50
    original = EsiHTTPAdapter._send_once

    def many_pages(adapter: Any, request: Any, *args: Any) -> Any:
        response = original(adapter, request, *args)
        response.headers["X-Pages"] = "100000"
        return response

    with mock.patch.object(EsiHTTPAdapter, "_send_once", many_pages):
        with pytest.raises(errors.IncompleteResponseError, match="more than ESI_PAGES_MAX=50"):
            esi.client.Market.GetMarketsRegionIdOrders(region_id=10000002, order_type="all").results()
    assert _sent(fake_esi, "/markets/10000002/orders") == 1


def test_purge_all_etags_forgets_what_this_app_was_handed_only(esi: ESIClientProvider, fake_esi: Any) -> None:
    other = ESIClientProvider(DATE, ua_appname="Other App", ua_version="1.0")
    esi.client.Status.GetStatus().result()
    other.client.Status.GetStatus().result()
    esi.client.purge_all_etags()
    assert esi.client.Status.GetStatus().result().players  # data again, not HTTPNotModified
    with pytest.raises(HTTPNotModified):
        other.client.Status.GetStatus().result()  # the other app's ETags are its own


def test_unknown_tags_and_operations_name_what_exists(esi: ESIClientProvider, caplog: Any) -> None:
    with pytest.raises(AttributeError, match="Resource Nope not found"):
        esi.client.Nope  # noqa: B018
    with pytest.raises(AttributeError, match="Operation GetNothing not found in resource Status"):
        esi.client.Status.GetNothing  # noqa: B018
    listed = ESIClientProvider(
        DATE, "App", "1.0", operations=["GetStatus", "GetNothing"], tags=["Status", "Nope"]
    )
    assert listed.client.Status.GetStatus  # built: the unknown names are logged
    warned = [r.getMessage() for r in caplog.records if r.name == "esi.openapi_clients"]
    assert any("operation GetNothing is not in the spec" in w for w in warned)
    assert any("tag Nope is not in the spec" in w for w in warned)
    assert esi.client.Planetary_Interaction.GetUniverseSchematicsSchematicId  # a tag with a space


def test_last_modified_is_sent_as_if_modified_since(esi: ESIClientProvider, fake_esi: Any) -> None:
    import datetime as dt

    when = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc)
    esi.client.Status.GetStatus().result(use_etag=False, last_modified=when)
    assert fake_esi.journal[-1].headers["If-Modified-Since"] == "Fri, 02 Jan 2026 03:04:05 GMT"


@pytest.mark.django_db
def test_an_access_token_string_still_works_with_a_deprecation_warning(esi: ESIClientProvider) -> None:
    token = TokenFactory(character_id=CHARACTER_ID, scopes=["esi-skills.read_skills.v1"])
    operation = esi.client.Skills.GetCharactersCharacterIdSkills(
        character_id=CHARACTER_ID, token=token.access_token
    )
    with pytest.warns(DeprecationWarning, match="access token string is deprecated"):
        assert operation.result().total_sp >= 0
    assert operation.required_scopes() == ["esi-skills.read_skills.v1"]


def test_a_spent_rate_limit_is_esi_bucket_limit_exception_naming_the_group(
    esi: ESIClientProvider, fake_esi: Any, settings: Any
) -> None:
    settings.ESI_RATE_LIMIT_MAX_WAIT = 0
    fake_esi.add_fault(operation="GetStatus", status=429, times=1)
    with pytest.raises(HTTPClientError) as answered:  # ESI's 429 itself, as 10.x raises it
        esi.client.Status.GetStatus().result()
    assert answered.value.status_code == 429
    before = len(fake_esi.journal)
    with pytest.raises(ESIBucketLimitException) as caught:  # then held before sending, in every process
        esi.client.Status.GetStatus().result()
    assert len(fake_esi.journal) == before
    assert isinstance(caught.value, errors.RateLimitExceeded)
    assert caught.value.bucket == "status" and caught.value.reset > 0


def test_results_with_force_refresh_returns_every_page_again(esi: ESIClientProvider, fake_esi: Any) -> None:
    operation = esi.client.Market.GetMarketsRegionIdOrders
    orders = operation(region_id=10000002, order_type="all").results()
    before = _sent(fake_esi, "/markets/10000002/orders")
    again = operation(region_id=10000002, order_type="all").results(force_refresh=True)
    assert len(again) == len(orders)
    assert _sent(fake_esi, "/markets/10000002/orders") > before


def test_post_calls_as_eveuniverse_and_alliance_auth_make_them(esi: ESIClientProvider) -> None:
    ids = esi.client.Universe.PostUniverseIds(body=["Ada Quickfoot"]).result(use_etag=False)
    found = {category: entities for category, entities in ids.model_dump().items() if entities}
    assert found == {"characters": [{"id": CHARACTER_ID, "name": "Ada Quickfoot"}]}
    affiliations, response = esi.client.Character.PostCharactersAffiliation(body=[CHARACTER_ID]).result(
        use_etag=False, return_response=True
    )
    assert affiliations[0].character_id == CHARACTER_ID and affiliations[0].corporation_id
    assert response.status_code == 200


def test_a_spec_file_of_the_openapi_era_is_used_as_given(fake_esi: Any, tmp_path: Any) -> None:
    import gzip
    import shutil

    import spec_snapshots

    path = tmp_path / "openapi_2025-12-16.json"
    with gzip.open(spec_snapshots.get(compatibility_date=DATE).path) as packed, path.open("wb") as out:
        shutil.copyfileobj(packed, out)
    esi = ESIClientProvider(DATE, "django-eveuniverse", "2.2.0", spec_file=str(path))
    assert esi.client.Universe.GetUniverseTypesTypeId(type_id=587).result(use_etag=False).name == "Rifter"
    assert fake_esi.journal[-1].headers["X-Compatibility-Date"] == DATE


def test_both_faces_share_one_engine_its_limits_cache_and_statistics(
    esi: ESIClientProvider, fake_esi: Any
) -> None:
    from esi.clients import EsiClientProvider

    bravado_era = EsiClientProvider(compatibility_date=DATE).client
    seen: list[str] = []

    def receiver(sender: Any, operation: str, **kwargs: Any) -> None:
        seen.append(operation)

    esi_request_statistics.connect(receiver)
    try:
        bravado_era.Status.get_status().result()
        esi.client.Status.GetStatus().result(use_etag=False)  # the bravado-era call cached it
    finally:
        esi_request_statistics.disconnect(receiver)
    assert seen == ["GetStatus", "GetStatus"] and _sent(fake_esi, "/status") == 1
    fake_esi.add_fault(operation="GetStatus", status=420, times=1)
    with pytest.raises(ESIErrorLimitException):
        esi.client.Status.GetStatus().result(force_refresh=True)
    with pytest.raises(errors.ErrorLimitExceeded):  # one limiter: the other face is held too
        bravado_era.Universe.get_universe_types_type_id(type_id=587).result()
