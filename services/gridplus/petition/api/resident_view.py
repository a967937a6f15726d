"""What a resident is shown of their own petition over HTTP: the same JSON staff get, minus what
is internal to the city's work (居民视图).

Staff and services read the full record (who did what, dispatch's routing reasons). A resident
reads it in resident words: who acted as "you", "staff" or "the city's system", never a staff
member's id; a history note only where it was written for the reporter (the resolution, the
reason for a rejection, a staff member's note, the petition it was merged into), never
dispatch's routing reasons, triage scores, transfer targets or clock bookkeeping; times to the
second. The page turns these into sentences in the resident's language and zone.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from gridplus.kit.roles import Role
from gridplus.petition.domain.access import Viewer
from gridplus.petition.domain.history import EntryKind, HistoryEntry
from gridplus.petition.domain.lifecycle import Status

# Status changes whose note is addressed to the reporter, whoever recorded it.
_NOTES_FOR_REPORTER = frozenset({Status.RESOLVED, Status.REJECTED, Status.DUPLICATE})
# Status changes whose note a staff member wrote by hand (a service's note there is internal).
_STAFF_NOTES = frozenset({Status.CLOSED, Status.REOPENED})
TRIAGE_WORDS = "staff are choosing the category"


def is_resident(viewer: Viewer) -> bool:
    return viewer.role is Role.RESIDENT


def resident_petition(body: dict[str, Any]) -> dict[str, Any]:
    """A petition's JSON (petition_json / view_json) as its reporter sees it: no handler id, no
    classifier scores, instants to the second."""
    out = dict(body)
    out["assignee_id"] = None
    triage = out.get("triage")
    if isinstance(triage, dict):
        out["triage"] = {**triage, "reason": TRIAGE_WORDS}
    choice = out.get("category_choice")
    if isinstance(choice, dict) and "confidence" in choice:
        out["category_choice"] = {**choice, "confidence": None}
    for key in ("deadline", "paused_at", "created_at", "updated_at"):
        out[key] = _seconds(out.get(key))
    deadlines = out.get("deadlines")
    if isinstance(deadlines, dict):
        out["deadlines"] = {k: _seconds(v) for k, v in deadlines.items()}
    return out


def resident_history(entries: list[HistoryEntry], viewer: Viewer) -> list[dict[str, Any]]:
    """The history in resident words; a service's notes (routing, triage, transfers, deadline
    changes) are left out whole: they are the city's bookkeeping, not news for the reporter."""
    shown = []
    for entry in entries:
        internal = entry.actor.role is Role.SERVICE
        if entry.kind is EntryKind.NOTE and internal:
            continue
        shown.append(
            {
                "kind": entry.kind.value,
                "from_status": entry.from_status.value if entry.from_status else None,
                "to_status": entry.to_status.value,
                "actor_id": None,
                "actor_role": _by(entry, viewer),
                "note": entry.note if _note_for_reporter(entry) and entry.note else None,
                "at": _stamp(entry.at),
            }
        )
    return shown


def _by(entry: HistoryEntry, viewer: Viewer) -> str:
    """ "you" (the reporter), "staff" or "system"; never an id."""
    if entry.actor.role is Role.SERVICE:
        return "system"
    if entry.actor.id == viewer.id and entry.actor.role is Role.RESIDENT:
        return "you"
    return "resident" if entry.actor.role is Role.RESIDENT else "staff"


def _note_for_reporter(entry: HistoryEntry) -> bool:
    if entry.kind is EntryKind.NOTE:
        return True  # a staff member's note (a service's are left out above)
    if entry.to_status in _NOTES_FOR_REPORTER:
        return True
    return entry.to_status in _STAFF_NOTES and entry.actor.role is not Role.SERVICE


def _stamp(instant: datetime) -> str:
    return instant.astimezone(UTC).replace(microsecond=0).isoformat()


def _seconds(value: object) -> object:
    """An ISO instant from petition_json cut to the second; anything else as it is."""
    if not isinstance(value, str):
        return value
    try:
        return _stamp(datetime.fromisoformat(value))
    except ValueError:
        return value
