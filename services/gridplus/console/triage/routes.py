"""The triage queue's page and its one action."""

from __future__ import annotations

from flask import render_template
from flask.typing import ResponseReturnValue

from gridplus.api.dispatch.v1 import dispatch_pb2
from gridplus.console.grpc_calls import stubs
from gridplus.console.nav import AreaBlueprint, NavLink
from gridplus.console.session import requires
from gridplus.kit.roles import Role

# Dispatch lets grid chiefs (of the petition's grid) and admins choose a category in triage.
TRIAGE_ROLES = frozenset({Role.GRID_CHIEF, Role.ADMIN})
PAGE_SIZE = 100


def blueprint() -> AreaBlueprint:
    area = AreaBlueprint(
        "triage", __name__, nav=[NavLink("triage.queue", "triage.nav", TRIAGE_ROLES)]
    )

    @area.get("/triage")
    @requires(*TRIAGE_ROLES)
    def queue() -> ResponseReturnValue:
        listed = stubs().dispatch.ListTriage(dispatch_pb2.ListTriageRequest(page_size=PAGE_SIZE))
        return render_template("triage/queue.html", items=listed.items)

    return area
