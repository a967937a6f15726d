"""The JSON the resident API answers with."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from gridplus.api.evaluation.v1 import evaluation_pb2
from gridplus.petition.domain.petition import HistoryEntry, Petition
from gridplus.petition.domain.photos import PhotoRef
from gridplus.petition.handlers import PetitionView


def iso(instant: datetime | None) -> str | None:
    """ISO 8601 in UTC with an explicit offset, e.g. 2026-11-28T10:00:00+00:00."""
    return instant.astimezone(UTC).isoformat() if instant is not None else None


def petition_json(petition: Petition) -> dict[str, Any]:
    grid = petition.grid
    return {
        "id": petition.id,
        "status": petition.status.value,
        "title": petition.title,
        "description": petition.description,
        "category": petition.category,
        "category_choice": category_json(petition),
        "triage": (
            {"waiting": True, "reason": petition.triage_reason}
            if petition.triage_reason is not None
            else None
        ),
        "location": {"lat": petition.location.lat, "lon": petition.location.lon},
        "grid": (
            {
                "code": grid.code,
                "level": grid.level,
                "path": list(grid.path),
                "grid_set_version": grid.grid_set_version,
            }
            if grid
            else None
        ),
        "department_code": petition.department_code,
        "assignee_id": petition.assignee_id,
        "deadline": iso(petition.deadline),
        "deadlines": {
            "current": iso(petition.deadline),
            "verify": iso(petition.verify_deadline),
            "handling": iso(petition.handling_deadline),
        },
        # Dispatch paused the current step's clock (waiting for the resident): the deadline
        # does not run and the light stays as it was at `paused_at`.
        "paused": petition.paused,
        "paused_at": iso(petition.clock_paused_at) if petition.paused else None,
        "reject_reason": petition.reject_reason,
        "duplicate_of": petition.duplicate_of,
        "resolution_note": petition.resolution_note,
        "source": petition.source.value,
        # Whether its description may be published on the public Open311 views, and why.
        "public": petition.publication.public,
        "publication": petition.publication.value,
        "created_at": iso(petition.created_at),
        "updated_at": iso(petition.updated_at),
    }


def category_json(petition: Petition) -> dict[str, Any] | None:
    """The chosen category: names in both languages, its top-level class, and whether it was
    given, classified automatically (with what confidence) or set from manual triage."""
    choice = petition.category_choice
    if choice is not None:
        return {
            "code": choice.code,
            "name_zh": choice.name_zh,
            "name_en": choice.name_en,
            "top_level_code": choice.top_level_code,
            "source": choice.source.value,
            "classified": choice.source.value == "CLASSIFIED",
            "confidence": choice.confidence,
        }
    if petition.category:
        return {"code": petition.category, "source": "GIVEN", "classified": False}
    return None


def view_json(view: PetitionView) -> dict[str, Any]:
    body = petition_json(view.petition)
    body["light"] = view.light.value if view.light else None
    contact = view.contact
    body["contact"] = (
        {
            "name": contact.name,
            "phone": contact.phone,
            "email": contact.email,
            "address": contact.address,
            "language": contact.language or None,
            "masked": view.contact_masked,
        }
        if contact is not None
        else None
    )
    body["photos"] = [photo_json(photo) for photo in view.photos]
    return body


def photo_json(photo: PhotoRef) -> dict[str, Any]:
    return {
        "seq": photo.seq,
        "media_type": photo.media_type,
        "size": photo.size,
        "stage": photo.stage,
        "url": f"/api/v1/petitions/{photo.petition_id}/photos/{photo.seq}",
    }


def history_json(entry: HistoryEntry) -> dict[str, Any]:
    return {
        "kind": entry.kind.value,
        "from_status": entry.from_status.value if entry.from_status else None,
        "to_status": entry.to_status.value,
        "actor_id": entry.actor.id,
        "actor_role": entry.actor.role.value,
        "note": entry.note,
        "at": iso(entry.at),
    }


def answer_json(answer: evaluation_pb2.FollowUpAnswer) -> dict[str, Any]:
    """One completed follow-up: SATISFIED (the petition closes), UNSATISFIED (it reopens) or
    NO_RESPONSE; `via` rating, visit or timeout."""
    outcome = evaluation_pb2.FollowUpOutcome.Name(answer.outcome)
    return {
        "outcome": outcome.removeprefix("FOLLOW_UP_OUTCOME_"),
        "rating": answer.rating or None,
        "comment": answer.comment,
        "via": answer.via,
        "completed_at": iso(answer.completed_at.ToDatetime(tzinfo=UTC)),
    }


def follow_up_json(petition_id: str, state: evaluation_pb2.GetFollowUpResponse) -> dict[str, Any]:
    """`pending` while the petition is RESOLVED and unanswered, until `due_at` (then it closes
    as no response)."""
    due = state.due_time.ToDatetime(tzinfo=UTC) if state.HasField("due_time") else None
    return {
        "petition_id": petition_id,
        "pending": state.pending,
        "due_at": iso(due),
        "answers": [answer_json(a) for a in state.answers],
    }
