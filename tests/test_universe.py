"""One universe behind every operation: what operations say of an entity agrees.

For a character, a corporation, a type and a system (one of the data pack's and one
generated from its id, each), every operation that mentions it agrees: names,
affiliation, membership, geography. The same facts come out of a Swagger spec
(``latest``) and an OpenAPI one (2025-12-16), in-process and on a loopback server.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from esi_testing import FakeESI
from esi_testing.fake.backend import FakeBackend
from esi_testing.fake.universe import ID_RANGES, Universe, kind_of, spell, unspell

DATE = "2025-12-16"
MEMBERSHIP = "esi-corporations.read_corporation_membership.v1"


class Esi:
    """ESI's paths in one era of a running fake: ``latest`` (Swagger) or a compatibility date."""

    def __init__(self, fake: FakeESI, era: str) -> None:
        self.fake, self.era = fake, era
        self.tokens: dict[int, str] = {}

    def url(self, path: str) -> str:
        path, _, query = path.partition("?")
        url = f"{self.fake.url}/latest{path}/" if self.era == "latest" else f"{self.fake.url}{path}"
        return url + ("?" + query if query else "")

    def headers(self, character_id: int | None = None) -> dict[str, str]:
        headers = {} if self.era == "latest" else {"X-Compatibility-Date": DATE}
        if character_id is not None:
            if character_id not in self.tokens:
                self.tokens[character_id] = self.fake.issue_tokens(character_id, [MEMBERSHIP])["access_token"]
            headers["Authorization"] = f"Bearer {self.tokens[character_id]}"
        return headers

    def get(self, path: str, as_character: int | None = None, status: int = 200) -> Any:
        answer = requests.get(self.url(path), headers=self.headers(as_character), timeout=10)
        assert answer.status_code == status, f"GET {path}: {answer.status_code} {answer.text[:200]}"
        return answer.json()

    def post(self, path: str, body: Any, status: int = 200) -> Any:
        answer = requests.post(self.url(path), json=body, headers=self.headers(), timeout=10)
        assert answer.status_code == status, f"POST {path}: {answer.status_code} {answer.text[:200]}"
        return answer.json()


@pytest.fixture(scope="module", params=["inprocess", "server"])
def fake(request: pytest.FixtureRequest) -> Iterator[FakeESI]:
    """Return a fake serving ``latest`` and 2025-12-16 in both modes, limits off."""
    with FakeESI(["latest", DATE], mode=request.param, rate_limited=False, error_limit=None) as running:
        yield running


@pytest.fixture(params=["latest", DATE])
def esi(fake: FakeESI, request: pytest.FixtureRequest) -> Esi:
    """Return the fake's ESI in one era."""
    return Esi(fake, request.param)


def character_facts(esi: Esi, character_id: int) -> dict[str, Any]:
    """Return what every operation mentioning a character says; assert they agree."""
    character = esi.get(f"/characters/{character_id}")
    name, corporation_id = character["name"], character["corporation_id"]
    assert esi.post("/universe/names", [character_id]) == [
        {"id": character_id, "name": name, "category": "character"}
    ]
    assert {"id": character_id, "name": name} in esi.post("/universe/ids", [name])["characters"]
    (affiliation,) = esi.post("/characters/affiliation", [character_id])
    assert affiliation["corporation_id"] == corporation_id
    assert affiliation.get("alliance_id") == character.get("alliance_id")
    corporation = esi.get(f"/corporations/{corporation_id}")
    assert corporation.get("alliance_id") == character.get("alliance_id")
    if corporation_id >= 98_000_000:  # a player corporation lists its members
        assert character_id in esi.get(f"/corporations/{corporation_id}/members", as_character=character_id)
    if character.get("alliance_id"):
        assert corporation_id in esi.get(f"/alliances/{character['alliance_id']}/corporations")
    history = esi.get(f"/characters/{character_id}/corporationhistory")
    assert max(history, key=lambda h: h["start_date"])["corporation_id"] == corporation_id
    return {"name": name, "corporation_id": corporation_id, "alliance_id": character.get("alliance_id")}


def corporation_facts(esi: Esi, corporation_id: int) -> dict[str, Any]:
    """Return what every operation mentioning a corporation says; assert they agree."""
    corporation = esi.get(f"/corporations/{corporation_id}")
    name = corporation["name"]
    assert esi.post("/universe/names", [corporation_id]) == [
        {"id": corporation_id, "name": name, "category": "corporation"}
    ]
    assert {"id": corporation_id, "name": name} in esi.post("/universe/ids", [name])["corporations"]
    members = esi.get(f"/corporations/{corporation_id}/members", as_character=corporation["ceo_id"])
    assert len(members) == corporation["member_count"] and corporation["ceo_id"] in members
    affiliations = esi.post("/characters/affiliation", members)
    assert {a["corporation_id"] for a in affiliations} == {corporation_id}
    assert {a.get("alliance_id") for a in affiliations} == {corporation.get("alliance_id")}
    for member in members[:3]:
        assert esi.get(f"/characters/{member}")["corporation_id"] == corporation_id
    return {"name": name, "members": sorted(members), "alliance_id": corporation.get("alliance_id")}


