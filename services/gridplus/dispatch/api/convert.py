"""The one place dispatch converts to and from protobuf: its domain events to `gridplus.events.v1`
(for the outbox), assignments, whistles and triage items to the API's messages, and the grid
registry's answers to domain values."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import singledispatch

from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp

from gridplus.api.common.v1 import common_pb2
from gridplus.api.dispatch.v1 import dispatch_pb2
from gridplus.api.events.v1 import events_pb2
from gridplus.api.grid.v1 import grid_pb2
from gridplus.dispatch.domain import events
from gridplus.dispatch.domain.assignment import Assignment
from gridplus.dispatch.domain.categories import Category, CategoryChoice, CategorySource, Priority
from gridplus.dispatch.domain.places import AssigneeRole, GridPlace
from gridplus.dispatch.domain.time_limits import Light, Step
from gridplus.dispatch.domain.triage import TriageItem
from gridplus.dispatch.domain.whistles import Whistle

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


# -- from the grid registry ------------------------------------------------------------------


def category_from_proto(message: grid_pb2.Category) -> Category:
    priority = Priority(message.priority) if message.priority else Priority.NORMAL
    return Category(
        code=message.code,
        name_zh=message.name_zh,
        name_en=message.name_en,
        top_level_code=message.top_level_code or message.code,
        priority=priority,
        verify_minutes=message.verify_sla_minutes,
        handle_minutes=message.handle_sla_minutes,
        business_calendar=message.business_calendar,
    )


def grid_place(response: grid_pb2.LocateGridResponse) -> GridPlace:
    grid = response.grid
    return GridPlace(
        code=grid.code,
        level=grid.level,
        path=tuple(grid.path) or (grid.code,),
        grid_set_version=grid.grid_set_version,
        snapped=response.snapped,
        snap_distance_meters=response.snap_distance_meters,
    )


# -- events ----------------------------------------------------------------------------------

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_SECOND = timedelta(seconds=1)


def stamp(field: Timestamp, at: datetime) -> None:
    """`field.FromDatetime(at)` (naive: UTC) at under half its CPU, which goes through a
    struct_time and calendar.timegm: three per PetitionAssigned were 4% of routing it."""
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    field.seconds = (at - _EPOCH) // _SECOND
    field.nanos = at.microsecond * 1000


def grid_ref(grid: GridPlace) -> common_pb2.GridRef:
    return common_pb2.GridRef(
        code=grid.code,
        level=grid.level,
        path=list(grid.path),
        grid_set_version=grid.grid_set_version,
    )


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


@singledispatch
def event_message(event: object) -> Message:
    """The protobuf event for a domain event."""
    raise TypeError(f"no protobuf event for {type(event).__name__}")


@event_message.register
def _(event: events.PetitionAssigned) -> Message:
    message = events_pb2.PetitionAssigned(
        petition_id=event.petition_id,
        grid=grid_ref(event.grid),
        assignee_id=event.assignee_id,
        assignee_role=_ROLES_TO_PROTO[event.assignee_role],
        category=event.choice.code,
        reasons=list(event.reasons),
        category_choice=category_choice(event.choice),
        department_code=event.department_code,
    )
    stamp(message.deadline, event.deadline)
    stamp(message.yellow_at, event.yellow_at)
    stamp(message.assigned_at, event.assigned_at)
    return message


@event_message.register
def _(event: events.PetitionSentToTriage) -> Message:
    message = events_pb2.PetitionSentToTriage(
        petition_id=event.petition_id, grid=grid_ref(event.grid), reason=event.reason
    )
    guess = event.best_guess
    if guess is not None:
        message.best_guess.CopyFrom(
            events_pb2.CategoryChoice(
                code=guess.code,
                name_zh=guess.name_zh,
                name_en=guess.name_en,
                top_level_code=guess.top_level_code,
                source=events_pb2.CATEGORY_SOURCE_CLASSIFIED,
                confidence=event.confidence,
            )
        )
    stamp(message.sent_at, event.sent_at)
    return message


@event_message.register
def _(event: events.PetitionRoutingFailed) -> Message:
    message = events_pb2.PetitionRoutingFailed(
        petition_id=event.petition_id, reason_code=event.reason_code, reason=event.reason
    )
    stamp(message.failed_at, event.failed_at)
    return message


@event_message.register
def _(event: events.PetitionDeadlineChanged) -> Message:
    clock = event.clock
    message = events_pb2.PetitionDeadlineChanged(
        petition_id=event.petition_id,
        step=STEPS[clock.step],
        paused=clock.paused_at is not None,
        reason=event.reason,
    )
    stamp(message.deadline, clock.deadline)
    stamp(message.yellow_at, clock.yellow_at)
    stamp(message.changed_at, event.changed_at)
    return message


@event_message.register
def _(event: events.AssignmentTransferred) -> Message:
    message = events_pb2.AssignmentTransferred(
        petition_id=event.petition_id,
        from_assignee_id=event.from_assignee_id,
        to_assignee_id=event.to_assignee_id,
        from_department_code=event.from_department_code,
        to_department_code=event.to_department_code,
        reason=event.reason,
        actor_id=event.actor_id,
    )
    stamp(message.transferred_at, event.transferred_at)
    return message


@event_message.register
def _(event: events.AssignmentRefused) -> Message:
    message = events_pb2.AssignmentRefused(
        petition_id=event.petition_id,
        department_code=event.department_code,
        actor_id=event.actor_id,
        reason=event.reason,
        refusal_count=event.refusal_count,
        arbitrator_id=event.arbitrator_id,
    )
    stamp(message.refused_at, event.refused_at)
    return message


@event_message.register
def _(event: events.PetitionOverdue) -> Message:
    message = events_pb2.PetitionOverdue(
        petition_id=event.petition_id,
        grid=grid_ref(event.grid),
        assignee_id=event.assignee_id,
        department_code=event.department_code,
        category=event.category,
        step=STEPS[event.step],
    )
    stamp(message.deadline, event.deadline)
    stamp(message.detected_at, event.detected_at)
    return message


@event_message.register
def _(event: events.PetitionEscalated) -> Message:
    message = events_pb2.PetitionEscalated(
        petition_id=event.petition_id,
        grid=grid_ref(event.grid),
        rung=event.rung,
        person_ids=list(event.person_ids),
    )
    stamp(message.escalated_at, event.escalated_at)
    return message


@event_message.register
def _(event: events.WhistleBlown) -> Message:
    message = events_pb2.WhistleBlown(
        whistle_id=event.whistle_id,
        petition_id=event.petition_id,
        grid=grid_ref(event.grid),
        blown_by=event.blown_by,
        department_codes=list(event.department_codes),
        reason=event.reason,
    )
    stamp(message.blown_at, event.blown_at)
    stamp(message.report_deadline, event.report_deadline)
    return message


@event_message.register
def _(event: events.WhistleReported) -> Message:
    message = events_pb2.WhistleReported(
        whistle_id=event.whistle_id,
        petition_id=event.petition_id,
        department_code=event.department_code,
        reporter_id=event.reporter_id,
        note=event.note,
        on_time=event.on_time,
    )
    stamp(message.reported_at, event.reported_at)
    return message


@event_message.register
def _(event: events.WhistleReportOverdue) -> Message:
    message = events_pb2.WhistleReportOverdue(
        whistle_id=event.whistle_id,
        petition_id=event.petition_id,
        department_code=event.department_code,
    )
    stamp(message.deadline, event.deadline)
    stamp(message.detected_at, event.detected_at)
    return message


# -- the API's messages ----------------------------------------------------------------------


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
        light=_LIGHTS[assignment.light(now)],
        category_name_zh=category.name_zh,
        category_name_en=category.name_en,
        category_top_level_code=category.top_level_code,
        category_source=assignment.choice.source.value,
        category_confidence=assignment.choice.confidence,
        paused=clock.paused_at is not None,
        refusals=assignment.refusals,
    )
    if assignment.accepted_at is not None:
        stamp(message.accepted_at, assignment.accepted_at)
    stamp(message.deadline, assignment.deadline)
    stamp(message.assigned_at, assignment.assigned_at)
    stamp(message.yellow_at, clock.yellow_at)
    return message


def triage_item(item: TriageItem) -> dispatch_pb2.TriageItem:
    message = dispatch_pb2.TriageItem(
        petition_id=item.petition_id,
        title=item.title,
        description=item.description,
        grid=grid_ref(item.grid),
        best_guess=item.best_guess,
        confidence=item.confidence,
        suggestions=[
            dispatch_pb2.CategorySuggestion(
                category_code=s.code, name_zh=s.name_zh, name_en=s.name_en, probability=s.confidence
            )
            for s in item.suggestions
        ],
    )
    stamp(message.sent_at, item.sent_at)
    return message


def whistle_message(whistle: Whistle, now: datetime) -> dispatch_pb2.Whistle:
    message = dispatch_pb2.Whistle(
        whistle_id=whistle.whistle_id,
        petition_id=whistle.petition_id,
        blown_by=whistle.blown_by,
        reason=whistle.reason,
    )
    stamp(message.blown_at, whistle.blown_at)
    for report in whistle.reports:
        shown = dispatch_pb2.WhistleReport(
            department_code=report.department_code, light=_LIGHTS[report.light(now)]
        )
        stamp(shown.deadline, report.deadline)
        if report.reported_at is not None:
            stamp(shown.reported_at, report.reported_at)
        message.reports.append(shown)
    return message
