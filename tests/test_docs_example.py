"""Testing your app offline: the complete example module of docs/testing.rst.

It runs in CI like any test: the fake ESI and fake SSO answer everything, and
``test_replay_a_recording`` replays a cassette committed next to it.
"""

import pytest
from bravado.exception import HTTPServiceUnavailable

from esi.clients import esi_client_factory
from esi.errors import TokenExpiredError

pytestmark = pytest.mark.django_db


def test_public_data(esi_client):
    status = esi_client.client.Status.get_status().result()
    assert status["players"] >= 0


def test_every_page_in_order(esi_client, fake_esi):
    orders = esi_client.client.Market.get_markets_region_id_orders(
        region_id=10000002, order_type="all"
    ).results()
    assert len(orders) == 2500  # the default data pack: 3 pages of 1000
    pages = sorted(
        e.query["page"][0] for e in fake_esi.journal if e.operation == "get_markets_region_id_orders"
    )
    assert pages == ["1", "2", "3"]


def test_every_language(esi_client):
    rifter = esi_client.client.Universe.get_universe_types_type_id(type_id=587).results_localized()
    assert rifter["de"]["name"] == "Rifter" and rifter["ja"]["name"] == "リフター"


def test_a_call_with_a_token(esi_token, fake_esi):
    client = esi_client_factory(token=esi_token)
    skills = client.Skills.get_characters_character_id_skills(character_id=esi_token.character_id).result()
    assert "total_sp" in skills
    call = fake_esi.journal[-1]
    assert call.character_id == esi_token.character_id  # the fake checked the JWT


def test_expired_tokens_refresh(esi_token_factory, fake_esi):
    token = esi_token_factory(expired=True, scopes=["esi-skills.read_skills.v1"])
    token.valid_access_token()
    assert len(fake_esi.sso.calls("token", grant_type="refresh_token")) == 1
    with pytest.raises(TokenExpiredError):
        esi_token_factory(expired=True, no_refresh_token=True).valid_access_token()


@pytest.mark.esi_faults(operation="get_status", status=503, times=10)
def test_an_outage(esi_client):
    with pytest.raises(HTTPServiceUnavailable):
        esi_client.client.Status.get_status().result()


@pytest.mark.esi_data(
    {
        "operation": "get_status",
        "body": {"players": 31337, "server_version": "2718281", "start_time": "2026-11-23T11:00:00Z"},
    }
)
def test_your_own_data(esi_client):
    assert esi_client.client.Status.get_status().result()["players"] == 31337


@pytest.mark.esi_cassette("status.yaml")
def test_replay_a_recording(esi_vcr):
    # No fake here: the answer comes from tests/cassettes/status.yaml, recorded once with
    # `pytest --esi-record-mode=once` (secrets scrubbed); replaying never touches the network.
    status = esi_client_factory().Status.get_status().result()
    assert status["players"] == 12345
    assert esi_vcr.play_count == 1
