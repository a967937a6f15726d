"""My work's pages (the petition page and its actions are in petition_page.py)."""

from __future__ import annotations

from datetime import UTC

import grpc
from flask import render_template
from flask.typing import ResponseReturnValue

from gridplus.api.dispatch.v1 import dispatch_pb2
from gridplus.api.petition.v1 import petition_pb2
from gridplus.console.grpc_calls import stubs
from gridplus.console.nav import AreaBlueprint, NavLink
from gridplus.console.session import current_user, requires
from gridplus.console.work import actions, petition_page
from gridplus.console.work.present import WorkRow, counts, light_name, ordered
from gridplus.kit.roles import Role

# Who has a "My work" list: everyone dispatch assigns petitions to, and their chiefs and admins.
WORK_ROLES = frozenset(
    {Role.GRID_WORKER, Role.GRID_CHIEF, Role.DEPARTMENT_STAFF, Role.DEPARTMENT_HEAD, Role.ADMIN}
)
PAGE_SIZE = 100


def blueprint() -> AreaBlueprint:
    area = AreaBlueprint(
        "work",
        __name__,
        nav=[NavLink("work.my_work", "work.nav", WORK_ROLES)],
    )

    @area.get("/work")
    @requires(*WORK_ROLES)
    def my_work() -> ResponseReturnValue:
        rows = _rows()
        return render_template("work/list.html", rows=ordered(rows), counts=counts(rows))

    petition_page.register(area, WORK_ROLES)
    actions.register(area, WORK_ROLES)
    return area


def _rows() -> list[WorkRow]:
    user = current_user()
    assert user is not None
    calls = stubs()
    # A worker's own list; chiefs, departments and admins get what their scope holds (the
    # service filters by the token's grids or department).
    mine = user.role is Role.GRID_WORKER
    listed = calls.dispatch.ListAssignments(
        dispatch_pb2.ListAssignmentsRequest(
            assignee_id=user.principal.subject if mine else "", page_size=PAGE_SIZE
        )
    )
    futures = [
        calls.petition.GetPetition.future(petition_pb2.GetPetitionRequest(id=a.petition_id))
        for a in listed.assignments
    ]
    rows = []
    for assignment, future in zip(listed.assignments, futures, strict=True):
        try:
            petition = future.result().petition
        except grpc.RpcError:
            # Gone from the caller's scope between the two calls: not shown.
            continue
        rows.append(_row(assignment, petition))
    return rows


def _row(assignment: dispatch_pb2.Assignment, petition: petition_pb2.Petition) -> WorkRow:
    return WorkRow(
        petition_id=assignment.petition_id,
        title=petition.title,
        status=petition_pb2.PetitionStatus.Name(petition.status).removeprefix("PETITION_STATUS_"),
        light=light_name(assignment.light),
        deadline=(
            assignment.deadline.ToDatetime(tzinfo=UTC) if assignment.HasField("deadline") else None
        ),
        grid_code=assignment.grid.code,
        category=assignment.category,
        step=dispatch_pb2.AssignmentStep.Name(assignment.step).removeprefix("ASSIGNMENT_STEP_"),
        paused=assignment.paused,
        accepted=assignment.HasField("accepted_at"),
        assignee_id=assignment.assignee_id,
    )
