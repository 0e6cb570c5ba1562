"""The EVE universe behind every operation of the fake ESI: entities, no HTTP.

A :class:`Universe` answers what an id is (:func:`kind_of`, from ESI's id
ranges), what it is called, and how entities link: a character's corporation
and alliance, a corporation's members, an alliance's corporations, a station's
system, a system's constellation and region. Entities come from the data pack
first (the records of ``get_characters_character_id``,
``get_universe_systems_system_id``, ... are the entities), then are generated
from their id alone, so the same id is the same entity in every operation,
every spec and both modes.

Generated names are a spelling of the id (six syllables for a character, four
for a system), so ``/universe/ids`` reads a generated name back into its id.

How generated entities link (each side computes the other, so they agree):

* a player corporation ``98000000 + k`` has 1..47 generated members
  ``2100000000 + 47 k + j`` (characters created after 2016); a corporation of
  the pack keeps its ``member_count``, filled up with generated members;
* characters ``90000000..97999999`` outside the pack are in an NPC corporation;
* every fourth player corporation is in alliance ``99000000 + offset // 16``;
* a generated system ``30000000 + s`` is in constellation ``20000000 + s // 6``,
  which is in region ``10000000 + c // 5``; station ``60000000 + s`` is in system
  ``30000000 + s``.

Entity bodies carry the fields of every era; the app shapes them for the spec
answering (:mod:`esi_testing.fake.shaping`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from esi_testing.fake.datapack import DataPack
from esi_testing.fake.generate import seed_for

__all__ = ["CATEGORIES", "ID_RANGES", "Universe", "kind_of", "spell", "unspell"]

#: ESI's id ranges (start inclusive, end exclusive) of each kind of entity.
ID_RANGES: dict[str, tuple[tuple[int, int], ...]] = {
    "inventory_type": ((1, 500_000),),
    "faction": ((500_000, 1_000_000),),
    "corporation": ((1_000_000, 2_000_000), (98_000_000, 99_000_000)),
    "agent": ((3_000_000, 4_000_000),),
    "region": ((10_000_000, 13_000_000),),
    "constellation": ((20_000_000, 23_000_000),),
    "solar_system": ((30_000_000, 33_000_000),),
    "station": ((60_000_000, 64_000_000),),
    # 100000000..2099999999 holds characters, corporations and alliances made before 2010;
    # the fake takes such an id for a character.
    "character": ((90_000_000, 98_000_000), (100_000_000, 2_147_483_648)),
    "alliance": ((99_000_000, 100_000_000),),
    "structure": ((1_000_000_000_000, 2**63),),
}
#: The key of each kind in ``/universe/ids`` answers.
CATEGORIES = {
    "agent": "agents",
    "alliance": "alliances",
    "character": "characters",
    "constellation": "constellations",
    "corporation": "corporations",
    "faction": "factions",
    "inventory_type": "inventory_types",
    "region": "regions",
    "station": "stations",
    "solar_system": "systems",
}
#: The data pack's operation holding each kind's entities, and its id parameter.
ENTITY_OPERATIONS = {
    "character": ("get_characters_character_id", "character_id"),
    "corporation": ("get_corporations_corporation_id", "corporation_id"),
    "alliance": ("get_alliances_alliance_id", "alliance_id"),
    "inventory_type": ("get_universe_types_type_id", "type_id"),
    "solar_system": ("get_universe_systems_system_id", "system_id"),
    "station": ("get_universe_stations_station_id", "station_id"),
    "constellation": ("get_universe_constellations_constellation_id", "constellation_id"),
    "region": ("get_universe_regions_region_id", "region_id"),
}

_PLAYER_CORPS = 98_000_000
_NEW_CHARACTERS = 2_100_000_000
_MEMBERS = 47  # generated members per corporation: 47 million fit below 2**31
_SYSTEMS, _CONSTELLATIONS, _REGIONS, _STATIONS = 30_000_000, 20_000_000, 10_000_000, 60_000_000
_SYLLABLES = [c + v for c in "bdfgklmnprstvz" for v in "aeiou"]  # 70
_NPC_CORPS = (1000002, 1000044, 1000045, 1000107, 1000165, 1000166, 1000167, 1000168, 1000169)
_RACES = {1: (1, 2, 3), 2: (4, 5, 6), 4: (7, 8, 9), 8: (11, 12, 13)}  # race -> bloodlines


def kind_of(entity_id: Any) -> str | None:
    """Return the kind of entity an id names by ESI's ranges (None: no entity has it)."""
    if isinstance(entity_id, bool) or not isinstance(entity_id, int):
        return None
    for kind, ranges in ID_RANGES.items():
        if any(low <= entity_id < high for low, high in ranges):
            return kind
    return None


