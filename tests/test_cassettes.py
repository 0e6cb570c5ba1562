"""Recordings become data: cassettes to data packs, and the recording proxy."""

from __future__ import annotations

import json

import pytest
import requests

from esi.clients import EsiClientProvider
from esi_testing import FakeESI
from esi_testing.__main__ import main
from esi_testing.cassettes import RecordingProxy, cassettes_to_pack
from esi_testing.factories import TokenFactory, use_fake
from esi_testing.recording import use_cassette

pytestmark = pytest.mark.django_db(transaction=True)

SKILLS = "esi-skills.read_skills.v1"


@pytest.fixture
def live_stand_in():
    """A fake ESI on loopback that the tests treat as the live ESI."""
    with FakeESI(mode="server") as fake, fake.override_settings(), use_fake(fake):
        yield fake


def _record_session(fake, cassette):
    token = TokenFactory(character_id=90000001, scopes=[SKILLS], expired=True)
    secrets = {token.refresh_token, fake.client_secret}
    with use_cassette(cassette, record_mode="once"):
        token.valid_access_token()  # a refresh through the SSO: tokens in both directions
        secrets |= {token.access_token, token.refresh_token}
        client = EsiClientProvider().client
        status = client.Status.get_status().result()
        skills = client.Skills.get_characters_character_id_skills(character_id=90000001, token=token).result()
        rifter = client.Universe.get_universe_types_type_id(type_id=587, language="fr").result()
        orders = client.Market.get_markets_region_id_orders(region_id=10000002, order_type="all").results()
    return secrets, {"status": status, "skills": skills, "rifter": rifter, "orders": orders}


def test_recording_through_the_fake_leaves_no_secret_in_the_cassette(live_stand_in, tmp_path):
    cassette = tmp_path / "session.yaml"
    secrets, seen = _record_session(live_stand_in, cassette)
    text = cassette.read_text()
    assert "get_status" not in text and "/latest/status/" in text  # it did record
    for secret in secrets:
        assert secret and secret not in text, "a secret reached the cassette"
    assert "Bearer " not in text.replace("Bearer <SCRUBBED", "")
    assert seen["rifter"]["name"] == "Rifter" and len(seen["orders"]) == 2500


def test_cassette_becomes_a_data_pack_the_fake_serves(live_stand_in, tmp_path):
    cassette = tmp_path / "session.yaml"
    _, seen = _record_session(live_stand_in, cassette)
    pack, report = cassettes_to_pack([cassette])
    assert report.kept == len(pack) >= 6  # status, skills, fr type, 3 order pages
    assert any("(SSO)" in reason for reason in report.skipped)
    operations = {r.operation for r in pack}
    assert {"get_status", "get_characters_character_id_skills", "get_universe_types_type_id"} <= operations
    rifter = next(r for r in pack if r.operation == "get_universe_types_type_id")
    assert rifter.language == "fr" and rifter.params == {"type_id": 587}

    out = tmp_path / "pack.json"
    assert main(["cassettes-to-data", str(cassette), "--out", str(out)]) == 0
    with FakeESI(data=out, strict=True) as replay:
        answer = requests.get(f"{replay.url}/latest/universe/types/587/?language=fr", timeout=5).json()
        orders = requests.get(
            f"{replay.url}/latest/markets/10000002/orders/?order_type=all&page=3", timeout=5
        )
        missing = requests.get(f"{replay.url}/latest/universe/types/588/", timeout=5)
    assert answer["name"] == seen["rifter"]["name"]
    assert orders.headers["X-Pages"] == "3" and len(orders.json()) == 500
    assert missing.status_code == 404  # strict: nothing but what was recorded
    assert replay.journal[-1].source != "generated"


def test_cassettes_to_data_names_what_is_missing(tmp_path, capsys):
    assert main(["cassettes-to-data", str(tmp_path / "nope.yaml"), "--out", str(tmp_path / "p.json")]) == 2
    assert "nope.yaml does not exist" in capsys.readouterr().err


def test_recording_proxy_keeps_what_upstream_answers(tmp_path):
    upstream_data = [
        {
            "operation": "get_alliances_alliance_id",
            "params": {"alliance_id": 99000001},
            "body": {
                "name": "Upstream Alliance",
                "ticker": "UPS",
                "creator_id": 90000001,
                "creator_corporation_id": 98000001,
                "date_founded": "2020-01-01T00:00:00Z",
            },
        },
    ]
    out = tmp_path / "recorded.json"
    with FakeESI(mode="server") as upstream:
        upstream.add_data(upstream_data)
        front = FakeESI(mode="server", data=[], strict=True)
        front.wrap(lambda app: RecordingProxy(front, upstream.url, out, inner=app))
        with front:
            first = requests.get(f"{front.url}/latest/alliances/99000001/", timeout=5)
            again = requests.get(f"{front.url}/latest/alliances/99000001/", timeout=5)
            orders = requests.get(f"{front.url}/latest/markets/10000002/orders/?order_type=all", timeout=5)
        upstream_calls = [e.path for e in upstream.journal]
    assert first.json()["name"] == "Upstream Alliance" and again.json() == first.json()
    assert upstream_calls.count("/latest/alliances/99000001/") == 1  # the second came from the pack
    assert orders.headers["X-Pages"] == "3"  # every upstream page was fetched, then paged again
    saved = json.loads(out.read_text())["records"]
    assert {r["operation"] for r in saved} == {"get_alliances_alliance_id", "get_markets_region_id_orders"}
    with FakeESI(data=out, strict=True) as replay:
        replayed = requests.get(f"{replay.url}/latest/alliances/99000001/", timeout=5).json()
    assert replayed["ticker"] == "UPS"
