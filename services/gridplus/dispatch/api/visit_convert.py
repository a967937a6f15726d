"""Visits and care clocks to and from protobuf: the VisitService messages, the events dispatch
publishes about them (VisitRecorded, CareVisitOverdue) and the HouseholdChanged it consumes."""

from __future__ import annotations

from datetime import UTC, datetime

from google.protobuf.timestamp_pb2 import Timestamp

from gridplus.api.common.v1 import common_pb2
from gridplus.api.dispatch.v1 import dispatch_pb2, visits_pb2
from gridplus.api.events.v1 import events_pb2
from gridplus.dispatch.domain.care import CareClock
from gridplus.dispatch.domain.places import GridPlace
from gridplus.dispatch.domain.time_limits import Light
from gridplus.dispatch.domain.visits import Finding, Household, Visit
from gridplus.dispatch.handlers.households import CareMember, HouseholdChange

LIGHTS = {
    Light.GREEN: dispatch_pb2.LIGHT_GREEN,
    Light.YELLOW: dispatch_pb2.LIGHT_YELLOW,
    Light.RED: dispatch_pb2.LIGHT_RED,
}
LIGHTS_FROM_PROTO = {proto: light for light, proto in LIGHTS.items()}


def _stamp(instant: datetime) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(instant)
    return stamp


def finding_message(finding: Finding) -> visits_pb2.VisitFinding:
    return visits_pb2.VisitFinding(
        index=finding.index,
        category=finding.category,
        title=finding.title,
        description=finding.description,
        raise_petition=finding.raise_petition,
        petition_id=finding.petition_id,
    )


def visit_message(visit: Visit) -> visits_pb2.Visit:
    lat, lon = visit.location
    return visits_pb2.Visit(
        visit_id=visit.visit_id,
        household_id=visit.household_id,
        grid_code=visit.grid_code,
        worker_id=visit.worker_id,
        visited_at=_stamp(visit.visited_at),
        location=common_pb2.GeoPoint(lat=lat, lon=lon),
        distance_meters=visit.distance_meters,
        notes=visit.notes,
        findings=[finding_message(f) for f in visit.findings],
        photo_count=visit.photo_count,
        care_member_ids=list(visit.care_member_ids),
        recorded_at=_stamp(visit.recorded_at),
    )


def visit_recorded(visit: Visit) -> events_pb2.VisitRecorded:
    """The event: ids, grid, time, point, findings and care checks; never the notes or photos."""
    lat, lon = visit.location
    return events_pb2.VisitRecorded(
        visit_id=visit.visit_id,
        household_id=visit.household_id,
        grid_code=visit.grid_code,
        worker_id=visit.worker_id,
        visited_at=_stamp(visit.visited_at),
        location=common_pb2.GeoPoint(lat=lat, lon=lon),
        findings=[finding_message(f) for f in visit.findings],
        care_visits=[
            events_pb2.CareVisitCheck(
                member_id=check.member_id, due_at=_stamp(check.due_at), on_time=check.on_time
            )
            for check in visit.care_checks
        ],
        photo_count=visit.photo_count,
    )


def care_visit_overdue(clock: CareClock, detected_at: datetime) -> events_pb2.CareVisitOverdue:
    message = events_pb2.CareVisitOverdue(
        member_id=clock.member_id,
        household_id=clock.household_id,
        grid_code=clock.grid_code,
        care_groups=list(clock.care_groups),
        due_at=_stamp(clock.due_at),
        detected_at=_stamp(detected_at),
    )
    if clock.last_visited_at is not None:
        message.last_visited_at.CopyFrom(_stamp(clock.last_visited_at))
    return message


def care_due(clock: CareClock, now: datetime) -> visits_pb2.CareDue:
    message = visits_pb2.CareDue(
        member_id=clock.member_id,
        household_id=clock.household_id,
        grid_code=clock.grid_code,
        care_groups=list(clock.care_groups),
        visit_interval_days=clock.interval_days,
        due_at=_stamp(clock.due_at),
        light=LIGHTS[clock.light(now)],
    )
    if clock.last_visited_at is not None:
        message.last_visited_at.CopyFrom(_stamp(clock.last_visited_at))
    return message


def household_change(
    payload: events_pb2.HouseholdChanged, grid: GridPlace | None, received_at: datetime
) -> HouseholdChange:
    """The event as the replica takes it; `grid` is the registry's grid (its path), None when
    the registry does not know the code (then the path is the code alone)."""
    path = grid.path if grid is not None else (payload.grid_code,)
    changed_at = (
        payload.changed_at.ToDatetime(tzinfo=UTC) if payload.HasField("changed_at") else received_at
    )
    household = Household(
        household_id=payload.household_id,
        grid_code=payload.grid_code,
        grid_path=tuple(path),
        place_code=payload.place_code,
        version=payload.version,
        removed=payload.removed,
    )
    members = tuple(
        CareMember(m.member_id, tuple(m.care_groups), m.visit_interval_days)
        for m in payload.care_members
        if m.member_id
    )
    return HouseholdChange(household, members, payload.member_count, changed_at)
