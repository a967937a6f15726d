"""The bulletins page, its send action and the progress the page refreshes. notification decides
who may send where (a chief within their own grid subtree, an admin anywhere) and whose
bulletins one sees (one's own; admins all)."""

from __future__ import annotations

import uuid

import grpc
from flask import flash, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from gridplus.api.grid.v1 import grid_pb2
from gridplus.api.notification.v1 import notification_pb2 as pb
from gridplus.console.grpc_calls import CallRefusal, ServiceStubs, refusal_of, stubs
from gridplus.console.i18n import t
from gridplus.console.nav import AreaBlueprint, NavLink
from gridplus.console.session import current_user, requires
from gridplus.kit.roles import Role

BULLETIN_ROLES = frozenset({Role.GRID_CHIEF, Role.ADMIN})
SHOWN = 20
_FIELDS = ("grid_code", "title_zh", "body_zh", "title_en", "body_en")


def blueprint() -> AreaBlueprint:
    area = AreaBlueprint(
        "bulletins", __name__, nav=[NavLink("bulletins.index", "bulletins.nav", BULLETIN_ROLES)]
    )

    @area.get("/bulletins", endpoint="index")
    @requires(*BULLETIN_ROLES)
    def index() -> ResponseReturnValue:
        return _page()

    @area.post("/bulletins", endpoint="send")
    @requires(*BULLETIN_ROLES)
    def send() -> ResponseReturnValue:
        form = request.form
        try:
            sent = stubs().notification.SendBulletin(
                pb.SendBulletinRequest(
                    grid_code=form.get("grid_code", "").strip(),
                    title_zh=form.get("title_zh", ""),
                    body_zh=form.get("body_zh", ""),
                    title_en=form.get("title_en", ""),
                    body_en=form.get("body_en", ""),
                    request_id=_request_id(form.get("request_id", "")),
                )
            )
        except grpc.RpcError as error:
            return _page(refused=refusal_of(error))
        flash(
            t(
                "bulletins.sent",
                people=sent.recipient_count,
                deliveries=sent.delivery_count,
            ),
            "ok",
        )
        return redirect(url_for("bulletins.index"))

    @area.get("/bulletins/progress", endpoint="progress")
    @requires(*BULLETIN_ROLES)
    def progress() -> ResponseReturnValue:
        """The listed bulletins' counts, for the page to refresh its bars in place."""
        listed = stubs().notification.ListBulletins(pb.ListBulletinsRequest(page_size=SHOWN))
        return jsonify(
            {
                b.bulletin_id: {
                    "total": b.total,
                    "sent": b.sent,
                    "pending": b.pending,
                    "failed": b.failed,
                }
                for b in listed.bulletins
            }
        )

    return area


def _page(*, refused: CallRefusal | None = None) -> ResponseReturnValue:
    """The page; after a refused send, the form again with the service's words (answered 200,
    as a form shown again for correction is)."""
    calls = stubs()
    listed = calls.notification.ListBulletins(pb.ListBulletinsRequest(page_size=SHOWN))
    return render_template(
        "bulletins/index.html",
        bulletins=listed.bulletins,
        grids=_grid_choices(calls),
        refused=refused,
        field_errors={k: v for k, v in (refused.fields if refused else {}).items() if k in _FIELDS},
        form=request.form,
        new_request_id=str(uuid.uuid4()),
    )


def _grid_choices(calls: ServiceStubs) -> list[grid_pb2.Grid]:
    """Grids to offer: a chief's own grids and the grids below them; an admin's levels 1 and 2
    (any code may still be typed: notification decides)."""
    user = current_user()
    assert user is not None
    roots = list(user.principal.grid_codes)
    found: list[grid_pb2.Grid] = []
    if roots:
        for code in roots:
            try:
                found.append(calls.grid.GetGrid(grid_pb2.GetGridRequest(code=code)).grid)
            except grpc.RpcError:
                continue  # a grid on an old token, gone from the current set
            found.extend(_children(calls, code))
        return found
    for level in (1, 2):
        found.extend(_listed(calls, grid_pb2.ListGridsRequest(level=level, page_size=100)))
    return found


def _children(calls: ServiceStubs, code: str) -> list[grid_pb2.Grid]:
    below = _listed(calls, grid_pb2.ListGridsRequest(parent_code=code, page_size=100))
    return below + [g for child in below for g in _children(calls, child.code)]


def _listed(calls: ServiceStubs, request: grid_pb2.ListGridsRequest) -> list[grid_pb2.Grid]:
    found: list[grid_pb2.Grid] = []
    while True:
        page = calls.grid.ListGrids(request)
        found.extend(page.grids)
        if not page.next_page_token:
            return found
        request.page_token = page.next_page_token


def _request_id(given: str) -> str:
    """The form's id (a resent form sends nothing twice), or a fresh one if it is no UUID."""
    try:
        return str(uuid.UUID(given))
    except ValueError:
        return str(uuid.uuid4())
