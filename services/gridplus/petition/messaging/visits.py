"""Dispatch's VisitRecorded (gridplus.dispatch.events.v1): the findings that raise a petition
become petitions (handlers/visits.py). A finding without raise_petition raises nothing; an
event the domain refuses (no visit id, a petition id that is not a UUID) fails and, after the
kit's retries, lands in the DLQ.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from gridplus.api.common.v1 import common_pb2
from gridplus.api.events.v1 import events_pb2
from gridplus.kit.consumer import EventHandler, handler_table
from gridplus.kit.events import Event
from gridplus.petition.api.convert import from_timestamp
from gridplus.petition.domain.values import GeoPoint
from gridplus.petition.domain.visits import RecordedVisit, VisitFinding
from gridplus.petition.handlers import visits
from gridplus.petition.handlers.deps import Deps


def recorded_visit(payload: events_pb2.VisitRecorded, *, arrived_at: datetime) -> RecordedVisit:
    """The visit as petition reads it; `arrived_at` stands in for a visit time not sent."""
    visited_at = (
        from_timestamp(payload.visited_at) if payload.HasField("visited_at") else arrived_at
    )
    location: common_pb2.GeoPoint = payload.location
    return RecordedVisit(
        visit_id=payload.visit_id,
        grid_code=payload.grid_code,
        worker_id=payload.worker_id,
        visited_at=visited_at,
        location=GeoPoint(location.lat, location.lon),
        findings=tuple(
            VisitFinding(
                index=finding.index,
                petition_id=finding.petition_id,
                title=finding.title,
                description=finding.description,
                category=finding.category,
            )
            for finding in payload.findings
            if finding.raise_petition
        ),
    )


def visit_handlers(deps: Deps) -> dict[str, EventHandler]:
    def on_visit_recorded(session: Session, event: Event) -> None:
        payload: events_pb2.VisitRecorded = event.payload  # type: ignore[assignment]
        visit = recorded_visit(payload, arrived_at=event.time)
        if visit.findings:
            visits.raise_visit_petitions(session, deps, visit=visit)

    return handler_table((events_pb2.VisitRecorded, on_visit_recorded))