def type_facts(esi: Esi, type_id: int) -> dict[str, Any]:
    """Return what every operation mentioning a type says; assert they agree."""
    item = esi.get(f"/universe/types/{type_id}")
    name = item["name"]
    assert item["type_id"] == type_id
    assert esi.post("/universe/names", [type_id]) == [
        {"id": type_id, "name": name, "category": "inventory_type"}
    ]
    assert {"id": type_id, "name": name} in esi.post("/universe/ids", [name])["inventory_types"]
    return {"name": name, "group_id": item["group_id"]}


def system_facts(esi: Esi, system_id: int) -> dict[str, Any]:
    """Return what every operation mentioning a system says; assert they agree."""
    system = esi.get(f"/universe/systems/{system_id}")
    name = system["name"]
    assert esi.post("/universe/names", [system_id]) == [
        {"id": system_id, "name": name, "category": "solar_system"}
    ]
    assert {"id": system_id, "name": name} in esi.post("/universe/ids", [name])["systems"]
    constellation = esi.get(f"/universe/constellations/{system['constellation_id']}")
    assert system_id in constellation["systems"]
    region = esi.get(f"/universe/regions/{constellation['region_id']}")
    assert system["constellation_id"] in region["constellations"]
    for station_id in system.get("stations", []):
        assert esi.get(f"/universe/stations/{station_id}")["system_id"] == system_id
    return {"name": name, "constellation_id": system["constellation_id"], "region_id": region["region_id"]}


FACTS = {
    "character": (character_facts, (90000001, 2100000047, 90000003)),
    "corporation": (corporation_facts, (98000001, 98000016, 98123456)),
    "type": (type_facts, (587, 12345)),
    "system": (system_facts, (30000142, 30001234)),
}


@pytest.mark.parametrize("what", sorted(FACTS))
def test_every_operation_agrees_on_an_entity_in_both_modes_and_eras(esi: Esi, what: str) -> None:
    facts, ids = FACTS[what]
    for entity_id in ids:
        facts(esi, entity_id)


@pytest.mark.parametrize("what", sorted(FACTS))
def test_swagger_and_openapi_tell_the_same_universe(fake: FakeESI, what: str) -> None:
    facts, ids = FACTS[what]
    for entity_id in ids:
        assert facts(Esi(fake, "latest"), entity_id) == facts(Esi(fake, DATE), entity_id)


def test_the_issues_examples_resolve_to_their_names(esi: Esi) -> None:
    assert esi.post("/universe/names", [587, 30000142]) == [
        {"id": 587, "name": "Rifter", "category": "inventory_type"},
        {"id": 30000142, "name": "Jita", "category": "solar_system"},
    ]
    assert esi.post("/universe/ids", ["Jita", "Rifter"]) == {
        "inventory_types": [{"id": 587, "name": "Rifter"}],
        "systems": [{"id": 30000142, "name": "Jita"}],
    }
    assert esi.post("/characters/affiliation", [90000001]) == [
        {"character_id": 90000001, "corporation_id": 98000001, "alliance_id": 99000001}
    ]


def test_market_orders_sit_in_stations_of_their_region_with_known_types(esi: Esi) -> None:
    for region_id in (10000002, 10000043):
        orders = esi.get(f"/markets/{region_id}/orders?order_type=all")
        assert orders
        for order in orders[:50]:
            station = esi.get(f"/universe/stations/{order['location_id']}")
            assert station["system_id"] == order["system_id"]
            system = esi.get(f"/universe/systems/{order['system_id']}")
            constellation = esi.get(f"/universe/constellations/{system['constellation_id']}")
            assert constellation["region_id"] == region_id
            esi.get(f"/universe/types/{order['type_id']}")  # a type the universe has


