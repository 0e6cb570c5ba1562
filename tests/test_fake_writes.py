"""Writes change what reads return: a write/read test for every write operation of the bundled specs.

Each write operation of ``latest`` and 2025-12-16 is counted into one of three kinds
and each kind is proved:

* writes that change state (:data:`esi_testing.fake.writes.WRITES`): one test each
  below, in both eras, writes and reads back what ESI would show;
* journal-only writes (:data:`~esi_testing.fake.writes.JOURNAL_ONLY`, the UI
  operations): their effect is in the game client, so the fake answers 204 and
  journals the request with its parameters;
* lookups sent as POST (``/universe/names``, affiliation, asset names...): they
  change nothing; ``tests/test_universe.py`` proves what they answer.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from werkzeug.test import Client

from esi_testing import FakeESI
from esi_testing.fake.app import make_app
from esi_testing.fake.backend import FakeBackend
from esi_testing.fake.routes import RouteTable
from esi_testing.fake.sso import mint_access_token
from esi_testing.fake.writes import JOURNAL_ONLY, WRITES

DATE = "2025-12-16"
ADA, BRAM = 90000001, 90000002
FLEET = 1234567890123
#: The POSTs that only read (nothing to write back): answered from the universe or generated.
LOOKUPS = {
    "post_characters_affiliation",
    "post_universe_ids",
    "post_universe_names",
    "post_characters_character_id_assets_locations",
    "post_characters_character_id_assets_names",
    "post_corporations_corporation_id_assets_locations",
    "post_corporations_corporation_id_assets_names",
    "post_characters_character_id_cspa",
    "post_route_origin_system_id_destination_system_id",
}


class Esi:
    """A fake ESI in one era, called as one character with every scope."""

    def __init__(self, backend: FakeBackend, era: str) -> None:
        self.backend, self.era = backend, era
        self.client = Client(make_app(backend))
        scopes = sorted({s for t in backend.tables for r in t for s in r.scopes})
        self.tokens = {c: mint_access_token(c, scopes, scp_as_string=False) for c in (ADA, BRAM)}

    def call(
        self, method: str, path: str, body: Any = None, as_character: int = ADA, status: int | None = None
    ) -> Any:
        path, _, query = path.partition("?")
        url = (f"/latest{path}/" if self.era == "latest" else path) + ("?" + query if query else "")
        headers = {"Authorization": f"Bearer {self.tokens[as_character]}"}
        if self.era != "latest":
            headers["X-Compatibility-Date"] = DATE
        answer = self.client.open(
            url,
            method=method,
            headers=headers,
            data=None if body is None else json.dumps(body),
            content_type="application/json",
        )
        assert status is None or answer.status_code == status, (
            f"{method} {url}: {answer.get_data(as_text=True)}"
        )
        assert answer.status_code < 300, (
            f"{method} {url}: {answer.status_code} {answer.get_data(as_text=True)}"
        )
        return answer.get_json() if answer.data else None

    def get(self, path: str, as_character: int = ADA) -> Any:
        return self.call("GET", path, as_character=as_character)


@pytest.fixture(params=["latest", DATE])
def esi(request: pytest.FixtureRequest) -> Esi:
    """Return a fresh fake (the default data pack) in one era."""
    return Esi(FakeBackend(snapshot=["latest", DATE], rate_limited=False, error_limit=None), request.param)


# --- fittings -----------------------------------------------------------------------------

FITTING = {
    "name": "Tackle Rifter",
    "description": "scram, web",
    "ship_type_id": 587,
    "items": [{"type_id": 34, "flag": "Cargo", "quantity": 10}],
}


def test_a_fitting_created_is_listed_and_a_fitting_deleted_is_gone(esi: Esi) -> None:
    before = esi.get(f"/characters/{ADA}/fittings")
    fitting_id = esi.call("POST", f"/characters/{ADA}/fittings", FITTING, status=201)["fitting_id"]
    listed = esi.get(f"/characters/{ADA}/fittings")
    assert len(listed) == len(before) + 1
    assert {**FITTING, "fitting_id": fitting_id} in listed
    esi.call("DELETE", f"/characters/{ADA}/fittings/{fitting_id}", status=204)
    assert esi.get(f"/characters/{ADA}/fittings") == before
    assert esi.get(f"/characters/{BRAM}/fittings", as_character=BRAM) != listed  # per character


# --- contacts -----------------------------------------------------------------------------


def _contact(esi: Esi, contact_id: int) -> dict[str, Any] | None:
    return next((c for c in esi.get(f"/characters/{ADA}/contacts") if c["contact_id"] == contact_id), None)


def test_contacts_added_are_listed_with_their_type_standing_labels_and_watch(esi: Esi) -> None:
    added = esi.call(
        "POST",
        f"/characters/{ADA}/contacts?standing=5&label_ids=7&watched=true",
        [BRAM, 98000002],
        status=201,
    )
    assert added == [BRAM, 98000002]
    assert _contact(esi, BRAM) == {
        "contact_id": BRAM,
        "contact_type": "character",
        "standing": 5.0,
        "label_ids": [7],
        "is_watched": True,
    }
    assert _contact(esi, 98000002)["contact_type"] == "corporation"  # type: ignore[index]


def test_contacts_edited_change_and_deleted_are_gone(esi: Esi) -> None:
    esi.call("POST", f"/characters/{ADA}/contacts?standing=5", [BRAM, 99000001], status=201)
    esi.call("PUT", f"/characters/{ADA}/contacts?standing=-10&watched=false", [BRAM], status=204)
    assert _contact(esi, BRAM)["standing"] == -10.0 and _contact(esi, BRAM)["is_watched"] is False  # type: ignore[index]
    assert _contact(esi, 99000001)["standing"] == 5.0  # type: ignore[index]
    esi.call("DELETE", f"/characters/{ADA}/contacts?contact_ids={BRAM},99000001", status=204)
    assert _contact(esi, BRAM) is None and _contact(esi, 99000001) is None


# --- mail and labels ----------------------------------------------------------------------

MAIL = {
    "recipients": [{"recipient_id": BRAM, "recipient_type": "character"}],
    "subject": "Ops",
    "body": "At 20:00",
}


def test_a_mail_sent_arrives_unread_in_the_recipients_inbox_and_is_in_the_senders_sent(esi: Esi) -> None:
    mail_id = esi.call("POST", f"/characters/{ADA}/mail", MAIL, status=201)
    (inbox,) = [m for m in esi.get(f"/characters/{BRAM}/mail", as_character=BRAM) if m["mail_id"] == mail_id]
    assert (
        inbox["from"] == ADA
        and inbox["subject"] == "Ops"
        and inbox["is_read"] is False
        and inbox["labels"] == [1]
    )
    (sent,) = [m for m in esi.get(f"/characters/{ADA}/mail") if m["mail_id"] == mail_id]
    assert sent["labels"] == [2] and sent["is_read"] is True
    detail = esi.get(f"/characters/{BRAM}/mail/{mail_id}", as_character=BRAM)
    assert detail["body"] == "At 20:00" and detail["from"] == ADA and detail["read"] is False
    assert esi.get(f"/characters/{BRAM}/mail/labels", as_character=BRAM)["total_unread_count"] >= 1


def test_a_mail_marked_read_and_relabelled_changes_and_a_mail_deleted_is_gone(esi: Esi) -> None:
    mail_id = esi.call("POST", f"/characters/{ADA}/mail", MAIL, status=201)
    unread = esi.get(f"/characters/{BRAM}/mail/labels", as_character=BRAM)["total_unread_count"]
    esi.call(
        "PUT",
        f"/characters/{BRAM}/mail/{mail_id}",
        {"read": True, "labels": [1, 4]},
        as_character=BRAM,
        status=204,
    )
    (mail,) = [m for m in esi.get(f"/characters/{BRAM}/mail", as_character=BRAM) if m["mail_id"] == mail_id]
    assert mail["is_read"] is True and mail["labels"] == [1, 4]
    assert esi.get(f"/characters/{BRAM}/mail/labels", as_character=BRAM)["total_unread_count"] == unread - 1
    assert [m["mail_id"] for m in esi.get(f"/characters/{BRAM}/mail?labels=4", as_character=BRAM)] == [
        mail_id
    ]
    esi.call("DELETE", f"/characters/{BRAM}/mail/{mail_id}", as_character=BRAM, status=204)
    assert mail_id not in [m["mail_id"] for m in esi.get(f"/characters/{BRAM}/mail", as_character=BRAM)]
    assert mail_id in [m["mail_id"] for m in esi.get(f"/characters/{ADA}/mail")]  # the sender keeps theirs


def test_a_mail_label_created_is_listed_and_deleted_is_gone(esi: Esi) -> None:
    label_id = esi.call(
        "POST", f"/characters/{ADA}/mail/labels", {"name": "Ops", "color": "#ff6600"}, status=201
    )
    labels = esi.get(f"/characters/{ADA}/mail/labels")["labels"]
    assert {"label_id": label_id, "name": "Ops", "color": "#ff6600", "unread_count": 0} in labels
    esi.call("DELETE", f"/characters/{ADA}/mail/labels/{label_id}", status=204)
    assert label_id not in [
        label.get("label_id") for label in esi.get(f"/characters/{ADA}/mail/labels")["labels"]
    ]


# --- calendar -----------------------------------------------------------------------------


def test_a_calendar_response_shows_in_the_event_list_the_event_and_its_attendees(esi: Esi) -> None:
    event_id = esi.get(f"/characters/{ADA}/calendar")[0]["event_id"]
    esi.call("PUT", f"/characters/{ADA}/calendar/{event_id}", {"response": "tentative"}, status=204)
    (event,) = [e for e in esi.get(f"/characters/{ADA}/calendar") if e["event_id"] == event_id]
    assert event["event_response"] == "tentative"
    assert esi.get(f"/characters/{ADA}/calendar/{event_id}")["response"] == "tentative"
    attendees = esi.get(f"/characters/{ADA}/calendar/{event_id}/attendees")
    assert {"character_id": ADA, "event_response": "tentative"} in attendees


# --- fleets -------------------------------------------------------------------------------


def test_fleet_settings_changed_are_read_back(esi: Esi) -> None:
    esi.call("PUT", f"/fleets/{FLEET}", {"motd": "x up", "is_free_move": True}, status=204)
    fleet = esi.get(f"/fleets/{FLEET}")
    assert fleet["motd"] == "x up" and fleet["is_free_move"] is True


def test_fleet_members_invited_moved_and_kicked(esi: Esi) -> None:
    invitation = {"character_id": BRAM, "role": "squad_member", "wing_id": 11, "squad_id": 22}
    esi.call("POST", f"/fleets/{FLEET}/members", invitation, status=204)
    (member,) = [m for m in esi.get(f"/fleets/{FLEET}/members") if m["character_id"] == BRAM]
    assert (member["wing_id"], member["squad_id"], member["role"]) == (11, 22, "squad_member")
    esi.call("PUT", f"/fleets/{FLEET}/members/{BRAM}", {"role": "wing_commander", "wing_id": 33}, status=204)
    (member,) = [m for m in esi.get(f"/fleets/{FLEET}/members") if m["character_id"] == BRAM]
    assert (member["wing_id"], member["role"]) == (33, "wing_commander")
    esi.call("DELETE", f"/fleets/{FLEET}/members/{BRAM}", status=204)
    assert BRAM not in [m["character_id"] for m in esi.get(f"/fleets/{FLEET}/members")]


def test_fleet_wings_and_squads_created_renamed_and_deleted(esi: Esi) -> None:
    wing_id = esi.call("POST", f"/fleets/{FLEET}/wings", status=201)["wing_id"]
    squad_id = esi.call("POST", f"/fleets/{FLEET}/wings/{wing_id}/squads", status=201)["squad_id"]
    esi.call("PUT", f"/fleets/{FLEET}/wings/{wing_id}", {"name": "Alpha"}, status=204)
    esi.call("PUT", f"/fleets/{FLEET}/squads/{squad_id}", {"name": "Tackle"}, status=204)
    (wing,) = [w for w in esi.get(f"/fleets/{FLEET}/wings") if w["id"] == wing_id]
    assert wing["name"] == "Alpha" and wing["squads"] == [{"id": squad_id, "name": "Tackle"}]
    esi.call("DELETE", f"/fleets/{FLEET}/squads/{squad_id}", status=204)
    (wing,) = [w for w in esi.get(f"/fleets/{FLEET}/wings") if w["id"] == wing_id]
    assert wing["squads"] == []
    esi.call("DELETE", f"/fleets/{FLEET}/wings/{wing_id}", status=204)
    assert wing_id not in [w["id"] for w in esi.get(f"/fleets/{FLEET}/wings")]


# --- journal-only, reset, modes, counts ---------------------------------------------------


@pytest.mark.parametrize("operation", JOURNAL_ONLY)
def test_ui_writes_are_journaled_with_their_parameters(esi: Esi, operation: str) -> None:
    route = next(t for t in esi.backend.tables if (t.format == "swagger2") == (esi.era == "latest")).find(
        operation
    )
    query = {
        p.name: {"boolean": "true"}.get(p.schema.get("type"), "30000142")
        for p in route.params
        if p.location == "query" and p.required
    }
    path = (
        route.template.replace("/latest", "").rstrip("/")
        + "?"
        + "&".join(f"{k}={v}" for k, v in query.items())
    )
    body = {"recipients": [BRAM], "subject": "hi", "body": "x"} if "newmail" in operation else None
    esi.call("POST", path, body, status=204)
    entry = esi.backend.journal[-1]
    assert entry.operation == operation and entry.status == 204 and entry.character_id == ADA
    assert {k: v[0] for k, v in entry.query.items()} == query and entry.body == body


def test_reset_forgets_what_writes_did() -> None:
    esi = Esi(FakeBackend(snapshot="latest"), "latest")
    before = esi.get(f"/characters/{ADA}/fittings")
    esi.call("POST", f"/characters/{ADA}/fittings", FITTING, status=201)
    esi.backend.reset()
    assert esi.get(f"/characters/{ADA}/fittings") == before


def test_the_data_pack_seeds_what_writes_change() -> None:
    backend = FakeBackend(snapshot="latest")
    backend.add_data(
        {
            "operation": "get_characters_character_id_fittings",
            "params": {"character_id": ADA},
            "body": [{**FITTING, "fitting_id": 7}],
        }
    )
    esi = Esi(backend, "latest")
    assert esi.get(f"/characters/{ADA}/fittings") == [{**FITTING, "fitting_id": 7}]
    fitting_id = esi.call("POST", f"/characters/{ADA}/fittings", FITTING, status=201)["fitting_id"]
    assert [f["fitting_id"] for f in esi.get(f"/characters/{ADA}/fittings")] == [7, fitting_id]


@pytest.mark.parametrize("mode", ["inprocess", "server"])
def test_writes_are_read_back_in_both_modes_and_across_eras(mode: str) -> None:
    import requests

    with FakeESI(["latest", DATE], mode=mode) as fake:
        token = fake.issue_tokens(ADA, ["esi-fittings.write_fittings.v1", "esi-fittings.read_fittings.v1"])[
            "access_token"
        ]
        auth = {"Authorization": f"Bearer {token}"}
        created = requests.post(
            f"{fake.url}/latest/characters/{ADA}/fittings/", json=FITTING, headers=auth, timeout=10
        )
        assert created.status_code == 201
        listed = requests.get(
            f"{fake.url}/characters/{ADA}/fittings",
            headers={**auth, "X-Compatibility-Date": DATE},
            timeout=10,
        ).json()
        assert created.json()["fitting_id"] in [
            f["fitting_id"] for f in listed
        ]  # written in Swagger, read in OpenAPI


def test_every_write_of_the_bundled_specs_is_counted(capsys: pytest.CaptureFixture[str]) -> None:
    writes = {
        r.key for snapshot in ("latest", DATE) for r in RouteTable.for_snapshot(snapshot) if r.method != "GET"
    }
    stateful, journal = writes & set(WRITES), writes & set(JOURNAL_ONLY)
    assert writes == stateful | journal | LOOKUPS, writes - stateful - journal - LOOKUPS
    with capsys.disabled():
        print(
            f"\nbundled specs: {len(writes)} write operations: {len(stateful)} change state, "
            f"{len(journal)} journal-only (the game client's UI), {len(writes & LOOKUPS)} lookups sent as POST"
        )
    assert (len(stateful), len(journal), len(writes & LOOKUPS)) == (21, 5, 9)


def test_the_2017_structure_schedule_write_is_read_back(shared_specs: Path) -> None:
    spec = json.loads((shared_specs / "swagger2-_latest-0.7.3-2017-11-30-structurebot.json").read_text())
    backend = FakeBackend(snapshot=RouteTable.for_snapshot(spec))
    client = Client(make_app(backend))
    table = backend.tables[0]
    read = next(r for r in table if r.key == "get_corporations_corporation_id_structures")
    write = next(r for r in table if r.key == "put_corporations_corporation_id_structures_structure_id")
    token = mint_access_token(ADA, [*read.scopes, *write.scopes], scp_as_string=False)
    headers = {"Authorization": f"Bearer {token}"}
    base = read.template.replace("{corporation_id}", "98000001")
    structure_id = client.get(base, headers=headers).get_json()[0]["structure_id"]
    url = write.template.replace("{corporation_id}", "98000001").replace("{structure_id}", str(structure_id))
    schedule = [{"day": 2, "hour": 20}, {"day": 3, "hour": 21}]
    assert client.put(url, json=schedule, headers=headers).status_code == 204
    (structure,) = [
        s for s in client.get(base, headers=headers).get_json() if s["structure_id"] == structure_id
    ]
    assert structure["next_vul"] == schedule
