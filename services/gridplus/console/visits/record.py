"""Recording a visit (phone first): the form, its check before the call, the one RecordVisit
call, and the recorded visit with links to the petitions its findings raised. A refusal the
worker can fix (a point outside the grid, a time too far back) shows at its field in the page's
language; NOT_FOUND (another grid's household) is the shared "not found, or not yours" page.
The form carries a request id made when it was drawn: a form sent twice records one visit."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime

import grpc
from flask import Response, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from google.protobuf.timestamp_pb2 import Timestamp

from gridplus.api.common.v1 import common_pb2
from gridplus.api.dispatch.v1 import visits_pb2
from gridplus.console.config import ConsoleSettings
from gridplus.console.grpc_calls import refusal_of, stubs
from gridplus.console.i18n import t
from gridplus.console.nav import AreaBlueprint
from gridplus.console.session import current_user, requires
from gridplus.console.visits import present
from gridplus.console.visits.present import BadField, FindingInput
from gridplus.console.visits.routes import (
    RECORD_ROLES,
    VISIT_ROLES,
    grid_households,
    household_label,
    labels_of,
)
from gridplus.console.work.petition_page import categories

_AT_THE_FORM = frozenset({"INVALID_ARGUMENT", "FAILED_PRECONDITION", "ALREADY_EXISTS"})
FINDING_SLOTS = 1  # blank findings the form offers; the script adds more


def register(area: AreaBlueprint) -> None:
    @area.get("/visits/record", endpoint="record")
    @requires(*RECORD_ROLES)
    def record_form() -> ResponseReturnValue:
        return _form({"household_id": request.args.get("household", "")}, [], {})

    @area.post("/visits/record", endpoint="record_visit")
    @requires(*RECORD_ROLES)
    def record_visit() -> ResponseReturnValue:
        form = {name: value for name, value in request.form.items()}
        findings = present.parse_findings(form)
        errors = _checked(form, findings)
        if errors:
            return _form(form, findings, errors, 400)
        try:
            answer = stubs().visits.RecordVisit(_request(form, findings), timeout=30)
        except grpc.RpcError as error:
            refused = refusal_of(error)
            if refused.code not in _AT_THE_FORM:
                raise
            return _form(form, findings, _refused_at(refused.fields, refused, findings), 400)
        visit = answer.visit
        flash(t("visits.done.recorded"), "done")
        return redirect(url_for("visits.visit", visit_id=visit.visit_id))

    @area.get("/visits/v/<visit_id>", endpoint="visit")
    @requires(*VISIT_ROLES)
    def visit(visit_id: str) -> ResponseReturnValue:
        found = stubs().visits.GetVisit(visits_pb2.GetVisitRequest(visit_id=visit_id)).visit
        return render_template(
            "visits/visit.html", visit=found, names=dict(categories()), labels=labels_of(stubs())
        )

    @area.get("/visits/v/<visit_id>/photos/<int:index>", endpoint="photo")
    @requires(*VISIT_ROLES)
    def photo(visit_id: str, index: int) -> ResponseReturnValue:
        answer = stubs().visits.GetVisitPhoto(
            visits_pb2.GetVisitPhotoRequest(visit_id=visit_id, index=index)
        )
        response = Response(answer.content, mimetype=answer.content_type)
        response.headers["Cache-Control"] = "private, max-age=3600"
        return response


def _settings() -> ConsoleSettings:
    settings: ConsoleSettings = current_app.extensions["gridplus.console.settings"]
    return settings


def _checked(form: Mapping[str, str], findings: list[FindingInput]) -> dict[str, str]:
    """The console's own check: a household, a point, a readable time, notes within their
    limit, findings with a title and a known category, a request id from the drawn form."""
    problems: list[BadField] = []
    if not form.get("household_id", "").strip():
        problems.append(BadField("household_id", "visits.error.household"))
    for check in (
        lambda: present.parse_point(form.get("lat", ""), form.get("lon", "")),
        lambda: _visited_at(form),
        lambda: present.check_notes(form.get("notes", "")),
    ):
        try:
            check()
        except BadField as bad:
            problems.append(bad)
    problems += present.finding_problems(findings, (code for code, _ in categories()))
    errors = {bad.field: t(bad.key, **bad.values) for bad in problems}
    if not form.get("request_id", "").strip():
        errors["form"] = t("visits.error.reload")
    return errors


def _visited_at(form: Mapping[str, str]) -> datetime | None:
    return present.parse_visited_at(
        form.get("visited_at_utc", ""), form.get("visited_at", ""), form.get("tz_offset", "")
    )


def _request(
    form: Mapping[str, str], findings: list[FindingInput]
) -> visits_pb2.RecordVisitRequest:
    lat, lon = present.parse_point(form.get("lat", ""), form.get("lon", ""))
    chosen = [f for f in request.files.getlist("photos") if f.filename]
    # One more than the limit is passed on, so that dispatch names the excess itself.
    photos = [f.read() for f in chosen[: _settings().photo_max_count + 1]]
    made = visits_pb2.RecordVisitRequest(
        request_id=f"console-visit-{form['request_id'].strip()}",
        household_id=form["household_id"].strip(),
        location=common_pb2.GeoPoint(lat=lat, lon=lon),
        notes=form.get("notes", "").strip(),
        photos=photos,
        findings=[
            visits_pb2.VisitFinding(
                category=f.category,
                title=f.title,
                description=f.description,
                raise_petition=f.raise_petition,
            )
            for f in findings
        ],
    )
    when = _visited_at(form)
    if when is not None:
        stamp = Timestamp()
        stamp.FromDatetime(when)
        made.visited_at.CopyFrom(stamp)
    return made


def _refused_at(
    fields: Mapping[str, str], refused: object, findings: list[FindingInput]
) -> dict[str, str]:
    """The service's refusal, each field at its place on the form in the page's words."""
    errors: dict[str, str] = {}
    for service_field, description in fields.items():
        form_field, key = present.form_field_of(service_field, findings)
        meters = present.outside_by(description) if form_field == "location" else None
        if meters is not None:
            key = "visits.error.location_outside"
        errors[form_field] = t(key, meters=meters) if key else description
    if not errors:
        errors["form"] = str(getattr(refused, "message", "")) or t("common.error.failed")
    return errors


def _form(
    form: Mapping[str, str],
    findings: list[FindingInput],
    errors: Mapping[str, str],
    status: int = 200,
) -> ResponseReturnValue:
    user = current_user()
    assert user is not None
    listed = grid_households(stubs())
    chosen = form.get("household_id", "")
    settings = _settings()
    slots = findings or [FindingInput(n, "", "", "", False) for n in range(1, FINDING_SLOTS + 1)]
    return (
        render_template(
            "visits/record.html",
            households=[(h.household_id, household_label(h), h.grid_code) for h in listed],
            known=any(h.household_id == chosen for h in listed),
            form=form,
            findings=slots,
            errors=errors,
            categories=categories(),
            request_id=str(uuid.uuid4()),  # a new one: nothing was recorded
            now=datetime.now(UTC),
            limit_mb=round(settings.photo_max_bytes / 1048576, 1),
        ),
        status,
    )
