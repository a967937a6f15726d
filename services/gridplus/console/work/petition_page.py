"""One petition in My work: its details, photos, history and place; the actions come in
actions.py."""

from __future__ import annotations

from collections.abc import Iterable

import grpc
from flask import Response, render_template
from flask.typing import ResponseReturnValue

from gridplus.api.dispatch.v1 import dispatch_pb2
from gridplus.api.petition.v1 import petition_pb2
from gridplus.console.grpc_calls import stubs
from gridplus.console.nav import AreaBlueprint
from gridplus.console.session import requires
from gridplus.console.work.present import light_name
from gridplus.kit.roles import Role


def register(area: AreaBlueprint, roles: Iterable[Role]) -> None:
    gate = requires(*roles)

    @area.get("/work/petitions/<petition_id>")
    @gate
    def petition(petition_id: str) -> ResponseReturnValue:
        calls = stubs()
        found = calls.petition.GetPetition(petition_pb2.GetPetitionRequest(id=petition_id))
        history = calls.petition.GetPetitionHistory(
            petition_pb2.GetPetitionHistoryRequest(id=petition_id)
        )
        assignment = _assignment(petition_id)
        return render_template(
            "work/petition.html",
            petition=found.petition,
            history=history.entries,
            assignment=assignment,
            light=light_name(found.petition.light),
            status=_status(found.petition.status),
        )

    @area.get("/work/petitions/<petition_id>/photos/<int:seq>")
    @gate
    def photo(petition_id: str, seq: int) -> ResponseReturnValue:
        answer = stubs().petition.GetPetitionPhoto(
            petition_pb2.GetPetitionPhotoRequest(id=petition_id, seq=seq)
        )
        response = Response(answer.content, mimetype=answer.photo.media_type)
        response.headers["Cache-Control"] = "private, max-age=3600"
        return response


def _assignment(petition_id: str) -> dispatch_pb2.Assignment | None:
    try:
        return (
            stubs()
            .dispatch.GetAssignment(dispatch_pb2.GetAssignmentRequest(petition_id=petition_id))
            .assignment
        )
    except grpc.RpcError as error:
        # Not routed yet, or routed away from the caller: the petition page still shows.
        if isinstance(error, grpc.Call) and error.code() in (
            grpc.StatusCode.NOT_FOUND,
            grpc.StatusCode.PERMISSION_DENIED,
        ):
            return None
        raise


def _status(value: int) -> str:
    return petition_pb2.PetitionStatus.Name(value).removeprefix("PETITION_STATUS_")
