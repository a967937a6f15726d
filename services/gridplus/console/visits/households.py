"""The households of a worker's grid, masked, by place; one household in full only after the
user gives a reason when it holds special-care members (grid-registry writes the read to its
care access log, and the page says so)."""

from __future__ import annotations

import grpc
from flask import render_template, request
from flask.typing import ResponseReturnValue

from gridplus.api.grid.v1 import households_pb2
from gridplus.console.grpc_calls import refusal_of, stubs
from gridplus.console.i18n import t
from gridplus.console.nav import AreaBlueprint
from gridplus.console.session import current_user, requires
from gridplus.console.visits import present
from gridplus.console.visits.routes import (
    LIST_SIZE,
    RECORD_ROLES,
    VISIT_ROLES,
    care_group_names,
    household_label,
)

ANY_CARE = "*"  # the filter "with any care member"
REASON_MAX = 200
# What a read of a care household is usually for (offered, not imposed).
REASONS = ("care_visit", "petition", "correction")


def register(area: AreaBlueprint) -> None:
    @area.get("/visits/households", endpoint="households")
    @requires(*VISIT_ROLES)
    def households() -> ResponseReturnValue:
        chosen = request.args.get("care", "").strip()[:64]
        names = care_group_names()
        group = chosen if chosen in names else ""
        answer = stubs().households.ListHouseholds(
            households_pb2.ListHouseholdsRequest(care_group=group, page_size=LIST_SIZE)
        )
        rows = list(answer.households)
        if chosen == ANY_CARE:
            rows = [h for h in rows if h.has_care_members]
        return render_template(
            "visits/households.html",
            places=present.by_place(rows, lambda h: h.place_code),
            count=len(rows),
            chosen=chosen if (group or chosen == ANY_CARE) else "",
            groups=names,
            any_care=ANY_CARE,
            label=household_label,
            more=bool(answer.next_page_token),
        )

    @area.get("/visits/households/<household_id>", endpoint="household")
    @requires(*VISIT_ROLES)
    def household(household_id: str) -> ResponseReturnValue:
        try:
            answer = stubs().households.GetHousehold(
                households_pb2.GetHouseholdRequest(household_id=household_id)
            )
        except grpc.RpcError as error:
            if not _asks_for_reason(error):
                raise
            return _page(household_id, None, need_reason=True)
        found = answer.household
        return _page(household_id, found, need_reason=found.has_care_members and found.masked)

    @area.post("/visits/households/<household_id>", endpoint="read_household")
    @requires(*VISIT_ROLES)
    def read_household(household_id: str) -> ResponseReturnValue:
        reason = " ".join(request.form.get("reason", "").split())
        if not reason or len(reason) > REASON_MAX:
            key = "visits.error.reason" if not reason else "visits.error.reason_long"
            message = t(key, max=REASON_MAX)
            return _page(household_id, None, need_reason=True, error=message, status=400)
        try:
            answer = stubs().households.GetHousehold(
                households_pb2.GetHouseholdRequest(household_id=household_id, reason=reason)
            )
        except grpc.RpcError as error:
            refused = refusal_of(error)
            if refused.code != "INVALID_ARGUMENT":
                raise
            message = "; ".join(refused.fields.values()) or refused.message
            return _page(household_id, None, need_reason=True, error=message, status=400)
        return _page(household_id, answer.household, logged_reason=reason)


def _asks_for_reason(error: grpc.RpcError) -> bool:
    """The registry refused a read without a reason (a care household): the page asks for one."""
    refused = refusal_of(error)
    if refused.code not in ("INVALID_ARGUMENT", "FAILED_PRECONDITION", "PERMISSION_DENIED"):
        return False
    return "reason" in refused.fields or "reason" in refused.message.lower()


def _page(
    household_id: str,
    found: households_pb2.Household | None,
    *,
    need_reason: bool = False,
    logged_reason: str = "",
    error: str = "",
    status: int = 200,
) -> ResponseReturnValue:
    user = current_user()
    assert user is not None
    return (
        render_template(
            "visits/household.html",
            household_id=household_id,
            household=found,
            need_reason=need_reason,
            logged_reason=logged_reason,
            error=error,
            reasons=[t(f"visits.reason.{key}") for key in REASONS],
            groups=care_group_names(),
            may_record=user.role in RECORD_ROLES,
        ),
        status,
    )