def spell(number: int, syllables: int) -> str:
    """Return ``number`` spelt in ``syllables`` syllables (base 70), the first one capitalised."""
    parts = []
    for _ in range(syllables):
        number, digit = divmod(number, len(_SYLLABLES))
        parts.append(_SYLLABLES[digit])
    return "".join(reversed(parts)).capitalize()


def unspell(word: str) -> int | None:
    """Return the number :func:`spell` wrote as ``word``, or None."""
    word = word.lower()
    if len(word) % 2:
        return None
    number = 0
    for i in range(0, len(word), 2):
        try:
            number = number * len(_SYLLABLES) + _SYLLABLES.index(word[i : i + 2])
        except ValueError:
            return None
    return number


class Universe:
    """Entities by id, from the data pack then generated, and their links.

    ``data`` returns the backend's current data pack (read on every call, so
    records added later join the universe); ``seed`` varies what is generated.
    """

    def __init__(self, data: Callable[[], DataPack], seed: int = 0) -> None:
        self._data = data
        self.seed = seed

    # --- what an id is ----------------------------------------------------------------

    def recorded(self, kind: str, entity_id: int, language: str | None = None) -> dict[str, Any] | None:
        """Return the data pack's body of an entity (None: the pack does not record it)."""
        operation, param = ENTITY_OPERATIONS[kind]
        record = self._data().match({operation}, {param: entity_id}, language)
        if record is None or record.status != 200 or not isinstance(record.body, Mapping):
            return None
        return dict(record.body)

    def exists(self, kind: str, entity_id: Any) -> bool:
        """Return True when ``entity_id`` is an entity of ``kind`` (its range, or the pack)."""
        if kind == "corporation" and kind_of(entity_id) == "character" and entity_id >= 100_000_000:
            return entity_id < 2_100_000_000  # old corporations share the old characters' range
        if kind == "alliance" and kind_of(entity_id) == "character" and entity_id >= 100_000_000:
            return entity_id < 2_100_000_000
        if kind_of(entity_id) == kind:
            return True
        return kind in ENTITY_OPERATIONS and self.recorded(kind, entity_id) is not None

    def entity(self, kind: str, entity_id: int, language: str | None = None) -> dict[str, Any] | None:
        """Return an entity's body in every era's fields (None: no such entity)."""
        if not self.exists(kind, entity_id):
            return None
        body = self.recorded(kind, entity_id, language) if kind in ENTITY_OPERATIONS else None
        build = getattr(self, "_" + kind)
        generated: dict[str, Any] = build(entity_id)
        if body is None:
            return generated
        # The pack's fields win; links the pack leaves out come from the id.
        return {**{k: v for k, v in generated.items() if k in _LINKS.get(kind, ())}, **body}

    def name(self, entity_id: int, kind: str | None = None) -> tuple[str, str] | None:
        """Return (category, name) of an id as ``/universe/names`` answers it, or None.

        ``kind`` says what the id is when its range does not (an old corporation).
        """
        kind = kind or kind_of(entity_id)
        if kind is None or kind == "structure":
            return None
        body = self.entity(kind, entity_id, "en")
        return (kind, str(body["name"])) if body and body.get("name") else None

    def resolve_names(
        self, names: Iterable[str], known: Iterable[tuple[str, int]] = ()
    ) -> dict[str, list[dict[str, Any]]]:
        """Return ``/universe/ids``: each name's id by category (names nothing has are left out).

        ``known`` adds (kind, id) pairs whose names are looked up too (the pack's entities).
        """
        wanted = {n.lower(): n for n in names}
        found: dict[str, dict[int, dict[str, Any]]] = {}
        for kind, entity_id in [*known, *(c for n in wanted.values() for c in self._candidates(n))]:
            named = self.name(entity_id, kind)
            if named is None or named[1].lower() not in wanted:
                continue
            found.setdefault(CATEGORIES.get(named[0], named[0]), {})[entity_id] = {
                "id": entity_id,
                "name": named[1],
            }
        return {category: list(ids.values()) for category, ids in sorted(found.items())}

    def _candidates(self, name: str) -> list[tuple[str, int]]:
        """Return the ids a generated name may spell."""
        words = name.split()
        out: list[tuple[str, int]] = []
        if len(words) >= 2:
            number = unspell(words[0] + words[1])
            if number is not None:
                suffix = " ".join(words[2:])
                kind = {"": "character", "Corporation": "corporation", "Alliance": "alliance"}.get(suffix)
                if kind is not None:
                    out.append((kind, number))
        if len(words) == 1:
            number = unspell(words[0])
            if number is not None:
                out += [("solar_system", _SYSTEMS + number), ("inventory_type", number)]
        return out

    # --- links ------------------------------------------------------------------------

    def affiliation(self, character_id: int) -> dict[str, Any] | None:
        """Return ``/characters/affiliation`` of one character (None: not a character)."""
        character = self.entity("character", character_id)
        if character is None:
            return None
        out = {"character_id": character_id, "corporation_id": character["corporation_id"]}
        corporation = self.entity("corporation", int(character["corporation_id"])) or {}
        alliance = character.get("alliance_id") or corporation.get("alliance_id")
        if alliance:
            out["alliance_id"] = alliance
        if corporation.get("faction_id"):
            out["faction_id"] = corporation["faction_id"]
        return out

    def members(self, corporation_id: int) -> list[int]:
        """Return the character ids of a corporation's members."""
        recorded = [c for c in self.pack_ids("character") if self._corporation_of(c) == corporation_id]
        if not _PLAYER_CORPS <= corporation_id < _PLAYER_CORPS + 1_000_000:
            return recorded
        base = _NEW_CHARACTERS + (corporation_id - _PLAYER_CORPS) * _MEMBERS
        generated = [base + j for j in range(self._generated_members(corporation_id, len(recorded)))]
        return [*recorded, *(c for c in generated if c not in recorded)]

    def _generated_members(self, corporation_id: int, recorded: int | None = None) -> int:
        """Return how many generated members a player corporation has (a pack one: up to its count)."""
        corporation = self.recorded("corporation", corporation_id)
        if corporation is None:
            return _member_count(self.seed, corporation_id)
        if recorded is None:
            recorded = sum(1 for c in self.pack_ids("character") if self._corporation_of(c) == corporation_id)
        count = corporation.get("member_count")
        return max(0, min(_MEMBERS, int(count) - recorded)) if isinstance(count, int) else 0

    def corporations(self, alliance_id: int) -> list[int]:
        """Return the corporation ids of an alliance."""
        recorded = [c for c in self.pack_ids("corporation") if self._alliance_of(c) == alliance_id]
        offset = alliance_id - 99_000_000
        if not 0 <= offset < 62_500:
            return recorded
        count = 1 + seed_for(self.seed, "alliance corporations", alliance_id) % 4
        generated = [_PLAYER_CORPS + 16 * offset + 4 * i for i in range(count)]
        pack = set(self.pack_ids("corporation"))
        return [*recorded, *(c for c in generated if c not in pack and self._alliance_of(c) == alliance_id)]

    def system_of(self, location_id: int) -> int | None:
        """Return the solar system of a station or a system (None: unknown)."""
        kind = kind_of(location_id)
        if kind == "solar_system":
            return location_id
        if kind == "station":
            station = self.entity("station", location_id)
            return int(station["system_id"]) if station else None
        return None

    def region_of(self, system_id: int) -> int | None:
        """Return the region of a solar system."""
        system = self.entity("solar_system", system_id)
        if system is None:
            return None
        constellation = self.entity("constellation", int(system["constellation_id"]))
        return int(constellation["region_id"]) if constellation else None

    def stations_in(self, region_id: int) -> list[int]:
        """Return stations of a region (the pack's first): where its market orders sit."""
        recorded = [
            s for s in self.pack_ids("station") if self.region_of(self.system_of(s) or 0) == region_id
        ]
        if recorded or not _REGIONS <= region_id < _REGIONS + 100_000:
            return recorded
        first_system = (region_id - _REGIONS) * 5 * 6
        return [_STATIONS + first_system + i for i in range(0, 30, 7)]

    def pack_ids(self, kind: str) -> list[int]:
        """Return the ids of the entities of ``kind`` the data pack records."""
        operation, param = ENTITY_OPERATIONS[kind]
        ids = []
        for record in self._data().of(operation):
            value = record.params.get(param)
            if record.status == 200 and isinstance(value, int) and value not in ids:
                ids.append(value)
        return ids

    def known(self) -> list[tuple[str, int]]:
        """Return (kind, id) of every entity the data pack records."""
        return [(kind, i) for kind in ENTITY_OPERATIONS for i in self.pack_ids(kind)]

    # --- generated entities -----------------------------------------------------------

    def _rand(self, *parts: Any) -> int:
        return seed_for(self.seed, *parts)

    def _corporation_of(self, character_id: int) -> int | None:
        body = self.recorded("character", character_id)
        if body is not None and "corporation_id" in body:
            return int(body["corporation_id"])
        return self._character(character_id)["corporation_id"]

    def _alliance_of(self, corporation_id: int) -> int | None:
        body = self.recorded("corporation", corporation_id)
        if body is not None:
            return body.get("alliance_id")
        return self._corporation(corporation_id).get("alliance_id")

    def _character(self, character_id: int) -> dict[str, Any]:
        h = self._rand("character", character_id)
        corporation = _NPC_CORPS[h % len(_NPC_CORPS)]
        offset = character_id - _NEW_CHARACTERS
        if 0 <= offset < 1_000_000 * _MEMBERS:
            corp, j = _PLAYER_CORPS + offset // _MEMBERS, offset % _MEMBERS
            if j < self._generated_members(corp) and self.recorded("character", character_id) is None:
                corporation = corp
        race = (1, 2, 4, 8)[h % 4]
        body: dict[str, Any] = {
            "name": f"{spell(character_id, 6)[:6].capitalize()} {spell(character_id, 6)[6:].capitalize()}",
            "corporation_id": corporation,
            "birthday": _date(h, 2008),
            "gender": ("female", "male")[h // 4 % 2],
            "race_id": race,
            "bloodline_id": _RACES[race][h // 8 % 3],
            "security_status": round((h % 1001) / 100 - 5, 2),
            "description": "",
            "achievement_score": h % 5000,
        }
        alliance = self._alliance_of(corporation) if corporation >= _PLAYER_CORPS else None
        if alliance:
            body["alliance_id"] = alliance
        return body

    def _corporation(self, corporation_id: int) -> dict[str, Any]:
        h = self._rand("corporation", corporation_id)
        npc = corporation_id < _PLAYER_CORPS
        words = spell(corporation_id, 6)
        body: dict[str, Any] = {
            "name": f"{words[:6].capitalize()} {words[6:].capitalize()} Corporation",
            "ticker": spell(corporation_id, 3).upper()[:5],
            "member_count": 0 if npc else len(self.members(corporation_id)),
            "tax_rate": 0.1,
            "date_founded": _date(h, 2003),
            "home_station_id": _STATIONS + h % 5000,
            "shares": 1000,
            "war_eligible": not npc,
            "description": "",
            "url": "",
        }
        if npc:
            body["ceo_id"] = body["creator_id"] = 3_000_000 + h % 10_000
            body["faction_id"] = 500_001 + h % 4
        else:
            members = self.members(corporation_id)
            body["ceo_id"] = body["creator_id"] = members[0] if members else 1
            offset = corporation_id - _PLAYER_CORPS
            if (
                offset % 4 == 0
                and offset // 4 % 4 < 1 + self._rand("alliance corporations", 99_000_000 + offset // 16) % 4
            ):
                body["alliance_id"] = 99_000_000 + offset // 16
        return body

    def _alliance(self, alliance_id: int) -> dict[str, Any]:
        h = self._rand("alliance", alliance_id)
        words = spell(alliance_id, 6)
        corporations = self.corporations(alliance_id)
        body: dict[str, Any] = {
            "name": f"{words[:6].capitalize()} {words[6:].capitalize()} Alliance",
            "ticker": spell(alliance_id, 3).upper()[:5],
            "date_founded": _date(h, 2010),
        }
        if corporations:
            body["creator_corporation_id"] = body["executor_corporation_id"] = corporations[0]
            ceo = self.entity("corporation", corporations[0]) or {}
            body["creator_id"] = ceo.get("ceo_id", 1)
        return body

    def _inventory_type(self, type_id: int) -> dict[str, Any]:
        h = self._rand("type", type_id)
        return {
            "type_id": type_id,
            "name": spell(type_id, 4),
            "description": "",
            "group_id": 1 + h % 2000,
            "published": True,
            "volume": float(1 + h % 500),
            "mass": float(h % 100_000),
            "portion_size": 1,
        }

    def _solar_system(self, system_id: int) -> dict[str, Any]:
        offset = system_id - _SYSTEMS
        h = self._rand("system", system_id)
        return {
            "system_id": system_id,
            "name": spell(offset, 4),
            "constellation_id": _CONSTELLATIONS + offset // 6,
            "security_status": round((h % 2001) / 1000 - 1, 3),
            "star_id": 40_000_000 + offset * 10,
            "stations": [_STATIONS + offset]
            + ([_STATIONS + offset + 3_000_000] if offset < 1_000_000 else []),
            "position": {"x": float(h % 10**6), "y": float(h // 7 % 10**6), "z": float(h // 13 % 10**6)},
        }

    def _constellation(self, constellation_id: int) -> dict[str, Any]:
        offset = constellation_id - _CONSTELLATIONS
        return {
            "constellation_id": constellation_id,
            "name": spell(offset, 3) + " " + spell(offset + 7, 2),
            "region_id": _REGIONS + offset // 5,
            "systems": [_SYSTEMS + offset * 6 + i for i in range(6)] if offset < 500_000 else [],
            "position": {"x": 0.0, "y": 0.0, "z": 0.0},
        }

    def _region(self, region_id: int) -> dict[str, Any]:
        offset = region_id - _REGIONS
        return {
            "region_id": region_id,
            "name": "The " + spell(offset, 3),
            "constellations": [_CONSTELLATIONS + offset * 5 + i for i in range(5)]
            if offset < 600_000
            else [],
            "description": "",
        }

    def _station(self, station_id: int) -> dict[str, Any]:
        offset = station_id - _STATIONS
        system = _SYSTEMS + offset % 3_000_000
        h = self._rand("station", station_id)
        return {
            "station_id": station_id,
            "name": f"{spell(system - _SYSTEMS, 4)} I - {spell(offset, 3)} Station",
            "system_id": system,
            "owner": _NPC_CORPS[h % len(_NPC_CORPS)],
            "type_id": 1529,
            "race_id": 1,
            "reprocessing_efficiency": 0.5,
            "reprocessing_stations_take": 0.05,
            "max_dockable_ship_volume": 50_000_000.0,
            "office_rental_cost": 10_000.0,
            "services": ["market", "repair-facilities"],
            "position": {"x": 0.0, "y": 0.0, "z": 0.0},
        }

    def _faction(self, faction_id: int) -> dict[str, Any]:
        return {"faction_id": faction_id, "name": spell(faction_id - 500_000, 3) + " Empire"}

    def _agent(self, agent_id: int) -> dict[str, Any]:
        return {"name": f"{spell(agent_id, 6)[:6]} {spell(agent_id, 6)[6:].capitalize()}"}


# Generated links kept beside a pack record that leaves them out (a system's constellation...).
_LINKS = {
    "character": ("corporation_id",),
    "solar_system": ("constellation_id", "system_id"),
    "station": ("system_id", "station_id"),
    "constellation": ("region_id", "constellation_id"),
    "region": ("region_id",),
    "inventory_type": ("type_id",),
}


def _member_count(seed: int, corporation_id: int) -> int:
    return 1 + seed_for(seed, "members", corporation_id) % _MEMBERS


def _date(h: int, year: int) -> str:
    return f"{year + h % 15}-{1 + h // 15 % 12:02d}-{1 + h // 180 % 28:02d}T{h // 5040 % 24:02d}:00:00Z"
