"""What writes did: the fake ESI's state that POST, PUT and DELETE change and reads return.

A :class:`WriteState` keeps, per owner, the collections that writes change:
fittings, contacts, mail (each character's mailbox) and mail labels, calendar
responses, fleets (settings, members, wings and squads) and, in the 2017 specs,
structures' vulnerability schedules. A collection starts as the data pack
records it (or as generated) the first time a read or a write touches it; from
then on the state answers, so a fitting created is listed, a contact deleted is
gone, a mail sent arrives in each recipient's mailbox. ``reset()`` forgets it all.

:data:`WRITES` maps each write operation to what it does, :data:`READS` each read
the state answers. Ids a write does not know (a fitting that is not there) are
ignored, as ESI answers 204 to them. The UI operations
(``post_ui_autopilot_waypoint``, ``post_ui_openwindow_*``) change nothing ESI can
read back: they are in the journal only.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from typing import Any

from esi_testing.fake.universe import kind_of

__all__ = ["JOURNAL_ONLY", "READS", "WRITES", "WriteState"]

Materialize = Callable[[str, Mapping[str, Any]], Any]
_INBOX, _SENT = 1, 2
#: Writes whose effect is outside ESI (the game client's UI): answered and journaled, nothing to read back.
JOURNAL_ONLY = (
    "post_ui_autopilot_waypoint",
    "post_ui_openwindow_contract",
    "post_ui_openwindow_information",
    "post_ui_openwindow_marketdetails",
    "post_ui_openwindow_newmail",
)


class WriteState:
    """Collections that writes change, each first read from ``materialize(operation, params)``.

    ``materialize`` returns what the read operation answers without state (the
    data pack's record or generated data); ``clock`` dates new mail.
    """

    def __init__(self, materialize: Materialize, clock: Callable[[], float]) -> None:
        self._materialize = materialize
        self._clock = clock
        self._lock = threading.RLock()
        self.reset()

    def reset(self) -> None:
        """Forget every collection and every id handed out."""
        with self._lock:
            self._bodies: dict[tuple[str, tuple[tuple[str, Any], ...]], Any] = {}
            self._mail: dict[int, dict[str, Any]] = {}
            self._next_id = 1_000_000_001

    def body(self, operation: str, **params: Any) -> Any:
        """Return the collection a read operation answers for ``params`` (materialized on first use)."""
        key = (operation, tuple(sorted(params.items())))
        with self._lock:
            if key not in self._bodies:
                self._bodies[key] = copy.deepcopy(self._materialize(operation, params))
            return self._bodies[key]

    def new_id(self) -> int:
        """Return an id no write handed out before."""
        with self._lock:
            self._next_id += 1
            return self._next_id

    def now(self) -> str:
        """Return the clock's time as ESI writes it."""
        return datetime.fromtimestamp(self._clock(), tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _list(state: WriteState, operation: str, **params: Any) -> list[Any]:
    body = state.body(operation, **params)
    if not isinstance(body, list):
        body = []
        state._bodies[(operation, tuple(sorted(params.items())))] = body
    return body


def _dict(state: WriteState, operation: str, **params: Any) -> dict[str, Any]:
    body = state.body(operation, **params)
    if not isinstance(body, dict):
        body = {}
        state._bodies[(operation, tuple(sorted(params.items())))] = body
    return body


def _body(params: Mapping[str, Any]) -> Any:
    return params.get("body")


def _ids(value: Any) -> list[Any]:
    if isinstance(value, Mapping):  # the 2018 legacy routes wrap lists: {"contact_ids": [...]}
        value = next((v for v in value.values() if isinstance(v, list)), [])
    return list(value) if isinstance(value, list) else [] if value is None else [value]


# --- fittings -----------------------------------------------------------------------------

_FITTINGS = "get_characters_character_id_fittings"


def _add_fitting(state: WriteState, params: Mapping[str, Any], character_id: int | None) -> tuple[int, Any]:
    fitting = {**(_body(params) or {}), "fitting_id": state.new_id()}
    _list(state, _FITTINGS, character_id=params["character_id"]).append(fitting)
    return 201, {"fitting_id": fitting["fitting_id"]}


def _delete_fitting(
    state: WriteState, params: Mapping[str, Any], character_id: int | None
) -> tuple[int, Any]:
    fittings = _list(state, _FITTINGS, character_id=params["character_id"])
    fittings[:] = [f for f in fittings if f.get("fitting_id") != params.get("fitting_id")]
    return 204, None


# --- contacts -----------------------------------------------------------------------------

_CONTACTS = "get_characters_character_id_contacts"
_CONTACT_TYPES = {"character", "corporation", "alliance", "faction"}


def _contact_fields(params: Mapping[str, Any]) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    if params.get("standing") is not None:
        fields["standing"] = float(params["standing"])
    if params.get("label_ids") is not None:
        fields["label_ids"] = _ids(params["label_ids"])
    if params.get("watched") is not None:
        fields["is_watched"] = bool(params["watched"])
    return fields


def _add_contacts(state: WriteState, params: Mapping[str, Any], character_id: int | None) -> tuple[int, Any]:
    contacts = _list(state, _CONTACTS, character_id=params["character_id"])
    added = []
    for contact_id in _ids(_body(params)):
        kind = kind_of(contact_id)
        if kind not in _CONTACT_TYPES:
            continue
        contacts[:] = [c for c in contacts if c.get("contact_id") != contact_id]
        contacts.append(
            {"contact_id": contact_id, "contact_type": kind, "standing": 0.0, **_contact_fields(params)}
        )
        added.append(contact_id)
    return 201, added


def _edit_contacts(state: WriteState, params: Mapping[str, Any], character_id: int | None) -> tuple[int, Any]:
    wanted = set(_ids(_body(params)))
    for contact in _list(state, _CONTACTS, character_id=params["character_id"]):
        if contact.get("contact_id") in wanted:
            contact.update(_contact_fields(params))
    return 204, None


def _delete_contacts(
    state: WriteState, params: Mapping[str, Any], character_id: int | None
) -> tuple[int, Any]:
    gone = set(_ids(params.get("contact_ids")))
    contacts = _list(state, _CONTACTS, character_id=params["character_id"])
    contacts[:] = [c for c in contacts if c.get("contact_id") not in gone]
    return 204, None


# --- mail ---------------------------------------------------------------------------------

_MAILS, _LABELS = "get_characters_character_id_mail", "get_characters_character_id_mail_labels"


def _send_mail(state: WriteState, params: Mapping[str, Any], character_id: int | None) -> tuple[int, Any]:
    mail = _body(params) or {}
    sender = params["character_id"]
    mail_id = state.new_id()
    recipients = [r for r in mail.get("recipients") or () if isinstance(r, Mapping)]
    header = {
        "mail_id": mail_id,
        "from": sender,
        "recipients": recipients,
        "subject": mail.get("subject", ""),
        "timestamp": state.now(),
    }
    state._mail[mail_id] = {**header, "body": mail.get("body", "")}
    _list(state, _MAILS, character_id=sender).insert(0, {**header, "labels": [_SENT], "is_read": True})
    for recipient in recipients:
        if recipient.get("recipient_type") == "character" and recipient.get("recipient_id") != sender:
            inbox = _list(state, _MAILS, character_id=recipient["recipient_id"])
            inbox.insert(0, {**header, "labels": [_INBOX], "is_read": False})
    return 201, mail_id


def _update_mail(state: WriteState, params: Mapping[str, Any], character_id: int | None) -> tuple[int, Any]:
    contents = _body(params) or {}
    for mail in _list(state, _MAILS, character_id=params["character_id"]):
        if mail.get("mail_id") == params.get("mail_id"):
            if "labels" in contents:
                mail["labels"] = list(contents["labels"])
            if "read" in contents:
                mail["is_read"] = bool(contents["read"])
    return 204, None


def _delete_mail(state: WriteState, params: Mapping[str, Any], character_id: int | None) -> tuple[int, Any]:
    mails = _list(state, _MAILS, character_id=params["character_id"])
    mails[:] = [m for m in mails if m.get("mail_id") != params.get("mail_id")]
    return 204, None


def _read_mails(state: WriteState, params: Mapping[str, Any]) -> Any:
    mails = _list(state, _MAILS, character_id=params["character_id"])
    labels, last = set(_ids(params.get("labels"))), params.get("last_mail_id")
    return [
        m
        for m in mails
        if (not labels or labels & set(m.get("labels") or ()))
        and (last is None or not isinstance(m.get("mail_id"), int) or m["mail_id"] < last)
    ]


def _read_mail(state: WriteState, params: Mapping[str, Any]) -> Any:
    mail = state._mail.get(params.get("mail_id"))  # type: ignore[arg-type]
    if mail is None:
        return None  # a mail no write sent: the data pack's or generated
    header = next(
        (
            m
            for m in _list(state, _MAILS, character_id=params["character_id"])
            if m.get("mail_id") == mail["mail_id"]
        ),
        None,
    )
    if header is None:
        return None
    return {**mail, "labels": header.get("labels", []), "read": header.get("is_read", False)}


def _labels(state: WriteState, character_id: int) -> list[Any]:
    body = _dict(state, _LABELS, character_id=character_id)
    if not isinstance(body.get("labels"), list):
        body["labels"] = []
    return body["labels"]  # type: ignore[no-any-return]


def _add_label(state: WriteState, params: Mapping[str, Any], character_id: int | None) -> tuple[int, Any]:
    label = _body(params) or {}
    label_id = state.new_id() % 1_000_000 + 32  # ESI's label ids are small; 1..31 are the built-in ones
    _labels(state, params["character_id"]).append({**label, "label_id": label_id, "unread_count": 0})
    return 201, label_id


def _delete_label(state: WriteState, params: Mapping[str, Any], character_id: int | None) -> tuple[int, Any]:
    owner, label_id = params["character_id"], params.get("label_id")
    labels = _labels(state, owner)
    labels[:] = [label for label in labels if label.get("label_id") != label_id]
    for mail in _list(state, _MAILS, character_id=owner):
        mail["labels"] = [i for i in mail.get("labels") or () if i != label_id]
    return 204, None


def _read_labels(state: WriteState, params: Mapping[str, Any]) -> Any:
    owner = params["character_id"]
    labels = _labels(state, owner)
    mails = _list(state, _MAILS, character_id=owner)
    for label in labels:
        label["unread_count"] = sum(
            1 for m in mails if label.get("label_id") in (m.get("labels") or ()) and not m.get("is_read")
        )
    body = _dict(state, _LABELS, character_id=owner)
    body["total_unread_count"] = sum(1 for m in mails if not m.get("is_read"))
    return body


# --- calendar -----------------------------------------------------------------------------

_EVENTS = "get_characters_character_id_calendar"
_EVENT = "get_characters_character_id_calendar_event_id"
_ATTENDEES = "get_characters_character_id_calendar_event_id_attendees"


def _respond(state: WriteState, params: Mapping[str, Any], character_id: int | None) -> tuple[int, Any]:
    owner, event_id = params["character_id"], params.get("event_id")
    answer = (_body(params) or {}).get("response")
    for event in _list(state, _EVENTS, character_id=owner):
        if event.get("event_id") == event_id:
            event["event_response"] = answer
    _dict(state, _EVENT, character_id=owner, event_id=event_id)["response"] = answer
    attendees = _list(state, _ATTENDEES, character_id=owner, event_id=event_id)
    attendees[:] = [a for a in attendees if a.get("character_id") != owner]
    attendees.append({"character_id": owner, "event_response": answer})
    return 204, None


# --- fleets -------------------------------------------------------------------------------

_FLEET, _MEMBERS, _WINGS = "get_fleets_fleet_id", "get_fleets_fleet_id_members", "get_fleets_fleet_id_wings"


def _fleet_settings(
    state: WriteState, params: Mapping[str, Any], character_id: int | None
) -> tuple[int, Any]:
    settings = _body(params) or {}
    fleet = _dict(state, _FLEET, fleet_id=params["fleet_id"])
    fleet.update({k: settings[k] for k in ("motd", "is_free_move") if k in settings})
    return 204, None


def _invite(state: WriteState, params: Mapping[str, Any], character_id: int | None) -> tuple[int, Any]:
    invitation = _body(params) or {}
    members = _list(state, _MEMBERS, fleet_id=params["fleet_id"])
    members[:] = [m for m in members if m.get("character_id") != invitation.get("character_id")]
    members.append(
        {
            "character_id": invitation.get("character_id"),
            "role": invitation.get("role", "squad_member"),
            "role_name": str(invitation.get("role", "squad_member")).replace("_", " ").title(),
            "squad_id": invitation.get("squad_id", -1),
            "wing_id": invitation.get("wing_id", -1),
            "join_time": state.now(),
            "ship_type_id": 587,
            "solar_system_id": 30000142,
            "takes_fleet_warp": True,
        }
    )
    return 204, None


def _move(state: WriteState, params: Mapping[str, Any], character_id: int | None) -> tuple[int, Any]:
    movement = _body(params) or {}
    for member in _list(state, _MEMBERS, fleet_id=params["fleet_id"]):
        if member.get("character_id") == params.get("member_id"):
            member.update({k: movement[k] for k in ("role", "squad_id", "wing_id") if k in movement})
    return 204, None


def _kick(state: WriteState, params: Mapping[str, Any], character_id: int | None) -> tuple[int, Any]:
    members = _list(state, _MEMBERS, fleet_id=params["fleet_id"])
    members[:] = [m for m in members if m.get("character_id") != params.get("member_id")]
    return 204, None


def _add_wing(state: WriteState, params: Mapping[str, Any], character_id: int | None) -> tuple[int, Any]:
    wings = _list(state, _WINGS, fleet_id=params["fleet_id"])
    wing_id = state.new_id()
    wings.append({"id": wing_id, "name": f"Wing {len(wings) + 1}", "squads": []})
    return 201, {"wing_id": wing_id}


def _add_squad(state: WriteState, params: Mapping[str, Any], character_id: int | None) -> tuple[int, Any]:
    squad_id = state.new_id()
    for wing in _list(state, _WINGS, fleet_id=params["fleet_id"]):
        if wing.get("id") == params.get("wing_id"):
            wing.setdefault("squads", []).append({"id": squad_id, "name": f"Squad {len(wing['squads']) + 1}"})
    return 201, {"squad_id": squad_id}


def _rename(what: str) -> Callable[[WriteState, Mapping[str, Any], int | None], tuple[int, Any]]:
    def rename(state: WriteState, params: Mapping[str, Any], character_id: int | None) -> tuple[int, Any]:
        name = (_body(params) or {}).get("name")
        for wing in _list(state, _WINGS, fleet_id=params["fleet_id"]):
            for node in [wing] if what == "wing" else wing.get("squads") or []:
                if node.get("id") == params.get(f"{what}_id") and name is not None:
                    node["name"] = name
        return 204, None

    return rename


def _remove(what: str) -> Callable[[WriteState, Mapping[str, Any], int | None], tuple[int, Any]]:
    def remove(state: WriteState, params: Mapping[str, Any], character_id: int | None) -> tuple[int, Any]:
        wings = _list(state, _WINGS, fleet_id=params["fleet_id"])
        gone = params.get(f"{what}_id")
        if what == "wing":
            wings[:] = [w for w in wings if w.get("id") != gone]
        for wing in wings:
            wing["squads"] = [s for s in wing.get("squads") or [] if s.get("id") != gone]
        return 204, None

    return remove


# --- structures (2017) --------------------------------------------------------------------

_STRUCTURES = "get_corporations_corporation_id_structures"


def _schedule(state: WriteState, params: Mapping[str, Any], character_id: int | None) -> tuple[int, Any]:
    schedule = _ids(_body(params))
    for structure in _list(state, _STRUCTURES, corporation_id=params["corporation_id"]):
        if structure.get("structure_id") == params.get("structure_id"):
            structure["next_vul"] = schedule
    return 204, None


Write = Callable[[WriteState, Mapping[str, Any], "int | None"], "tuple[int, Any]"]
#: Each write operation and what it does to the state.
WRITES: dict[str, Write] = {
    "post_characters_character_id_fittings": _add_fitting,
    "delete_characters_character_id_fittings_fitting_id": _delete_fitting,
    "post_characters_character_id_contacts": _add_contacts,
    "put_characters_character_id_contacts": _edit_contacts,
    "delete_characters_character_id_contacts": _delete_contacts,
    "post_characters_character_id_mail": _send_mail,
    "put_characters_character_id_mail_mail_id": _update_mail,
    "delete_characters_character_id_mail_mail_id": _delete_mail,
    "post_characters_character_id_mail_labels": _add_label,
    "delete_characters_character_id_mail_labels_label_id": _delete_label,
    "put_characters_character_id_calendar_event_id": _respond,
    "put_fleets_fleet_id": _fleet_settings,
    "post_fleets_fleet_id_members": _invite,
    "put_fleets_fleet_id_members_member_id": _move,
    "delete_fleets_fleet_id_members_member_id": _kick,
    "post_fleets_fleet_id_wings": _add_wing,
    "put_fleets_fleet_id_wings_wing_id": _rename("wing"),
    "delete_fleets_fleet_id_wings_wing_id": _remove("wing"),
    "post_fleets_fleet_id_wings_wing_id_squads": _add_squad,
    "put_fleets_fleet_id_squads_squad_id": _rename("squad"),
    "delete_fleets_fleet_id_squads_squad_id": _remove("squad"),
    "put_corporations_corporation_id_structures_structure_id": _schedule,
}


def _collection(operation: str, *names: str) -> Callable[[WriteState, Mapping[str, Any]], Any]:
    def read(state: WriteState, params: Mapping[str, Any]) -> Any:
        return state.body(operation, **{n: params[n] for n in names})

    return read


#: Each read the state answers (the collections writes change).
READS: dict[str, Callable[[WriteState, Mapping[str, Any]], Any]] = {
    _FITTINGS: _collection(_FITTINGS, "character_id"),
    _CONTACTS: _collection(_CONTACTS, "character_id"),
    _MAILS: _read_mails,
    "get_characters_character_id_mail_mail_id": _read_mail,
    _LABELS: _read_labels,
    _EVENTS: _collection(_EVENTS, "character_id"),
    _EVENT: _collection(_EVENT, "character_id", "event_id"),
    _ATTENDEES: _collection(_ATTENDEES, "character_id", "event_id"),
    _FLEET: _collection(_FLEET, "fleet_id"),
    _MEMBERS: _collection(_MEMBERS, "fleet_id"),
    _WINGS: _collection(_WINGS, "fleet_id"),
    _STRUCTURES: _collection(_STRUCTURES, "corporation_id"),
}
