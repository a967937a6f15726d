"""Assignments as protobuf messages: the PetitionAssigned event and the API's Assignment."""

from __future__ import annotations

from datetime import datetime

from gridplus.api.common.v1 import common_pb2
from gridplus.api.dispatch.v1 import dispatch_pb2
from gridplus.api.events.v1 import events_pb2
from gridplus.api.grid.v1 import grid_pb2
from gridplus.dispatch.domain.routing import AssigneeRole, Assignment, GridPlace, Step

ROLES_FROM_PROTO = {
    grid_pb2.MEMBER_ROLE_GRID_WORKER: AssigneeRole.GRID_WORKER,
    grid_pb2.MEMBER_ROLE_GRID_CHIEF: AssigneeRole.GRID_CHIEF,
}
_ROLES_TO_PROTO = {role: proto for proto, role in ROLES_FROM_PROTO.items()}

_STEPS = {
    Step.VERIFY: dispatch_pb2.ASSIGNMENT_STEP_VERIFY,
    Step.HANDLE: dispatch_pb2.ASSIGNMENT_STEP_HANDLE,
}


def grid_ref(grid: GridPlace) -> common_pb2.GridRef:
    return common_pb2.GridRef(
        code=grid.code,
        level=grid.level,
        path=list(grid.path),
        grid_set_version=grid.grid_set_version,
    )


def petition_assigned(assignment: Assignment) -> events_pb2.PetitionAssigned:
    event = events_pb2.PetitionAssigned(
        petition_id=assignment.petition_id,
        grid=grid_ref(assignment.grid),
        assignee_id=assignment.assignee_id,
        assignee_role=_ROLES_TO_PROTO[assignment.assignee_role],
        category=assignment.category,
        reasons=list(assignment.reasons),
    )
    event.deadline.FromDatetime(assignment.deadline)
    event.assigned_at.FromDatetime(assignment.assigned_at)
    return event


def petition_routing_failed(
    petition_id: str, reason_code: str, reason: str, failed_at: datetime
) -> events_pb2.PetitionRoutingFailed:
    event = events_pb2.PetitionRoutingFailed(
        petition_id=petition_id, reason_code=reason_code, reason=reason
    )
    event.failed_at.FromDatetime(failed_at)
    return event


def assignment_message(assignment: Assignment) -> dispatch_pb2.Assignment:
    message = dispatch_pb2.Assignment(
        petition_id=assignment.petition_id,
        grid=grid_ref(assignment.grid),
        assignee_id=assignment.assignee_id,
        assignee_role=_ROLES_TO_PROTO[assignment.assignee_role],
        category=assignment.category,
        step=_STEPS[assignment.step],
        reasons=list(assignment.reasons),
    )
    message.deadline.FromDatetime(assignment.deadline)
    message.assigned_at.FromDatetime(assignment.assigned_at)
    return message
