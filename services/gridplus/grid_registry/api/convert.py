"""The one place where grid-registry's domain values become gridplus.grid.v1 and
gridplus.events.v1 messages (and API enums become domain values)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp

from gridplus.api.events.v1 import events_pb2
from gridplus.api.grid.v1 import grid_pb2
from gridplus.grid_registry.domain.events import Event, GridSetImported
from gridplus.grid_registry.domain.grids import GridSet, GridSpec
from gridplus.grid_registry.domain.members import Member, MemberRole
from gridplus.grid_registry.domain.places import Place, PlaceKind
from gridplus.grid_registry.domain.taxonomy import Category, Department, Priority
from gridplus.kit.errors import InvalidArgument

if TYPE_CHECKING:
    from gridplus.grid_registry.handlers.grids import Located

ROLE_TO_PROTO: dict[MemberRole, grid_pb2.MemberRole] = {
    MemberRole.GRID_WORKER: grid_pb2.MEMBER_ROLE_GRID_WORKER,
    MemberRole.GRID_CHIEF: grid_pb2.MEMBER_ROLE_GRID_CHIEF,
    MemberRole.BUILDING_CHIEF: grid_pb2.MEMBER_ROLE_BUILDING_CHIEF,
    MemberRole.UNIT_CHIEF: grid_pb2.MEMBER_ROLE_UNIT_CHIEF,
    MemberRole.STREET_CHIEF: grid_pb2.MEMBER_ROLE_STREET_CHIEF,
    MemberRole.LANE_CHIEF: grid_pb2.MEMBER_ROLE_LANE_CHIEF,
    MemberRole.DEPARTMENT_STAFF: grid_pb2.MEMBER_ROLE_DEPARTMENT_STAFF,
    MemberRole.DEPARTMENT_HEAD: grid_pb2.MEMBER_ROLE_DEPARTMENT_HEAD,
    MemberRole.INSPECTOR: grid_pb2.MEMBER_ROLE_INSPECTOR,
    MemberRole.VOLUNTEER: grid_pb2.MEMBER_ROLE_VOLUNTEER,
}
ROLE_FROM_PROTO: dict[int, MemberRole] = {int(value): role for role, value in ROLE_TO_PROTO.items()}
PRIORITY_TO_PROTO: dict[Priority, grid_pb2.CategoryPriority] = {
    Priority.LOW: grid_pb2.CATEGORY_PRIORITY_LOW,
    Priority.NORMAL: grid_pb2.CATEGORY_PRIORITY_NORMAL,
    Priority.HIGH: grid_pb2.CATEGORY_PRIORITY_HIGH,
    Priority.URGENT: grid_pb2.CATEGORY_PRIORITY_URGENT,
}


def role_from_proto(value: int) -> MemberRole | None:
    """The role a request filters on; None for MEMBER_ROLE_UNSPECIFIED (any role)."""
    if value == grid_pb2.MEMBER_ROLE_UNSPECIFIED:
        return None
    role = ROLE_FROM_PROTO.get(value)
    if role is None:
        raise InvalidArgument.single("role", f"unknown member role {value}")
    return role


def grid(spec: GridSpec, grids: GridSet, version: int) -> grid_pb2.Grid:
    return grid_pb2.Grid(
        code=spec.code,
        name=spec.name,
        level=spec.level,
        parent_code=spec.parent_code or "",
        path=grids.path(spec.code),
        grid_set_version=version,
    )


def located(found: Located, grids: GridSet) -> grid_pb2.LocateGridResponse:
    """LocateGrid's answer: the smallest grid (code, level, path, version) and its ancestors."""
    response = grid_pb2.LocateGridResponse(
        ancestors=[grid(spec, grids, found.version) for spec in found.ancestors],
        snapped=found.snapped,
        snap_distance_meters=found.distance_m,
    )
    response.grid.code = found.grid.code
    response.grid.level = found.grid.level
    response.grid.path.extend(found.path)
    response.grid.grid_set_version = found.version
    return response


def member(person: Member) -> grid_pb2.Member:
    return grid_pb2.Member(
        person_id=person.person_id,
        display_name=person.display_name,
        role=ROLE_TO_PROTO[person.role],
        grid_code=person.grid_code,
        email=person.email,
        phone=person.phone,
        language=person.language,
        department_code=person.department_code,
        place_code=person.place_code,
    )


def place(value: Place) -> grid_pb2.Place:
    return grid_pb2.Place(
        code=value.code,
        name=value.name,
        kind=grid_pb2.PLACE_KIND_BUILDING
        if value.kind is PlaceKind.BUILDING
        else grid_pb2.PLACE_KIND_UNIT,
        grid_code=value.grid_code,
        parent_code=value.parent_code or "",
    )


def category(value: Category) -> grid_pb2.Category:
    return grid_pb2.Category(
        code=value.code,
        name_zh=value.name_zh,
        name_en=value.name_en,
        top_level_code=value.top_level_code,
        parent_code=value.parent_code or "",
        priority=PRIORITY_TO_PROTO[value.priority],
        verify_sla_minutes=value.verify_sla_minutes,
        handle_sla_minutes=value.handle_sla_minutes,
        business_calendar=value.business_calendar,
    )


def department(value: Department) -> grid_pb2.Department:
    return grid_pb2.Department(
        code=value.code,
        name_zh=value.name_zh,
        name_en=value.name_en,
        head_person_id=value.head_person_id or "",
    )


def event_payload(event: Event) -> Message:
    """The gridplus.events.v1 message an outbox row carries for `event`."""
    if isinstance(event, GridSetImported):
        return events_pb2.GridSetImported(
            grid_set_version=event.version,
            grid_count=event.grid_count,
            imported_at=_timestamp(event.imported_at),
        )
    return events_pb2.MembershipChanged(
        person_id=event.person_id,
        grid_code=event.grid_code,
        role=ROLE_TO_PROTO[event.role],
        removed=event.removed,
        changed_at=_timestamp(event.changed_at),
    )


def _timestamp(at: datetime) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(at)
    return stamp
