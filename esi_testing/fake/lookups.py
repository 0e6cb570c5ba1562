"""The reads the universe answers: entities by id, names, ids, affiliation, members, orders, assets.

:func:`lookup` answers one request from a :class:`~esi_testing.fake.universe.Universe`
(or returns None: the operation is not one of these, and the fake generates its
answer). An id outside its kind's range answers as ESI does: 404 with ESI's message
(``Character not found``, ``Ensure all IDs are valid before resolving``).

Generated lists are linked to the universe: market orders sit in stations of
their region (``system_id`` the station's), with types of the data pack; a
character's assets sit in their corporation's home station, or inside another of
their items; asset names and locations answer the owner's own items.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from esi_testing.fake.universe import ENTITY_OPERATIONS, Universe

__all__ = ["LOOKUPS", "NotFound", "lookup"]

#: ``generated()`` is the generated answer of the request; ``generated(operation, params)``
#: what another operation answers (recorded, or generated and linked).
Generated = Callable[..., Any]

#: Operation -> (kind, id parameter, ESI's 404 message) of the entity reads.
_ENTITIES = {
    operation: (kind, param, message)
    for kind, (operation, param), message in zip(
        ENTITY_OPERATIONS,
        ENTITY_OPERATIONS.values(),
        (
            "Character not found",
            "Corporation not found",
            "Alliance not found",
            "Type not found",
            "Solar system not found",
            "Station not found",
            "Constellation not found",
            "Region not found",
        ),
        strict=True,
    )
}


#: Path parameters naming an entity, its kind and ESI's 404 message.
_PATH_IDS = {param: (kind, message) for kind, param, message in _ENTITIES.values()}


class NotFound(Exception):
    """The request names an entity that does not exist: ESI answers ``status`` with ``message``."""

    def __init__(self, message: str, status: int = 404) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def lookup(
    universe: Universe,
    operation: str,
    params: Mapping[str, Any],
    language: str | None,
    generated: Generated,
    path_params: frozenset[str] = frozenset(),
) -> Any:
    """Return the body answering ``operation`` from the universe, or None (not a universe read).

    ``generated`` returns the generated answer, for the lists the universe only links.
    Raise :class:`NotFound` for an id that is not an entity of its kind, in the body of
    a lookup or among ``path_params`` (the names of the request's path parameters: a
    portrait of ``/characters/98000001/`` is no character's).
    """
    for param, (kind, message) in _PATH_IDS.items():
        if param in path_params and not universe.exists(kind, params.get(param)):
            raise NotFound(message)
    entity = _ENTITIES.get(operation)
    if entity is not None:
        kind, param, message = entity
        body = universe.entity(kind, params.get(param), language)  # type: ignore[arg-type]
        if body is None:
            raise NotFound(message)
        return body
    handler = LOOKUPS.get(operation)
    return None if handler is None else handler(universe, params, generated)


def _listed(params: Mapping[str, Any]) -> list[Any]:
    """Return the request body's list (the 2018 legacy routes wrap it: ``{"ids": [...]}``)."""
    body = params.get("body")
    if isinstance(body, Mapping):
        body = next((v for v in body.values() if isinstance(v, list)), [])
    return list(dict.fromkeys(body)) if isinstance(body, list) else []


def _names(universe: Universe, params: Mapping[str, Any], generated: Generated) -> Any:
    out = []
    for entity_id in _listed(params):
        named = universe.name(entity_id)
        if named is None:
            raise NotFound("Ensure all IDs are valid before resolving")
        out.append({"id": entity_id, "name": named[1], "category": named[0]})
    return out


def _ids(universe: Universe, params: Mapping[str, Any], generated: Generated) -> Any:
    return universe.resolve_names([str(n) for n in _listed(params)], universe.known())


def _affiliation(universe: Universe, params: Mapping[str, Any], generated: Generated) -> Any:
    found = [universe.affiliation(c) for c in _listed(params)]
    out = [a for a in found if a is not None]
    if not out:
        raise NotFound("No characters found")
    return out


def _members(universe: Universe, params: Mapping[str, Any], generated: Generated) -> Any:
    corporation_id = params.get("corporation_id")
    if not universe.exists("corporation", corporation_id):
        raise NotFound("Corporation not found")
    return universe.members(corporation_id)  # type: ignore[arg-type]


def _corporations(universe: Universe, params: Mapping[str, Any], generated: Generated) -> Any:
    alliance_id = params.get("alliance_id")
    if not universe.exists("alliance", alliance_id):
        raise NotFound("Alliance not found")
    return universe.corporations(alliance_id)  # type: ignore[arg-type]


def _orders(universe: Universe, params: Mapping[str, Any], generated: Generated) -> Any:
    region_id = params.get("region_id")
    if not universe.exists("region", region_id):
        raise NotFound("Region not found")
    orders = generated()
    stations = universe.stations_in(region_id) or []  # type: ignore[arg-type]
    types = universe.pack_ids("inventory_type") or [34]
    wanted = params.get("type_id")
    for i, order in enumerate(orders if isinstance(orders, list) else ()):
        if not isinstance(order, dict):
            continue
        order["type_id"] = wanted if isinstance(wanted, int) else types[i % len(types)]
        if stations:
            order["location_id"] = stations[i % len(stations)]
            order["system_id"] = universe.system_of(order["location_id"]) or order.get("system_id")
    return orders


def _assets(owner: str) -> Callable[[Universe, Mapping[str, Any], Generated], Any]:
    def link(universe: Universe, params: Mapping[str, Any], generated: Generated) -> Any:
        assets = generated()
        corporation = params.get("corporation_id")
        if owner == "character":
            character = universe.entity("character", params.get("character_id"))  # type: ignore[arg-type]
            corporation = character["corporation_id"] if character else None
        corp = universe.entity("corporation", corporation) if corporation else None  # type: ignore[arg-type]
        home = (corp or {}).get("home_station_id") or 60003760
        system = universe.system_of(home)
        seen: list[int] = []
        for asset in assets if isinstance(assets, list) else ():
            if not isinstance(asset, dict):
                continue
            where = asset.get("location_type")
            if where == "item" and seen:
                asset["location_id"] = seen[0]  # inside the first item listed (a ship, a container)
            elif where == "solar_system" and system is not None:
                asset["location_id"] = system
            else:
                asset["location_id"] = home
                if "location_type" in asset:
                    asset["location_type"] = "station"
            if isinstance(asset.get("item_id"), int):
                seen.append(asset["item_id"])
        return assets

    return link


def _owned(owner: str, what: str) -> Callable[[Universe, Mapping[str, Any], Generated], Any]:
    """Return the handler of ``post_<owner>s_<owner>_id_assets_<what>``: about the owner's own items."""

    def answer(universe: Universe, params: Mapping[str, Any], generated: Generated) -> Any:
        key = f"{owner}_id"
        assets = generated(f"get_{owner}s_{key}_assets", {key: params.get(key)}) or []
        items = {a.get("item_id"): a for a in assets if isinstance(a, Mapping)}
        wanted = [i for i in _listed(params) if i in items]
        if what == "names":
            out = []
            for item_id in wanted:
                named = universe.name(items[item_id].get("type_id"), "inventory_type")  # type: ignore[arg-type]
                out.append({"item_id": item_id, "name": named[1] if named else "None"})
            return out
        positions = generated() if isinstance(generated(), list) else []
        return [
            {
                "item_id": item_id,
                "position": (positions[i % len(positions)] if positions else {}).get(
                    "position", {"x": 0.0, "y": 0.0, "z": 0.0}
                ),
            }
            for i, item_id in enumerate(wanted)
        ]

    return answer


def _history(universe: Universe, params: Mapping[str, Any], generated: Generated) -> Any:
    """A character's corporation history ends in the corporation the character is in."""
    character = universe.entity("character", params.get("character_id"))  # type: ignore[arg-type]
    if character is None:
        raise NotFound("Character not found")
    history = [h for h in generated() or () if isinstance(h, dict)]
    history.sort(key=lambda h: str(h.get("start_date", "")))
    if history:
        history[-1]["corporation_id"] = character["corporation_id"]
    return history


#: Operation -> handler of the universe reads other than the entities by id.
LOOKUPS: dict[str, Callable[[Universe, Mapping[str, Any], Generated], Any]] = {
    "post_universe_names": _names,
    "post_universe_ids": _ids,
    "post_characters_affiliation": _affiliation,
    "get_corporations_corporation_id_members": _members,
    "get_alliances_alliance_id_corporations": _corporations,
    "get_markets_region_id_orders": _orders,
    "get_characters_character_id_assets": _assets("character"),
    "get_corporations_corporation_id_assets": _assets("corporation"),
    "get_characters_character_id_corporationhistory": _history,
    "post_characters_character_id_assets_names": _owned("character", "names"),
    "post_characters_character_id_assets_locations": _owned("character", "locations"),
    "post_corporations_corporation_id_assets_names": _owned("corporation", "names"),
    "post_corporations_corporation_id_assets_locations": _owned("corporation", "locations"),
}
