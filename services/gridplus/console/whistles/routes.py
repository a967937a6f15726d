"""The whistles page and its two actions. Who may blow and who may report is dispatch's decision
(grid workers, chiefs and admins blow; department staff and heads report for their own
department); the page offers each form to the roles dispatch admits and shows its refusals."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import grpc
from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from gridplus.api.dispatch.v1 import dispatch_pb2
from gridplus.api.grid.v1 import grid_pb2
from gridplus.console.grpc_calls import CallRefusal, refusal_of, stubs
from gridplus.console.i18n import current_language, t
from gridplus.console.nav import AreaBlueprint, NavLink
from gridplus.console.session import current_user, requires
from gridplus.kit.roles import Role

BLOWERS = frozenset({Role.GRID_WORKER, Role.GRID_CHIEF, Role.ADMIN})
REPORTERS = frozenset({Role.DEPARTMENT_STAFF, Role.DEPARTMENT_HEAD})
# Inspectors read every whistle (dispatch lets them), and neither blow nor report.
WHISTLE_ROLES = BLOWERS | REPORTERS | {Role.INSPECTOR}
SHOWN = 50
_LIGHTS = {1: "GREEN", 2: "YELLOW", 3: "RED"}
# Service field names -> the form's fields (the same names here).
_FIELDS = ("petition_id", "department_codes", "reason", "note", "whistle_id")


@dataclass(frozen=True)
class ReportRow:
    department_code: str
    department_name: str
    deadline: datetime
    reported_at: datetime | None
    light: str

    @property
    def state(self) -> str:
        """reported / late (past its deadline unreported) / waiting."""
        if self.reported_at is not None:
            return "reported"
        return "late" if self.light == "RED" else "waiting"


def blueprint() -> AreaBlueprint:
    area = AreaBlueprint(
        "whistles", __name__, nav=[NavLink("whistles.index", "whistles.nav", WHISTLE_ROLES)]
    )

    @area.get("/whistles")
    @requires(*WHISTLE_ROLES)
    def index() -> ResponseReturnValue:
        return _page()

    @area.post("/whistles")
    @requires(*BLOWERS)
    def blow() -> ResponseReturnValue:
        form = request.form
        try:
            answer = stubs().dispatch.BlowWhistle(
                dispatch_pb2.BlowWhistleRequest(
                    petition_id=form.get("petition_id", "").strip(),
                    department_codes=form.getlist("department_codes"),
                    reason=form.get("reason", ""),
                    request_id=_request_id(form.get("request_id", "")),
                )
            )
        except grpc.RpcError as error:
            return _page(refused=refusal_of(error))
        flash(t("whistles.blown", petition=answer.whistle.petition_id), "ok")
        return redirect(url_for("whistles.index"))

    @area.post("/whistles/<whistle_id>/report")
    @requires(*REPORTERS)
    def report(whistle_id: str) -> ResponseReturnValue:
        try:
            answer = stubs().dispatch.ReportToWhistle(
                dispatch_pb2.ReportToWhistleRequest(
                    whistle_id=whistle_id,
                    note=request.form.get("note", ""),
                    request_id=_request_id(request.form.get("request_id", "")),
                )
            )
        except grpc.RpcError as error:
            return _page(refused=refusal_of(error), report_for=whistle_id)
        key = "whistles.reported_on_time" if answer.on_time else "whistles.reported_late"
        flash(t(key), "ok")
        return redirect(url_for("whistles.index"))

    return area


def _page(*, refused: CallRefusal | None = None, report_for: str = "") -> ResponseReturnValue:
    """The page; after a refused form, the form again with the service's words. (Answered 200,
    as a form shown again for correction is: the browser would log a 4xx as a page error.)"""
    user = current_user()
    assert user is not None
    calls = stubs()
    open_only = request.args.get("open") == "1"
    listed = calls.dispatch.ListWhistles(
        dispatch_pb2.ListWhistlesRequest(open_only=open_only, page_size=SHOWN)
    )
    names = _department_names(calls.grid.ListDepartments(grid_pb2.ListDepartmentsRequest()))
    whistles = [(w, _reports(w, names)) for w in listed.whistles]
    return render_template(
        "whistles/index.html",
        whistles=whistles,
        departments=sorted(names.items(), key=lambda item: item[1]),
        may_blow=user.role in BLOWERS,
        may_report=user.role in REPORTERS,
        own_department=user.principal.department or "",
        open_only=open_only,
        refused=refused,
        field_errors=_field_errors(refused),
        form=request.form,
        report_for=report_for,
        new_request_id=str(uuid.uuid4()),
        petition_prefill=request.args.get("petition", ""),
    )


def _reports(whistle: dispatch_pb2.Whistle, names: dict[str, str]) -> list[ReportRow]:
    return [
        ReportRow(
            department_code=r.department_code,
            department_name=names.get(r.department_code, r.department_code),
            deadline=r.deadline.ToDatetime(tzinfo=UTC),
            reported_at=r.reported_at.ToDatetime(tzinfo=UTC) if r.HasField("reported_at") else None,
            light=_LIGHTS.get(r.light, "NONE"),
        )
        for r in whistle.reports
    ]


def _department_names(answer: grid_pb2.ListDepartmentsResponse) -> dict[str, str]:
    zh = current_language() == "zh"
    return {d.code: (d.name_zh if zh else d.name_en) or d.code for d in answer.departments}


def _field_errors(refused: CallRefusal | None) -> dict[str, str]:
    if refused is None:
        return {}
    return {name: text for name, text in refused.fields.items() if name in _FIELDS}


def _request_id(given: str) -> str:
    """The form's id (so a resent form is applied once), or a fresh one when it is missing or
    not a UUID."""
    try:
        return str(uuid.UUID(given))
    except ValueError:
        return str(uuid.uuid4())
