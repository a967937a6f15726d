"""The triage queue's page and its one action: choose the category, dispatch routes it on."""

from __future__ import annotations

import uuid

import grpc
from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from gridplus.api.dispatch.v1 import dispatch_pb2
from gridplus.console.grpc_calls import refusal_of, stubs
from gridplus.console.i18n import t
from gridplus.console.nav import AreaBlueprint, NavLink
from gridplus.console.session import requires
from gridplus.console.work.petition_page import categories, is_category
from gridplus.kit.roles import Role

# Dispatch lets grid chiefs (of the petition's grid) and admins choose a category in triage.
TRIAGE_ROLES = frozenset({Role.GRID_CHIEF, Role.ADMIN})
PAGE_SIZE = 100
_AT_THE_ITEM = frozenset({"INVALID_ARGUMENT", "FAILED_PRECONDITION", "NOT_FOUND"})


def blueprint() -> AreaBlueprint:
    area = AreaBlueprint(
        "triage", __name__, nav=[NavLink("triage.queue", "triage.nav", TRIAGE_ROLES)]
    )

    @area.get("/triage")
    @requires(*TRIAGE_ROLES)
    def queue() -> ResponseReturnValue:
        return _page()

    @area.post("/triage/<petition_id>")
    @requires(*TRIAGE_ROLES)
    def set_category(petition_id: str) -> ResponseReturnValue:
        code = request.form.get("category", "").strip()
        if not code:
            return _page({petition_id: t("triage.error.required")}, 400)
        if not is_category(code):
            return _page({petition_id: t("work.error.unknown_category", code=code)}, 400)
        request_id = request.form.get("request_id", "").strip() or str(uuid.uuid4())
        try:
            answer = stubs().dispatch.SetTriageCategory(
                dispatch_pb2.SetTriageCategoryRequest(
                    petition_id=petition_id,
                    category_code=code,
                    request_id=f"console-triage-{request_id}",
                )
            )
        except grpc.RpcError as error:
            refused = refusal_of(error)
            if refused.code not in _AT_THE_ITEM:
                raise
            message = "; ".join(refused.fields.values()) or refused.message
            if refused.code == "NOT_FOUND":
                message = t("common.error.not_found")
            return _page({petition_id: message}, refused.http_status)
        routed = answer.assignment
        flash(t("triage.done", grid=routed.grid.code, assignee=routed.assignee_id or "—"), "done")
        return redirect(url_for("triage.queue"))

    return area


def _page(errors: dict[str, str] | None = None, status: int = 200) -> ResponseReturnValue:
    listed = stubs().dispatch.ListTriage(dispatch_pb2.ListTriageRequest(page_size=PAGE_SIZE))
    names = dict(categories())
    return (
        render_template(
            "triage/queue.html",
            items=listed.items,
            names=names,
            categories=list(names.items()),
            errors=errors or {},
            request_id=str(uuid.uuid4()),
        ),
        status,
    )
