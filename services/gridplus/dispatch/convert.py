"""Assignments as protobuf messages: dispatch's events and the API's Assignment."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from gridplus.api.common.v1 import common_pb2
from gridplus.api.dispatch.v1 import dispatch_pb2
from gridplus.api.events.v1 import events_pb2
from gridplus.api.grid.v1 import grid_pb2
from gridplus.dispatch.classification import Prediction
from gridplus.dispatch.domain.categories import Category, CategoryChoice, CategorySource
from gridplus.dispatch.domain.routing import AssigneeRole, Assignment, GridPlace
from gridplus.dispatch.domain.time_limits import Light, Step, StepClock, clock_light, light
from gridplus.dispatch.storage.models import (
    AssignmentRow,
    TriageRow,
    WhistleReportRow,
    WhistleRow,
)
from gridplus.dispatch.storage.repository import utc

ROLES_FROM_PROTO = {
    grid_pb2.MEMBER_ROLE_GRID_WORKER: AssigneeRole.GRID_WORKER,
    grid_pb2.MEMBER_ROLE_GRID_CHIEF: AssigneeRole.GRID_CHIEF,
}
_ROLES_TO_PROTO = {role: proto for proto, role in ROLES_FROM_PROTO.items()}

STEPS = {
    Step.VERIFY: dispatch_pb2.ASSIGNMENT_STEP_VERIFY,
    Step.HANDLE: dispatch_pb2.ASSIGNMENT_STEP_HANDLE,
}
_SOURCES = {
    CategorySource.GIVEN: events_pb2.CATEGORY_SOURCE_GIVEN,
    CategorySource.CLASSIFIED: events_pb2.CATEGORY_SOURCE_CLASSIFIED,
    CategorySource.TRIAGE: events_pb2.CATEGORY_SOURCE_TRIAGE,
}
_LIGHTS = {
    Light.GREEN: dispatch_pb2.LIGHT_GREEN,
    Light.YELLOW: dispatch_pb2.LIGHT_YELLOW,
    Light.RED: dispatch_pb2.LIGHT_RED,
}


def grid_ref(grid: GridPlace) -> common_pb2.GridRef:
    return common_pb2.GridRef(
        code=grid.code,
        level=grid.level,
        path=list(grid.path),
        grid_set_version=grid.grid_set_version,
    )


def grid_ref_of(code: str, path: Sequence[str], version: int) -> common_pb2.GridRef:
    return common_pb2.GridRef(code=code, level=3, path=list(path), grid_set_version=version)


def category_choice(choice: CategoryChoice) -> events_pb2.CategoryChoice:
    category = choice.category
    return events_pb2.CategoryChoice(
        code=category.code,
        name_zh=category.name_zh,
        name_en=category.name_en,
        top_level_code=category.top_level_code,
        source=_SOURCES[choice.source],
        confidence=choice.confidence,
    )


def petition_assigned(assignment: Assignment) -> events_pb2.PetitionAssigned:
    event = events_pb2.PetitionAssigned(
        petition_id=assignment.petition_id,
        grid=grid_ref(assignment.grid),
        assignee_id=assignment.assignee_id,
        assignee_role=_ROLES_TO_PROTO[assignment.assignee_role],
        category=assignment.category,
        reasons=list(assignment.reasons),
        category_choice=category_choice(assignment.choice),
        department_code=assignment.department_code,
    )
    event.deadline.FromDatetime(assignment.deadline)
    event.assigned_at.FromDatetime(assignment.assigned_at)
    return event


def petition_sent_to_triage(
    petition_id: str,
    grid: GridPlace,
    category: Category | None,
    guess: Prediction | None,
    reason: str,
    sent_at: datetime,
) -> events_pb2.PetitionSentToTriage:
    event = events_pb2.PetitionSentToTriage(
        petition_id=petition_id, grid=grid_ref(grid), reason=reason
    )
    if category is not None and guess is not None:
        event.best_guess.CopyFrom(
            events_pb2.CategoryChoice(
                code=category.code,
                name_zh=category.name_zh,
                name_en=category.name_en,
                top_level_code=category.top_level_code,
                source=events_pb2.CATEGORY_SOURCE_CLASSIFIED,
                confidence=guess.confidence,
            )
        )
    event.sent_at.FromDatetime(sent_at)
    return event


def petition_routing_failed(
    petition_id: str, reason_code: str, reason: str, failed_at: datetime
) -> events_pb2.PetitionRoutingFailed:
    event = events_pb2.PetitionRoutingFailed(
        petition_id=petition_id, reason_code=reason_code, reason=reason
    )
    event.failed_at.FromDatetime(failed_at)
    return event


def petition_overdue(row: AssignmentRow, detected_at: datetime) -> events_pb2.PetitionOverdue:
    event = events_pb2.PetitionOverdue(
        petition_id=row.petition_id,
        grid=grid_ref_of(row.grid_code, row.grid_path, row.grid_set_version),
        assignee_id=row.assignee_id,
        department_code=row.department_code,
        category=row.category,
        step=STEPS[Step(row.step)],
    )
    event.deadline.FromDatetime(utc(row.deadline))
    event.detected_at.FromDatetime(detected_at)
    return event


def petition_deadline_changed(
    petition_id: str, clock: StepClock, changed_at: datetime, reason: str
) -> events_pb2.PetitionDeadlineChanged:
    event = events_pb2.PetitionDeadlineChanged(
        petition_id=petition_id,
        step=STEPS[clock.step],
        paused=clock.paused_at is not None,
        reason=reason,
    )
    event.deadline.FromDatetime(utc(clock.deadline))
    event.yellow_at.FromDatetime(utc(clock.yellow_at))
    event.changed_at.FromDatetime(utc(changed_at))
    return event


def petition_escalated(
    petition_id: str,
    grid: common_pb2.GridRef,
    rung: int,
    person_ids: Sequence[str],
    escalated_at: datetime,
) -> events_pb2.PetitionEscalated:
    event = events_pb2.PetitionEscalated(
        petition_id=petition_id, grid=grid, rung=rung, person_ids=list(person_ids)
    )
    event.escalated_at.FromDatetime(escalated_at)
    return event


def assignment_message(assignment: Assignment, now: datetime) -> dispatch_pb2.Assignment:
    category = assignment.choice.category
    clock = assignment.clock
    message = dispatch_pb2.Assignment(
        petition_id=assignment.petition_id,
        grid=grid_ref(assignment.grid),
        assignee_id=assignment.assignee_id,
        assignee_role=_ROLES_TO_PROTO[assignment.assignee_role],
        category=assignment.category,
        step=STEPS[assignment.step],
        reasons=list(assignment.reasons),
        department_code=assignment.department_code,
        light=_LIGHTS[clock_light(clock, now)],
        category_name_zh=category.name_zh,
        category_name_en=category.name_en,
        category_top_level_code=category.top_level_code,
        category_source=assignment.choice.source.value,
        category_confidence=assignment.choice.confidence,
        paused=clock.paused_at is not None,
        refusals=assignment.refusals,
    )
    if assignment.accepted_at is not None:
        message.accepted_at.FromDatetime(assignment.accepted_at)
    message.deadline.FromDatetime(assignment.deadline)
    message.assigned_at.FromDatetime(assignment.assigned_at)
    message.yellow_at.FromDatetime(clock.yellow_at)
    return message


def triage_item(row: TriageRow) -> dispatch_pb2.TriageItem:
    item = dispatch_pb2.TriageItem(
        petition_id=row.petition_id,
        title=row.title,
        description=row.description,
        grid=grid_ref_of(row.grid_code, row.grid_path, row.grid_set_version),
        best_guess=row.best_guess,
        confidence=row.confidence,
    )
    item.sent_at.FromDatetime(utc(row.sent_at))
    return item


def whistle_message(
    whistle: WhistleRow, reports: Sequence[WhistleReportRow], now: datetime
) -> dispatch_pb2.Whistle:
    message = dispatch_pb2.Whistle(
        whistle_id=whistle.whistle_id,
        petition_id=whistle.petition_id,
        blown_by=whistle.blown_by,
        reason=whistle.reason,
    )
    message.blown_at.FromDatetime(utc(whistle.blown_at))
    for report in reports:
        deadline = utc(report.deadline)
        shown = dispatch_pb2.WhistleReport(department_code=report.department_code)
        shown.deadline.FromDatetime(deadline)
        if report.reported_at is not None:
            shown.reported_at.FromDatetime(utc(report.reported_at))
            shown.light = _LIGHTS[Light.RED if report.breached else Light.GREEN]
        else:
            shown.light = _LIGHTS[light(deadline, utc(report.yellow_at), now)]
        message.reports.append(shown)
    return message


def whistle_report_overdue(
    report: WhistleReportRow, petition_id: str, detected_at: datetime
) -> events_pb2.WhistleReportOverdue:
    event = events_pb2.WhistleReportOverdue(
        whistle_id=report.whistle_id,
        petition_id=petition_id,
        department_code=report.department_code,
    )
    event.deadline.FromDatetime(utc(report.deadline))
    event.detected_at.FromDatetime(detected_at)
    return event
