"""Deterministic data that is valid against an ESI response schema.

:func:`generate` walks a JSON schema (Swagger 2.0 or OpenAPI 3.1 dialect) and
builds a value that validates against it: types and formats (``int32``,
``int64``, ``float``, ``double``, ``date``, ``date-time``, ``uuid``), ``enum``,
``minimum``/``maximum``, ``minLength``/``maxLength``, ``minItems``/``maxItems``,
``uniqueItems``, ``required``, nested objects and arrays, ``oneOf``/``anyOf``/
``allOf`` and ``$ref``. The same seed always gives the same value; the seed is
usually built from the operation, its parameters and the language
(:func:`seed_for`).

``hints`` fill properties whose name matches a request parameter, so
``GET /universe/types/587/`` answers with ``"type_id": 587``.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta, timezone
from typing import Any

__all__ = ["ID_KINDS", "generate", "merge_all_of", "seed_for", "type_of"]

Resolver = Callable[[Any], Any]

_EPOCH = datetime(2003, 5, 6, tzinfo=timezone.utc)  # EVE Online's launch
_WORDS = (
    "amarr caldari gallente minmatar jove sansha serpentis guristas angel blood "
    "concord rifter merlin tristan punisher drake raven dominix tempest jita amarr "
    "dodixie rens hek perimeter nebula wormhole citadel keepstar fortizar astrahus"
).split()
_LANG_WORDS = {
    "de": "schiff station sonnensystem allianz konzern händler",
    "fr": "vaisseau station système alliance corporation marchand",
    "ja": "船 ステーション 星系 同盟 コーポレーション 商人",
    "ru": "корабль станция система альянс корпорация торговец",
    "zh": "舰船 空间站 星系 联盟 军团 商人",
    "ko": "함선 정거장 항성계 얼라이언스 코퍼레이션 상인",
    "es": "nave estación sistema alianza corporación comerciante",
}
_MAX_DEPTH = 12
#: Property and parameter names of entity ids, and the ids generated for them (ESI's ranges).
ID_KINDS: dict[str, tuple[int, int]] = {
    **dict.fromkeys(("character_id", "ceo_id", "creator_id"), (90_000_000, 97_999_999)),
    **dict.fromkeys(
        ("corporation_id", "creator_corporation_id", "executor_corporation_id"), (98_000_000, 98_999_999)
    ),
    "alliance_id": (99_000_000, 99_999_999),
    **dict.fromkeys(("type_id", "ship_type_id"), (1, 60_000)),
    **dict.fromkeys(("system_id", "solar_system_id"), (30_000_000, 30_004_999)),
    "constellation_id": (20_000_000, 20_000_999),
    "region_id": (10_000_000, 10_000_069),
    "station_id": (60_000_000, 60_014_999),
    "faction_id": (500_001, 500_024),
}


def seed_for(*parts: Any) -> int:
    """Return a stable seed built from ``parts`` (JSON-serialisable values)."""
    text = json.dumps(parts, sort_keys=True, default=str, separators=(",", ":"))
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big")


def generate(
    schema: Mapping[str, Any] | None,
    seed: int,
    resolve: Resolver | None = None,
    hints: Mapping[str, Any] | None = None,
    language: str | None = None,
    name: str = "",
) -> Any:
    """Return a value valid against ``schema``, the same for the same seed.

    ``resolve`` follows a ``{"$ref": ...}`` node (a route table's ``resolve``);
    ``hints`` give values for properties of the same name; ``language`` picks the
    words of generated strings; ``name`` names the value (a parameter's name), so
    an id gets its kind's range as any property of that name does.
    """
    if schema is None:
        return None
    gen = _Generator(random.Random(seed), resolve or (lambda node: node), dict(hints or {}), language)
    return gen.value(schema, 0, name)


class _Generator:
    def __init__(self, rng: random.Random, resolve: Resolver, hints: dict[str, Any], language: str | None):
        self.rng = rng
        self.resolve = resolve
        self.hints = hints
        self.words = (_LANG_WORDS.get(language or "", "").split()) or _WORDS
        self.counter = 0

    def value(self, schema: Any, depth: int, name: str) -> Any:
        schema = self.resolve(schema)
        if not isinstance(schema, Mapping):
            return None
        if "allOf" in schema:
            return self.value(merge_all_of(schema, self.resolve), depth, name)
        for key in ("oneOf", "anyOf"):
            if key in schema:
                branches = [self.resolve(b) for b in schema[key]]
                branches = [b for b in branches if type_of(b) != "null"] or branches
                return self.value(self.rng.choice(branches), depth, name)
        if "const" in schema:
            return schema["const"]
        if "enum" in schema and schema["enum"]:
            return self.rng.choice([v for v in schema["enum"] if v is not None] or schema["enum"])
        kind = type_of(schema)
        if name in self.hints and kind in ("integer", "string", "number", "boolean"):
            hinted = self.hints[name]
            if _fits(hinted, kind):
                return hinted
        if kind == "object":
            return self.object(schema, depth)
        if kind == "array":
            return self.array(schema, depth, name)
        if kind == "integer":
            return self.integer(schema, name)
        if kind == "number":
            return self.number(schema)
        if kind == "boolean":
            return self.rng.random() < 0.5
        if kind == "null":
            return None
        return self.string(schema, name)

    def object(self, schema: Mapping[str, Any], depth: int) -> dict[str, Any]:
        props: Mapping[str, Any] = schema.get("properties") or {}
        required = set(schema.get("required") or ())
        out: dict[str, Any] = {}
        for key, sub in props.items():
            # Optional properties appear most of the time, and always near the top.
            if key in required or depth < 2 or self.rng.random() < 0.7:
                if depth >= _MAX_DEPTH and key not in required:
                    continue
                out[key] = self.value(sub, depth + 1, key)
        for key in required - set(out):
            out[key] = self.string({}, key)
        extra = schema.get("additionalProperties")
        if not props and isinstance(extra, Mapping) and extra:
            for _ in range(self.rng.randint(1, 2)):
                out[self.word()] = self.value(extra, depth + 1, "")
        return out

    def array(self, schema: Mapping[str, Any], depth: int, name: str) -> list[Any]:
        low = int(schema.get("minItems", 0))
        high = max(low, int(schema.get("maxItems", max(low, 3))))
        # A few items: at least one at the top (a list answer is rarely empty), never past maxItems.
        upper = max(low, min(high, low + 3 if depth < _MAX_DEPTH else low, 5))
        count = self.rng.randint(min(max(low, 1 if depth == 0 else low), upper), upper)
        items = schema.get("items", {})
        out: list[Any] = []
        seen: set[str] = set()
        unique = bool(schema.get("uniqueItems"))
        attempts = 0
        while len(out) < count and attempts < count * 20:
            attempts += 1
            item = self.value(items, depth + 1, name)
            if unique:
                marker = json.dumps(item, sort_keys=True, default=str)
                if marker in seen:
                    continue
                seen.add(marker)
            out.append(item)
        return out

    def integer(self, schema: Mapping[str, Any], name: str) -> int:
        fmt = schema.get("format")
        top = 2**31 - 1 if fmt == "int32" or fmt is None else 2**53
        kind = ID_KINDS.get(name)
        if kind is not None:
            # An entity's id lies in its kind's range, so it names an entity of the universe.
            low, high = _bounds(schema, kind[0], min(top, kind[1]), 1)
            if low <= high and kind[0] <= low <= kind[1]:
                return self.rng.randint(low, min(high, kind[1]))
        low, high = _bounds(schema, 1 if name.endswith("_id") else 0, top, 1)
        if name.endswith("_id") and high - low > 10**9:
            low = max(low, 1_000_000)
            high = min(high, 2_147_483_647)
        elif high - low > 10**6 and not name.endswith("_id"):
            high = low + 10**6
        return self.rng.randint(low, high)

    def number(self, schema: Mapping[str, Any]) -> float:
        low, high = _bounds(schema, 0.0, 10_000.0, 0.001)
        value = round(self.rng.uniform(float(low), float(high)), 2)
        return min(max(value, float(low)), float(high))

    def string(self, schema: Mapping[str, Any], name: str) -> str:
        fmt = schema.get("format")
        if fmt in ("date-time", "date"):
            moment = _EPOCH + timedelta(seconds=self.rng.randint(0, 22 * 365 * 86400))
            return moment.strftime("%Y-%m-%d") if fmt == "date" else moment.strftime("%Y-%m-%dT%H:%M:%SZ")
        if fmt == "uuid":
            return f"{self.rng.getrandbits(32):08x}-{self.rng.getrandbits(16):04x}-4{self.rng.getrandbits(12):03x}-8{self.rng.getrandbits(12):03x}-{self.rng.getrandbits(48):012x}"
        low = int(schema.get("minLength", 0))
        high = int(schema.get("maxLength", 0)) or None
        text = " ".join(self.word() for _ in range(self.rng.randint(1, 3)))
        if name == "ticker":
            text = "".join(self.rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ") for _ in range(4))
        while len(text) < low:
            text += self.word()
        if high is not None:
            text = text[:high]
        return text

    def word(self) -> str:
        return self.rng.choice(self.words)


def merge_all_of(schema: Mapping[str, Any], resolve: Resolver) -> dict[str, Any]:
    """Return ``schema`` with its ``allOf`` parts merged into one schema."""
    merged: dict[str, Any] = {}
    for part in schema["allOf"]:
        for k, v in resolve(part).items():
            if k == "properties":
                merged.setdefault(k, {}).update(v)
            elif k == "required":
                merged.setdefault(k, []).extend(v)
            else:
                merged.setdefault(k, v)
    return {**merged, **{k: v for k, v in schema.items() if k != "allOf"}}


def type_of(schema: Mapping[str, Any], default: str = "string") -> str:
    """Return the JSON type a schema describes (the first non-null one; ``default`` when it says none)."""
    kind = schema.get("type")
    if isinstance(kind, list):
        non_null = [k for k in kind if k != "null"]
        return non_null[0] if non_null else "null"
    if kind:
        return str(kind)
    if "properties" in schema:
        return "object"
    if "items" in schema:
        return "array"
    return default


def _fits(value: Any, kind: str) -> bool:
    if kind == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind == "boolean":
        return isinstance(value, bool)
    return isinstance(value, str)


def _bounds(schema: Mapping[str, Any], low: Any, high: Any, step: Any) -> tuple[Any, Any]:
    if "minimum" in schema:
        low = schema["minimum"]
        if schema.get("exclusiveMinimum") is True:
            low += step
    if isinstance(schema.get("exclusiveMinimum"), (int, float)) and not isinstance(
        schema.get("exclusiveMinimum"), bool
    ):
        low = schema["exclusiveMinimum"] + step
    if "maximum" in schema:
        high = schema["maximum"]
        if schema.get("exclusiveMaximum") is True:
            high -= step
    if isinstance(schema.get("exclusiveMaximum"), (int, float)) and not isinstance(
        schema.get("exclusiveMaximum"), bool
    ):
        high = schema["exclusiveMaximum"] - step
    if "maximum" not in schema and "exclusiveMaximum" not in schema and high < low:
        high = low + 1000
    if isinstance(step, int):
        low, high = int(low), int(high)
    return low, max(low, high)