def test_assets_sit_in_the_owners_home_station_or_in_their_items(esi: Esi) -> None:
    fake = esi.fake
    for character_id in (90000001, 2100000047):
        token = fake.issue_tokens(character_id, ["esi-assets.read_assets.v1"])["access_token"]
        headers = {**esi.headers(), "Authorization": f"Bearer {token}"}
        assets = requests.get(
            esi.url(f"/characters/{character_id}/assets"), headers=headers, timeout=10
        ).json()
        items = {a["item_id"] for a in assets}
        character = esi.get(f"/characters/{character_id}")
        home = esi.get(f"/corporations/{character['corporation_id']}")["home_station_id"]
        for asset in assets:
            if asset["location_type"] == "item":
                assert asset["location_id"] in items
            elif asset["location_type"] == "station":
                assert asset["location_id"] in (home, 60003760)
                esi.get(f"/universe/stations/{asset['location_id']}")


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/characters/98000001", "Character not found"),
        ("/corporations/90000001", "Corporation not found"),
        ("/alliances/98000001", "Alliance not found"),
        ("/universe/systems/60003760", "Solar system not found"),
        ("/universe/types/30000142", "Type not found"),
        ("/universe/stations/30000142", "Station not found"),
        ("/universe/regions/20000020", "Region not found"),
        ("/universe/constellations/10000002", "Constellation not found"),
        ("/characters/98000001/portrait", "Character not found"),
        ("/corporations/90000001/alliancehistory", "Corporation not found"),
        ("/alliances/98000001/icons", "Alliance not found"),
        ("/characters/98000001/corporationhistory", "Character not found"),
    ],
)
def test_an_id_out_of_its_kinds_range_is_404_as_esi_answers(esi: Esi, path: str, message: str) -> None:
    assert esi.get(path, status=404) == {"error": message}


def test_lookups_of_ids_that_are_no_entity_are_refused_as_esi_does(esi: Esi) -> None:
    assert esi.post("/universe/names", [587, 5_000_000], status=404) == {
        "error": "Ensure all IDs are valid before resolving"
    }
    assert esi.post("/characters/affiliation", [98000001], status=404) == {"error": "No characters found"}
    assert esi.post("/universe/ids", ["No Such Name Anywhere"]) == {}
    # -1: the Swagger spec's minimum refuses it (400), the OpenAPI one has none: no such character.
    if esi.era == "latest":
        assert esi.get("/characters/-1", status=400)["error"].startswith("Invalid character_id")
    else:
        assert esi.get("/characters/-1", status=404) == {"error": "Character not found"}


def test_the_universe_is_the_same_for_every_backend_and_seeded() -> None:
    def names(backend: FakeBackend) -> list[Any]:
        return [backend.universe.name(i) for i in (2100000047, 98000016, 99000123, 12345, 30001234)]

    assert (
        names(FakeBackend()) == names(FakeBackend())
        and names(FakeBackend(seed=1))[3] == names(FakeBackend())[3]
    )
    assert FakeBackend(seed=1).universe.entity("character", 91234567) != FakeBackend().universe.entity(
        "character", 91234567
    )


def test_data_added_later_joins_the_universe() -> None:
    backend = FakeBackend(snapshot="latest")
    backend.add_data(
        {
            "operation": "get_characters_character_id",
            "params": {"character_id": 95465499},
            "body": {"name": "CCP Bartender", "corporation_id": 98000002},
        }
    )
    assert backend.universe.name(95465499) == ("character", "CCP Bartender")
    assert 95465499 in backend.universe.members(98000002)
    assert backend.universe.affiliation(95465499) == {"character_id": 95465499, "corporation_id": 98000002}


def test_id_ranges_and_spelt_names() -> None:
    assert kind_of(90000001) == kind_of(2100000047) == "character"
    assert kind_of(98000001) == kind_of(1000125) == "corporation"
    assert kind_of(99000001) == "alliance" and kind_of(30000142) == "solar_system"
    assert kind_of(-1) is None and kind_of(0) is None and kind_of(True) is None
    assert kind_of(1_035_466_617_946) == "structure"
    assert all(low < high for ranges in ID_RANGES.values() for low, high in ranges)
    for number in (0, 1, 69, 70, 12345, 2**31 - 1):
        assert unspell(spell(number, 6)) == number
    assert unspell("xyz") is None and unspell("Qq") is None
    universe = Universe(lambda: FakeBackend().data)
    assert universe.resolve_names([universe.name(2100000047)[1]])["characters"][0]["id"] == 2100000047  # type: ignore[index]


def test_asset_names_and_locations_answer_the_owners_own_items(esi: Esi) -> None:
    token = esi.fake.issue_tokens(90000001, ["esi-assets.read_assets.v1"])["access_token"]
    headers = {**esi.headers(), "Authorization": f"Bearer {token}"}
    assets = requests.get(esi.url("/characters/90000001/assets"), headers=headers, timeout=10).json()
    ship = next(a for a in assets if a["type_id"] == 587)
    wanted = [ship["item_id"], 1_234_567]  # the Rifter, and an item the character does not own
    names = requests.post(
        esi.url("/characters/90000001/assets/names"), json=wanted, headers=headers, timeout=10
    )
    assert names.json() == [{"item_id": ship["item_id"], "name": "Rifter"}]
    places = requests.post(
        esi.url("/characters/90000001/assets/locations"), json=wanted, headers=headers, timeout=10
    )
    assert [p["item_id"] for p in places.json()] == [ship["item_id"]]
    assert set(places.json()[0]["position"]) == {"x", "y", "z"}
