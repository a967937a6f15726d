"""What a resident is shown of their own petition over HTTP: the same JSON staff get, minus what
is internal to the city's work (居民视图).

Staff and services read the full record (who did what, dispatch's routing reasons). A resident
reads the history in resident words: who acted by role only, never a staff member's id; a note
only where it was written for the reporter (the resolution, the reason for a rejection, a staff
member's note, the petition it was merged into), never dispatch's routing reasons, triage
scores, transfer targets or clock bookkeeping; times to the second. The petition itself leaves
out every staff id (issue 15: `assignee_id`, the grid worker handling it) but keeps the
department and the grid: a resident may know who handles it, not which person. The page turns
these into sentences in the resident's language and zone.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from gridplus.kit.roles import Role
from gridplus.petition.domain.access import Viewer
from gridplus.petition.domain.history import EntryKind
from gridplus.petition.domain.lifecycle import Status

# Fields of petition_json that name a staff member: staff read them, a resident never does.
STAFF_ID_FIELDS = ("assignee_id",)
# Status changes whose note is addressed to the reporter, whoever recorded it.
_NOTES_FOR_REPORTER = frozenset({Status.RESOLVED, Status.REJECTED, Status.DUPLICATE})
# Fields of petition_json that name a staff member: staff read them, a resident never does.
STAFF_ID_FIELDS = ("assignee_id",)
# Status changes whose note a staff member wrote by hand (a service's note there is internal).
_STAFF_NOTES = frozenset({Status.CLOSED, Status.REOPENED})
TRIAGE_WORDS = "staff are choosing the category"


def petition_for(viewer: Viewer, body: dict[str, Any]) -> dict[str, Any]:
    """The petition's JSON as `viewer` may read it: resident words for a resident."""
    return resident_petition(body) if viewer.role is Role.RESIDENT else body


def history_for(viewer: Viewer, entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The history's JSON as `viewer` may read it: resident words for a resident."""
    return resident_history(entries, viewer) if viewer.role is Role.RESIDENT else entries


def resident_petition(body: dict[str, Any]) -> dict[str, Any]:
    """A petition's JSON (petition_json / view_json) as its reporter sees it: no staff id, the
    triage wait in plain words (not the classifier's scores), instants to the second."""
    out = {key: value for key, value in body.items() if key not in STAFF_ID_FIELDS}
    triage = out.get("triage")
    if isinstance(triage, dict):
        out["triage"] = {**triage, "reason": TRIAGE_WORDS}
    for key in ("deadline", "paused_at", "created_at", "updated_at"):
        out[key] = _seconds(out.get(key))
    deadlines = out.get("deadlines")
    if isinstance(deadlines, dict):
        out["deadlines"] = {k: _seconds(v) for k, v in deadlines.items()}
    return out


def resident_history(entries: list[dict[str, Any]], viewer: Viewer) -> list[dict[str, Any]]:
    """History entries (history_json) in resident words, in the shape staff get: `actor_id` is
    the resident's own id on their own entries and empty on everyone else's (the role stays:
    "grid_worker", "service"), `note` is empty where it is internal. A service's notes (routing,
    triage, transfers, deadline changes) are left out whole: they are the city's bookkeeping."""
    shown = []
    for entry in entries:
        by_service = entry["actor_role"] == Role.SERVICE.value
        if entry["kind"] == EntryKind.NOTE.value and by_service:
            continue
        own = entry["actor_id"] == viewer.id and entry["actor_role"] == viewer.role.value
        shown.append(
            entry
            | {
                "actor_id": entry["actor_id"] if own else "",
                "note": entry["note"] if _for_reporter(entry, by_service) else "",
                "at": _seconds(entry["at"]),
            }
        )
    return shown


def _for_reporter(entry: dict[str, Any], by_service: bool) -> bool:
    if entry["kind"] == EntryKind.NOTE.value:
        return True  # a staff member's note (a service's are left out)
    status = Status(entry["to_status"])
    return status in _NOTES_FOR_REPORTER or (status in _STAFF_NOTES and not by_service)


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
