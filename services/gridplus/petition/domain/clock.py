"""The clock a petition shows from dispatch: which step it runs for, and its light (亮灯)."""

from __future__ import annotations

from enum import StrEnum

from gridplus.petition.domain.lifecycle import Status


class Step(StrEnum):
    """The step a clock runs for (dispatch's AssignmentStep)."""

    VERIFY = "verify"  # 核实研判: while ASSIGNED
    HANDLE = "handle"  # 限时办理: while VERIFIED (or REOPENED, until verified again)


# Where a step's clock is the current one: dispatch's change for another step is stale.
STEP_STATUSES: dict[Step, frozenset[Status]] = {
    Step.VERIFY: frozenset({Status.ASSIGNED}),
    Step.HANDLE: frozenset({Status.VERIFIED, Status.REOPENED}),
}


class Light(StrEnum):
    """亮灯: green while on time, yellow near the deadline, red past it. Dispatch owns the rule (a
    quarter of the step's time left, on the category's calendar) and sends the instants."""

    GREEN = "GREEN"
    YELLOW = "YELLOW"
    RED = "RED"
