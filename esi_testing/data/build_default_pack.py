"""Rebuild the default data pack in this directory (deterministic: same files every run).

    python esi_testing/data/build_default_pack.py

Characters, corporations and alliances are invented (IDs in ESI's ranges);
type names are EVE facts written by hand; market orders, notifications and
assets are generated from a fixed seed.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))

from esi_testing.fake.datapack import DataPack  # noqa: E402

LANGUAGES = ("en", "de", "fr", "ja", "ru", "zh", "ko", "es")

CHARACTERS = {
    90000001: ("Ada Quickfoot", 98000001, 99000001, "female", 1, 1, "2015-03-24T11:37:00Z", 2.5),
    90000002: ("Bram Ironside", 98000001, 99000001, "male", 2, 5, "2012-07-01T18:02:00Z", -0.8),
    90000003: ("Cyra Voss", 98000002, None, "female", 8, 11, "2019-11-05T09:45:00Z", 5.0),
}
CORPORATIONS = {
    98000001: ("Fake Frontier Industries", "FAKE", 99000001, 90000001, 42, 0.1, "2014-01-10T12:00:00Z"),
    98000002: ("Offline Mining Co", "OMC", None, 90000003, 7, 0.05, "2018-06-21T08:30:00Z"),
}
ALLIANCES = {
    99000001: ("Loopback Coalition", "LOOP", 98000001, 90000001, "2016-02-14T20:00:00Z"),
}

# type_id: (group_id, volume, mass, {language: (name, description)})
TYPES = {
    587: (
        25,
        27289.0,
        1067000.0,
        {
            "en": ("Rifter", "The Rifter is a very powerful combat frigate."),
            "de": ("Rifter", "Die Rifter ist eine sehr schlagkräftige Kampffregatte."),
            "fr": ("Rifter", "Le Rifter est une frégate de combat très puissante."),
            "ja": ("リフター", "リフターは非常に強力な戦闘フリゲートだ。"),
            "ru": ("Rifter", "Rifter — очень мощный боевой фрегат."),
            "zh": ("裂谷级", "裂谷级是一艘非常强大的战斗护卫舰。"),
            "ko": ("리프터", "리프터는 매우 강력한 전투 프리깃입니다."),
            "es": ("Rifter", "La Rifter es una fragata de combate muy poderosa."),
        },
    ),
    34: (
        18,
        0.01,
        0.0,
        {
            "en": ("Tritanium", "The main building block in space structures."),
            "de": ("Tritanium", "Der wichtigste Baustoff für Weltraumstrukturen."),
            "fr": ("Tritanium", "Le principal matériau de construction des structures spatiales."),
            "ja": ("トリタニウム", "宇宙構造物の主要な建材。"),
            "ru": ("Tritanium", "Основной строительный материал космических сооружений."),
            "zh": ("三钛合金", "太空建筑的主要建材。"),
            "ko": ("트리타늄", "우주 구조물의 주요 건축 자재입니다."),
            "es": ("Tritanio", "El principal material de construcción de las estructuras espaciales."),
        },
    ),
    35: (
        18,
        0.01,
        0.0,
        {
            "en": ("Pyerite", "A soft crystal-like mineral with a silvery hue."),
            "de": ("Pyerite", "Ein weiches, kristallartiges Mineral mit silbrigem Glanz."),
            "fr": ("Pyérite", "Un minéral tendre d'aspect cristallin aux reflets argentés."),
            "ja": ("パイライト", "銀色がかった柔らかい結晶状の鉱物。"),
            "ru": ("Pyerite", "Мягкий кристаллический минерал серебристого оттенка."),
            "zh": ("类晶体胶矿", "一种带银色光泽的柔软晶状矿物。"),
            "ko": ("파이어라이트", "은빛을 띠는 부드러운 결정형 광물입니다."),
            "es": ("Pierita", "Un mineral blando de aspecto cristalino y tono plateado."),
        },
    ),
    44992: (
        1875,
        0.01,
        0.0,
        {
            lang: ("PLEX", text)
            for lang, text in {
                "en": "Pilot's License Extension, traded on the market for game time and services.",
                "de": "Pilotenlizenzerweiterung, auf dem Markt gegen Spielzeit und Dienste gehandelt.",
                "fr": "Extension de licence de pilote, échangée contre du temps de jeu et des services.",
                "ja": "パイロットライセンスエクステンション。ゲーム時間やサービスと交換できる。",
                "ru": "Расширение лицензии пилота, обменивается на игровое время и услуги.",
                "zh": "飞行员执照延期，可在市场上交易游戏时间和服务。",
                "ko": "파일럿 라이센스 연장권으로 게임 시간과 서비스로 교환됩니다.",
                "es": "Extensión de licencia de piloto, intercambiable por tiempo de juego y servicios.",
            }.items()
        },
    ),
}

JITA_STATION, JITA_SYSTEM, THE_FORGE = 60003760, 30000142, 10000002
KIMOTORO, PERIMETER = 20000020, 30000144

# The market hub the orders and assets sit in, so names and links resolve from the pack.
GEOGRAPHY = [
    (
        "get_universe_regions_region_id",
        {"region_id": THE_FORGE},
        {"region_id": THE_FORGE, "name": "The Forge", "constellations": [KIMOTORO], "description": ""},
    ),
    (
        "get_universe_constellations_constellation_id",
        {"constellation_id": KIMOTORO},
        {
            "constellation_id": KIMOTORO,
            "name": "Kimotoro",
            "region_id": THE_FORGE,
            "systems": [JITA_SYSTEM, PERIMETER],
            "position": {"x": 0.0, "y": 0.0, "z": 0.0},
        },
    ),
    (
        "get_universe_systems_system_id",
        {"system_id": JITA_SYSTEM},
        {
            "system_id": JITA_SYSTEM,
            "name": "Jita",
            "constellation_id": KIMOTORO,
            "security_status": 0.9459131360054016,
            "security_class": "B",
            "stations": [JITA_STATION],
            "position": {"x": 0.0, "y": 0.0, "z": 0.0},
        },
    ),
    (
        "get_universe_systems_system_id",
        {"system_id": PERIMETER},
        {
            "system_id": PERIMETER,
            "name": "Perimeter",
            "constellation_id": KIMOTORO,
            "security_status": 0.9,
            "stations": [],
            "position": {"x": 0.0, "y": 0.0, "z": 0.0},
        },
    ),
    (
        "get_universe_stations_station_id",
        {"station_id": JITA_STATION},
        {
            "station_id": JITA_STATION,
            "name": "Jita IV - Moon 4 - Caldari Navy Assembly Plant",
            "system_id": JITA_SYSTEM,
            "owner": 1000035,
            "race_id": 1,
            "type_id": 1531,
            "reprocessing_efficiency": 0.5,
            "reprocessing_stations_take": 0.05,
            "max_dockable_ship_volume": 50000000.0,
            "office_rental_cost": 10000.0,
            "services": ["market", "repair-facilities", "reprocessing-plant"],
            "position": {"x": 0.0, "y": 0.0, "z": 0.0},
        },
    ),
]
ORDER_COUNT = 2500  # three pages of 1000


def build() -> DataPack:
    """Return the default pack."""
    pack = DataPack()
    pack.add(
        {
            "operation": "get_status",
            "body": {"players": 23456, "server_version": "2847563", "start_time": "2026-11-23T11:05:12Z"},
        }
    )
    for cid, (name, corp, alliance, gender, race, bloodline, birthday, sec) in CHARACTERS.items():
        body = {
            "name": name,
            "corporation_id": corp,
            "gender": gender,
            "race_id": race,
            "bloodline_id": bloodline,
            "birthday": birthday,
            "security_status": sec,
            "description": f"{name} flies for the fake ESI.",
            # Required since compatibility date 2026-08-04; older specs allow the extra field.
            "achievement_score": 1000 + cid % 1000,
        }
        if alliance:
            body["alliance_id"] = alliance
        pack.add({"operation": "get_characters_character_id", "params": {"character_id": cid}, "body": body})
    for corp_id, (name, ticker, alliance, ceo, members, tax, founded) in CORPORATIONS.items():
        body = {
            "name": name,
            "ticker": ticker,
            "ceo_id": ceo,
            "creator_id": ceo,
            "member_count": members,
            "tax_rate": tax,
            "date_founded": founded,
            "home_station_id": JITA_STATION,
            # The 2026-08-04 shape of a corporation, beside the Swagger-era fields above: one
            # record serves every era (extra properties are allowed by each schema).
            "state": "active",
            "type": "player_owned",
            "description": f"{name}: a corporation of the fake ESI.",
            "tax_rates": {"isk": tax * 100, "loyalty_point": 0.0},
            "shares": 1000,
            "war_eligible": True,
            "friendly_fire": "illegal",
        }
        if alliance:
            body["alliance_id"] = alliance
        pack.add(
            {
                "operation": "get_corporations_corporation_id",
                "params": {"corporation_id": corp_id},
                "body": body,
            }
        )
    for alliance_id, (name, ticker, corp, creator, founded) in ALLIANCES.items():
        body = {
            "name": name,
            "ticker": ticker,
            "creator_corporation_id": corp,
            "executor_corporation_id": corp,
            "creator_id": creator,
            "date_founded": founded,
        }
        pack.add(
            {"operation": "get_alliances_alliance_id", "params": {"alliance_id": alliance_id}, "body": body}
        )
    for type_id, (group_id, volume, mass, names) in TYPES.items():
        for lang in LANGUAGES:
            name, description = names[lang]
            pack.add(
                {
                    "operation": "get_universe_types_type_id",
                    "params": {"type_id": type_id},
                    "language": lang,
                    "body": {
                        "type_id": type_id,
                        "group_id": group_id,
                        "name": name,
                        "description": description,
                        "published": True,
                        "volume": volume,
                        "mass": mass,
                        "portion_size": 1,
                    },
                }
            )
    for operation, params, body in GEOGRAPHY:
        pack.add({"operation": operation, "params": params, "body": body})
    pack.add(
        {
            "operation": "get_markets_region_id_orders",
            "params": {"region_id": THE_FORGE},
            "body": _orders(random.Random(10000002)),
        }
    )
    pack.add(
        {
            "operation": "get_characters_character_id_notifications",
            "params": {"character_id": 90000001},
            "body": _notifications(),
        }
    )
    pack.add(
        {
            "operation": "get_characters_character_id_assets",
            "params": {"character_id": 90000001},
            "body": _assets(random.Random(90000001)),
        }
    )
    return pack


def _orders(rng: random.Random) -> list[dict]:
    prices = {587: 520_000.0, 34: 4.2, 35: 9.8, 44992: 4_300_000.0}
    orders = []
    for i in range(ORDER_COUNT):
        type_id = rng.choice(list(prices))
        buy = rng.random() < 0.45
        base = prices[type_id] * (0.9 if buy else 1.05)
        total = rng.randint(1, 500_000) if prices[type_id] < 100 else rng.randint(1, 50)
        orders.append(
            {
                "order_id": 6_500_000_000 + i,
                "type_id": type_id,
                "location_id": JITA_STATION,
                "system_id": JITA_SYSTEM,
                "is_buy_order": buy,
                "price": round(base * rng.uniform(0.95, 1.05), 2),
                "volume_total": total,
                "volume_remain": rng.randint(1, total),
                "min_volume": 1,
                "duration": rng.choice([1, 3, 7, 14, 30, 90]),
                "issued": f"2026-11-{rng.randint(1, 22):02d}T{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:00Z",
                "range": rng.choice(["station", "region", "solarsystem", "5"]) if buy else "region",
            }
        )
    return orders


def _notifications() -> list[dict]:
    return [
        {
            "notification_id": 1_900_000_001,
            "type": "StructureUnderAttack",
            "sender_id": 1000125,
            "sender_type": "corporation",
            "timestamp": "2026-11-20T18:22:00Z",
            "is_read": False,
            "text": "allianceID: 99000001\\ncorpName: Fake Frontier Industries\\nsolarsystemID: 30000142\\n",
        },
        {
            "notification_id": 1_900_000_002,
            "type": "CorpAllBillMsg",
            "sender_id": 98000001,
            "sender_type": "corporation",
            "timestamp": "2026-11-21T11:00:00Z",
            "is_read": True,
            "text": "amount: 25000000\\ndueDate: 134062848000000000\\n",
        },
        {
            "notification_id": 1_900_000_003,
            "type": "WarDeclared",
            "sender_id": 1000125,
            "sender_type": "corporation",
            "timestamp": "2026-11-22T07:45:00Z",
            "is_read": False,
            "text": "againstID: 98000001\\ndeclaredByID: 98000002\\n",
        },
    ]


def _assets(rng: random.Random) -> list[dict]:
    ship = {
        "item_id": 1_040_000_000_001,
        "type_id": 587,
        "location_id": JITA_STATION,
        "location_type": "station",
        "location_flag": "Hangar",
        "quantity": 1,
        "is_singleton": True,
    }
    assets = [ship]
    for i, type_id in enumerate((34, 35, 44992)):
        assets.append(
            {
                "item_id": 1_040_000_000_010 + i,
                "type_id": type_id,
                "location_id": JITA_STATION,
                "location_type": "station",
                "location_flag": "Hangar",
                "quantity": rng.randint(1, 100_000) if type_id != 44992 else 500,
                "is_singleton": False,
            }
        )
    assets.append(
        {
            "item_id": 1_040_000_000_020,
            "type_id": 34,
            "location_id": ship["item_id"],
            "location_type": "item",
            "location_flag": "Cargo",
            "quantity": 2500,
            "is_singleton": False,
        }
    )
    return assets


if __name__ == "__main__":
    print(build().save(HERE))
