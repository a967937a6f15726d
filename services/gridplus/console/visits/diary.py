"""The worker's diary by day (民情日记; chiefs pick a worker of their subtree) and the care
register's due visits by light, red first, each with a link to record the visit."""

from __future__ import annotations

from datetime import UTC, datetime

import grpc
from flask import abort, render_template, request
from flask.typing import ResponseReturnValue

from gridplus.api.dispatch.v1 import visits_pb2
from gridplus.api.grid.v1 import grid_pb2
from gridplus.console.grpc_calls import ServiceStubs, stubs
from gridplus.console.nav import AreaBlueprint
from gridplus.console.session import ConsoleUser, current_user, requires
from gridplus.console.visits import present
from gridplus.console.visits.present import BadField, CareRow
from gridplus.console.visits.routes import (
    RECORD_ROLES,
    VISIT_ROLES,
    care_group_names,
    labels_of,
)
from gridplus.console.work.petition_page import categories
from gridplus.kit.roles import Role

CARE_PAGE = 200
LIGHTS = ("RED", "YELLOW", "GREEN")


def register(area: AreaBlueprint) -> None:
    @area.get("/visits/diary", endpoint="diary")
    @requires(*VISIT_ROLES)
    def diary() -> ResponseReturnValue:
        user = current_user()
        assert user is not None
        try:
            query = present.parse_diary_query(request.args)
        except BadField:
            abort(400)
        calls = stubs()
        worker = query.worker_id if user.role is Role.GRID_CHIEF else ""
        days = []
        if worker or user.role is Role.GRID_WORKER:
            days = list(
                calls.visits.ListDiary(
                    visits_pb2.ListDiaryRequest(
                        worker_id=worker,
                        from_day=query.from_day.isoformat() if query.from_day else "",
                        to_day=query.to_day.isoformat() if query.to_day else "",
                    )
                ).days
            )
        return render_template(
            "visits/diary.html",
            query=query,
            days=days,
            workers=_workers(calls, user),
            worker=worker,
            visit_count=sum(len(day.visits) for day in days),
            names=dict(categories()) if days else {},
            labels=labels_of(calls) if days else {},
        )

    @area.get("/visits/care", endpoint="care")
    @requires(*VISIT_ROLES)
    def care() -> ResponseReturnValue:
        user = current_user()
        assert user is not None
        chosen = request.args.get("light", "")
        light = chosen if chosen in LIGHTS else ""
        calls = stubs()
        answer = calls.visits.ListCareDue(
            visits_pb2.ListCareDueRequest(
                light=f"LIGHT_{light or 'UNSPECIFIED'}",  # the enum by name
                page_size=CARE_PAGE,
            )
        )
        rows = present.ordered(_row(due) for due in answer.care_due)
        now = datetime.now(UTC)
        return render_template(
            "visits/care.html",
            rows=rows,
            counts=present.light_counts(rows),
            light=light,
            lights=LIGHTS,
            groups=care_group_names(),
            labels=labels_of(calls),
            due_words=lambda row: present.due_words(row.due_at, now),
            may_record=user.role in RECORD_ROLES,
            more=bool(answer.next_page_token),
        )


def _row(due: visits_pb2.CareDue) -> CareRow:
    return CareRow(
        member_id=due.member_id,
        household_id=due.household_id,
        grid_code=due.grid_code,
        care_groups=tuple(due.care_groups),
        interval_days=due.visit_interval_days,
        last_visited_at=(
            due.last_visited_at.ToDatetime(tzinfo=UTC) if due.HasField("last_visited_at") else None
        ),
        due_at=due.due_at.ToDatetime(tzinfo=UTC),
        light=present.light_name(due.light),
    )


def _workers(calls: ServiceStubs, user: ConsoleUser) -> list[tuple[str, str]]:
    """(person id, name) of the grid workers a chief may pick: those of the chief's grids."""
    if user.role is not Role.GRID_CHIEF:
        return []
    found: dict[str, str] = {}
    for code in user.principal.grid_codes:
        try:
            members = calls.grid.ListMembers(
                grid_pb2.ListMembersRequest(grid_code=code, role=grid_pb2.MEMBER_ROLE_GRID_WORKER)
            ).members
        except grpc.RpcError:
            continue
        found.update((m.person_id, m.display_name or m.person_id) for m in members)
    return sorted(found.items())
