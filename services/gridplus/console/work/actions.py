"""What a handler does with a petition in My work: each form posts here, the console makes the
one service call, then sends the browser back to the petition (POST-redirect-GET) with a
message. A refusal the user can fix (a bad field, a step the status does not allow) shows the
petition again with the message at the form; NOT_FOUND and PERMISSION_DENIED become the shared
pages (app.py). Each form carries a request_id made when the page was drawn, so a form sent
twice (a double click, a retry after a timeout) is applied once by the service."""

from __future__ import annotations

from collections.abc import Callable, Iterable

import grpc
from flask import current_app, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue

from gridplus.api.dispatch.v1 import dispatch_pb2
from gridplus.api.petition.v1 import petition_pb2
from gridplus.console.config import ConsoleSettings
from gridplus.console.grpc_calls import ServiceStubs, refusal_of, stubs
from gridplus.console.i18n import t
from gridplus.console.nav import AreaBlueprint
from gridplus.console.session import requires
from gridplus.console.work.petition_page import is_category, load_view, render_view
from gridplus.kit.roles import Role

# Photos of a resolution: petition checks type, size and count (its PhotoLimits); one more than
# its limit is passed on so that petition names the excess itself.
# Refusals shown at the form instead of an error page: the user can act on them.
_AT_THE_FORM = frozenset({"INVALID_ARGUMENT", "FAILED_PRECONDITION", "ALREADY_EXISTS", "ABORTED"})

Action = Callable[[ServiceStubs, str, str], object]


def _text(name: str) -> str:
    return request.form.get(name, "").strip()


def _accept(calls: ServiceStubs, pid: str, rid: str) -> object:
    return calls.dispatch.AcceptAssignment(
        dispatch_pb2.AcceptAssignmentRequest(petition_id=pid, request_id=rid)
    )


def _verify(calls: ServiceStubs, pid: str, rid: str) -> object:
    return calls.petition.VerifyPetition(
        petition_pb2.VerifyPetitionRequest(
            request_id=rid, id=pid, category=_text("category"), note=_text("note")
        )
    )


def _resolve(calls: ServiceStubs, pid: str, rid: str) -> object:
    settings: ConsoleSettings = current_app.extensions["gridplus.console.settings"]
    chosen = [f for f in request.files.getlist("photos") if f.filename]
    photos = [f.read() for f in chosen[: settings.photo_max_count + 1]]
    return calls.petition.ResolvePetition(
        petition_pb2.ResolvePetitionRequest(
            request_id=rid, id=pid, note=_text("note"), photos=photos
        ),
        timeout=30,  # photos are checked and stored before the answer
    )


def _reject(calls: ServiceStubs, pid: str, rid: str) -> object:
    return calls.petition.RejectPetition(
        petition_pb2.RejectPetitionRequest(request_id=rid, id=pid, reason=_text("reason"))
    )


def _merge(calls: ServiceStubs, pid: str, rid: str) -> object:
    return calls.petition.MergePetition(
        petition_pb2.MergePetitionRequest(request_id=rid, id=pid, survivor_id=_text("survivor_id"))
    )


def _transfer(calls: ServiceStubs, pid: str, rid: str) -> object:
    return calls.dispatch.TransferAssignment(
        dispatch_pb2.TransferAssignmentRequest(
            petition_id=pid,
            to_assignee_id=_text("to_assignee_id"),
            to_department_code=_text("to_department_code"),
            reason=_text("reason"),
            request_id=rid,
        )
    )


def _refuse(calls: ServiceStubs, pid: str, rid: str) -> object:
    return calls.dispatch.RefuseAssignment(
        dispatch_pb2.RefuseAssignmentRequest(
            petition_id=pid, reason=_text("reason"), request_id=rid
        )
    )


def _pause(calls: ServiceStubs, pid: str, rid: str) -> object:
    return calls.dispatch.PauseClock(
        dispatch_pb2.PauseClockRequest(petition_id=pid, reason=_text("reason"), request_id=rid)
    )


def _resume(calls: ServiceStubs, pid: str, rid: str) -> object:
    return calls.dispatch.ResumeClock(
        dispatch_pb2.ResumeClockRequest(petition_id=pid, request_id=rid)
    )


def _note(calls: ServiceStubs, pid: str, rid: str) -> object:
    return calls.petition.AddPetitionNote(
        petition_pb2.AddPetitionNoteRequest(request_id=rid, id=pid, note=_text("note"))
    )


ACTIONS: dict[str, Action] = {
    "accept": _accept,
    "verify": _verify,
    "resolve": _resolve,
    "reject": _reject,
    "merge": _merge,
    "transfer": _transfer,
    "refuse": _refuse,
    "pause": _pause,
    "resume": _resume,
    "note": _note,
}
# The console's own check before calling: a required text left empty is named at its field.
REQUIRED = {
    "resolve": ("note",),
    "reject": ("reason",),
    "merge": ("survivor_id",),
    "refuse": ("reason",),
    "pause": ("reason",),
    "note": ("note",),
    "transfer": ("reason",),
}


def register(area: AreaBlueprint, roles: Iterable[Role]) -> None:
    @area.post("/work/petitions/<petition_id>/<action>")
    @requires(*roles)
    def act(petition_id: str, action: str) -> ResponseReturnValue:
        perform = ACTIONS.get(action)
        if perform is None:
            return render_view(load_view(petition_id), 404)
        missing = {
            name: t("work.error.required") for name in REQUIRED.get(action, ()) if not _text(name)
        }
        if action == "verify" and _text("category") and not is_category(_text("category")):
            # Petition stores any code it is given; a code outside the taxonomy would route
            # nowhere, so the console names it here.
            missing["category"] = t("work.error.unknown_category", code=_text("category"))
        if missing:
            return render_view(load_view(petition_id, errors=missing, failed=action), 400)
        request_id = _text("request_id")
        if not request_id:
            return render_view(
                load_view(petition_id, errors={"form": t("work.error.reload")}, failed=action), 400
            )
        try:
            perform(stubs(), petition_id, f"console-{action}-{request_id}")
        except grpc.RpcError as error:
            refused = refusal_of(error)
            if refused.code not in _AT_THE_FORM:
                raise
            errors = dict(refused.fields) or {"form": refused.message}
            status = refused.http_status
            return render_view(load_view(petition_id, errors=errors, failed=action), status)
        flash(t(f"work.done.{action}"), "done")
        return redirect(url_for("work.petition", petition_id=petition_id) + f"#{action}-done")
