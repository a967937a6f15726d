"""The one place for conversion at the edge: domain ↔ protobuf (the gRPC API, the events this
service publishes and those it consumes) and domain → JSON (the resident HTTP API)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp

from gridplus.api.common.v1 import common_pb2
from gridplus.api.events.v1 import events_pb2
from gridplus.api.petition.v1 import petition_pb2
from gridplus.petition.domain.events import DomainEvent, PetitionMerged, PetitionSubmitted
from gridplus.petition.domain.lifecycle import FollowUpOutcome, Status
from gridplus.petition.domain.petition import EntryKind, HistoryEntry, Light, Petition
from gridplus.petition.domain.photos import PhotoRef
from gridplus.petition.domain.values import (
    CategoryChoice,
    CategorySource,
    Contact,
    GeoPoint,
    GridRef,
    Publication,
    Source,
)
from gridplus.petition.domain.views import PetitionView

# Each domain enum's value names its proto value (PETITION_STATUS_VERIFIED, LIGHT_RED, ...).
_STATUS_TO_PROTO: dict[Status, petition_pb2.PetitionStatus] = {
    s: getattr(petition_pb2, f"PETITION_STATUS_{s}") for s in Status
}
_STATUS_FROM_PROTO: dict[int, Status] = {value: key for key, value in _STATUS_TO_PROTO.items()}
_SOURCE_TO_PROTO: dict[Source, petition_pb2.PetitionSource] = {
    s: getattr(petition_pb2, f"PETITION_SOURCE_{s}") for s in Source
}
_LIGHT_TO_PROTO: dict[Light, petition_pb2.Light] = {
    light: getattr(petition_pb2, f"LIGHT_{light}") for light in Light
}
LIGHT_FROM_PROTO: dict[int, Light] = {value: key for key, value in _LIGHT_TO_PROTO.items()}
_PUBLICATION_TO_PROTO: dict[Publication, petition_pb2.PetitionPublication] = {
    p: getattr(petition_pb2, f"PETITION_PUBLICATION_{p}") for p in Publication
}
_ORIGIN_TO_PROTO: dict[CategorySource, petition_pb2.CategoryOrigin] = {
    s: getattr(petition_pb2, f"CATEGORY_ORIGIN_{s}") for s in CategorySource
}
_CATEGORY_SOURCE_FROM_EVENT: dict[int, CategorySource] = {
    getattr(events_pb2, f"CATEGORY_SOURCE_{s}"): s for s in CategorySource
}
_OUTCOME_FROM_EVENT: dict[int, FollowUpOutcome] = {
    getattr(events_pb2, f"FOLLOW_UP_OUTCOME_{o}"): o for o in FollowUpOutcome
}


def follow_up_outcome_from_event(value: int) -> FollowUpOutcome | None:
    """None for UNSPECIFIED (or an outcome newer than this code knows)."""
    return _OUTCOME_FROM_EVENT.get(value)


def category_choice_from_event(choice: events_pb2.CategoryChoice) -> CategoryChoice | None:
    if not choice.code:
        return None
    return CategoryChoice(
        code=choice.code,
        name_zh=choice.name_zh,
        name_en=choice.name_en,
        top_level_code=choice.top_level_code,
        source=_CATEGORY_SOURCE_FROM_EVENT.get(choice.source, CategorySource.GIVEN),
        confidence=choice.confidence,
    )


def status_to_proto(status: Status | None) -> petition_pb2.PetitionStatus:
    if status is None:
        return petition_pb2.PETITION_STATUS_UNSPECIFIED
    return _STATUS_TO_PROTO[status]


def status_from_proto(value: int) -> Status | None:
    """None for UNSPECIFIED (or a value newer than this code knows)."""
    return _STATUS_FROM_PROTO.get(value)


def source_to_proto(source: Source) -> petition_pb2.PetitionSource:
    return _SOURCE_TO_PROTO[source]


def timestamp(instant: datetime) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(instant.astimezone(UTC))
    return stamp


def from_timestamp(stamp: Timestamp) -> datetime:
    return stamp.ToDatetime(tzinfo=UTC)


def geo_point(point: GeoPoint) -> common_pb2.GeoPoint:
    return common_pb2.GeoPoint(lat=point.lat, lon=point.lon)


def grid_ref_from_proto(grid: common_pb2.GridRef) -> GridRef:
    return GridRef(
        code=grid.code,
        level=grid.level,
        path=tuple(grid.path),
        grid_set_version=grid.grid_set_version,
    )


def grid_ref_to_proto(grid: GridRef) -> common_pb2.GridRef:
    return common_pb2.GridRef(
        code=grid.code, level=grid.level, path=grid.path, grid_set_version=grid.grid_set_version
    )


def petition_to_proto(petition: Petition) -> petition_pb2.Petition:
    out = petition_pb2.Petition(
        id=petition.id,
        status=status_to_proto(petition.status),
        title=petition.title,
        description=petition.description,
        category=petition.category or "",
        location=geo_point(petition.location),
        assignee_id=petition.assignee_id or "",
        created_at=timestamp(petition.created_at),
        updated_at=timestamp(petition.updated_at),
        reject_reason=petition.reject_reason or "",
        source=source_to_proto(petition.source),
    )
    if petition.grid is not None:
        out.grid.CopyFrom(grid_ref_to_proto(petition.grid))
    if petition.deadline is not None:
        out.deadline.CopyFrom(timestamp(petition.deadline))
    out.reporter_id = petition.reporter.id
    out.in_triage = petition.triage_reason is not None
    out.triage_reason = petition.triage_reason or ""
    out.department_code = petition.department_code or ""
    out.duplicate_of = petition.duplicate_of or ""
    out.resolution_note = petition.resolution_note or ""
    if petition.verify_deadline is not None:
        out.verify_deadline.CopyFrom(timestamp(petition.verify_deadline))
    if petition.handling_deadline is not None:
        out.handling_deadline.CopyFrom(timestamp(petition.handling_deadline))
    out.paused = petition.paused
    out.publication = _PUBLICATION_TO_PROTO[petition.publication]
    out.visit_id = petition.visit_id or ""
    if petition.paused and petition.clock_paused_at is not None:
        out.paused_at.CopyFrom(timestamp(petition.clock_paused_at))
    choice = petition.category_choice
    if choice is not None:
        out.category_choice.CopyFrom(
            petition_pb2.PetitionCategory(
                code=choice.code,
                name_zh=choice.name_zh,
                name_en=choice.name_en,
                top_level_code=choice.top_level_code,
                origin=_ORIGIN_TO_PROTO[choice.source],
                confidence=choice.confidence,
            )
        )
    elif petition.category:
        out.category_choice.CopyFrom(
            petition_pb2.PetitionCategory(
                code=petition.category, origin=petition_pb2.CATEGORY_ORIGIN_GIVEN
            )
        )
    return out


def view_to_proto(
    petition: Petition,
    *,
    contact: Contact | None,
    masked: bool,
    photos: list[PhotoRef],
    possible_duplicates: list[str],
    light: Light | None,
) -> petition_pb2.Petition:
    out = petition_to_proto(petition)
    if contact is not None:
        out.reporter_contact.CopyFrom(
            petition_pb2.PetitionContact(
                name=contact.name,
                phone=contact.phone,
                email=contact.email,
                address=contact.address,
                masked=masked,
            )
        )
    out.photos.extend(photo_to_proto(photo) for photo in photos)
    out.possible_duplicate_ids.extend(possible_duplicates)
    if light is not None:
        out.light = _LIGHT_TO_PROTO[light]
    return out


def photo_to_proto(photo: PhotoRef) -> petition_pb2.PetitionPhoto:
    return petition_pb2.PetitionPhoto(
        seq=photo.seq,
        media_type=photo.media_type,
        size=photo.size,
        stage=photo.stage,
        digest=photo.digest,
    )


def history_to_proto(entry: HistoryEntry) -> petition_pb2.HistoryEntry:
    return petition_pb2.HistoryEntry(
        from_status=status_to_proto(entry.from_status),
        to_status=status_to_proto(entry.to_status),
        actor_id=entry.actor.id,
        actor_role=entry.actor.role.value,
        note=entry.note,
        at=timestamp(entry.at),
        kind=(
            petition_pb2.HISTORY_KIND_NOTE
            if entry.kind is EntryKind.NOTE
            else petition_pb2.HISTORY_KIND_STATUS
        ),
    )


def event_payload(event: DomainEvent) -> Message:
    """The Kafka payload (events.proto) for a domain event."""
    if isinstance(event, PetitionSubmitted):
        submitted = events_pb2.PetitionSubmitted(
            petition_id=event.petition_id,
            title=event.title,
            description=event.description,
            category=event.category or "",
            location=geo_point(event.location),
            submitted_at=timestamp(event.at),
            reporter_id=event.reporter_id,
            source=source_to_proto(event.source),
        )
        if (origin := event.imported) is not None:  # history: counted, no work started
            imported = submitted.imported
            imported.source, imported.source_request_id = origin.source, origin.source_request_id
            imported.grid.CopyFrom(grid_ref_to_proto(origin.grid))
        if (visit := event.visit) is not None:  # raised by a visit: routed to the visit's grid
            ref = submitted.visit
            ref.visit_id, ref.finding_index = visit.visit_id, visit.finding_index
            ref.grid_code, ref.worker_id = visit.grid_code, visit.worker_id
        return submitted
    if isinstance(event, PetitionMerged):
        return events_pb2.PetitionMerged(
            petition_id=event.petition_id,
            survivor_id=event.survivor_id,
            actor_id=event.actor.id,
            merged_at=timestamp(event.at),
        )
    message = events_pb2.PetitionStatusChanged(
        petition_id=event.petition_id,
        from_status=status_to_proto(event.from_status),
        to_status=status_to_proto(event.to_status),
        actor_id=event.actor.id,
        actor_role=event.actor.role.value,
        note=event.note,
        changed_at=timestamp(event.at),
        category=event.category or "",
        imported=event.imported,
    )
    if event.handling_deadline is not None:
        message.handling_deadline.CopyFrom(timestamp(event.handling_deadline))
    return message


# -- JSON (the resident HTTP API) ---------------------------------------------------------


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
        "grid": asdict(grid) if grid else None,  # code, level, path, grid_set_version
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
