"""Where a petition can go from where it is (DESIGN.md, "Petition lifecycle").

SUBMITTED → ASSIGNED → VERIFIED → RESOLVED → CLOSED is the main line. REJECTED (invalid or out of
jurisdiction) and DUPLICATE (merged into another petition) are decided while routing or
verifying, before handling starts. A resident's unsatisfied follow-up REOPENS a resolved petition:
it is handled again, either re-verified (VERIFIED, a new handling clock) or, when the category and
handler stand, resolved again directly. CLOSED, REJECTED and DUPLICATE are final.

| from      | to                              | who / what                                   |
|-----------|---------------------------------|----------------------------------------------|
| SUBMITTED | ASSIGNED, REJECTED, DUPLICATE   | dispatch routes / fails to route; staff merge |
| ASSIGNED  | VERIFIED, REJECTED, DUPLICATE   | staff verify, reject or merge                 |
| VERIFIED  | RESOLVED                        | handler resolves with a note (and photos)     |
| RESOLVED  | CLOSED, REOPENED                | follow-up satisfied or no answer / unsatisfied|
| REOPENED  | VERIFIED, RESOLVED              | staff re-verify, or the handler resolves again|
| CLOSED, REJECTED, DUPLICATE | (final)           |                                               |

Evaluation's follow-up decides what a RESOLVED petition becomes (`FOLLOW_UP`): satisfied, or no
answer in time, closes it; unsatisfied reopens it.
"""

from __future__ import annotations

from enum import StrEnum

from gridplus.kit.errors import FailedPrecondition


class Status(StrEnum):
    SUBMITTED = "SUBMITTED"
    ASSIGNED = "ASSIGNED"
    VERIFIED = "VERIFIED"
    RESOLVED = "RESOLVED"
    CLOSED = "CLOSED"
    REJECTED = "REJECTED"
    DUPLICATE = "DUPLICATE"
    REOPENED = "REOPENED"


TRANSITIONS: dict[Status, frozenset[Status]] = {
    Status.SUBMITTED: frozenset({Status.ASSIGNED, Status.REJECTED, Status.DUPLICATE}),
    Status.ASSIGNED: frozenset({Status.VERIFIED, Status.REJECTED, Status.DUPLICATE}),
    Status.VERIFIED: frozenset({Status.RESOLVED}),
    Status.RESOLVED: frozenset({Status.CLOSED, Status.REOPENED}),
    Status.REOPENED: frozenset({Status.VERIFIED, Status.RESOLVED}),
    Status.CLOSED: frozenset(),
    Status.REJECTED: frozenset(),
    Status.DUPLICATE: frozenset(),
}

FINAL = frozenset(status for status, targets in TRANSITIONS.items() if not targets)


class TransitionRefused(FailedPrecondition):
    """The petition's current status does not allow the requested change."""

    def __init__(self, petition_id: str, current: Status, target: Status) -> None:
        self.current = current
        self.target = target
        allowed = sorted(TRANSITIONS[current])
        options = (
            f"from {current} it can only become {', '.join(allowed)}"
            if allowed
            else f"{current} is final"
        )
        super().__init__(
            f"petition {petition_id} is {current} and cannot become {target}; {options}"
        )


def may_move(current: Status, target: Status) -> bool:
    return target in TRANSITIONS[current]


class FollowUpOutcome(StrEnum):
    """How evaluation's follow-up (跟踪回访) of a resolved petition ended."""

    SATISFIED = "SATISFIED"  # rating 4-5, or a visit that found it solved
    UNSATISFIED = "UNSATISFIED"  # rating 1-3, or a visit that found it not solved
    NO_RESPONSE = "NO_RESPONSE"  # no answer before the follow-up was due


# The outcome -> the status it leads to from RESOLVED, and the note kept in the history.
FOLLOW_UP: dict[FollowUpOutcome, tuple[Status, str]] = {
    FollowUpOutcome.SATISFIED: (Status.CLOSED, "follow-up: satisfied"),
    FollowUpOutcome.NO_RESPONSE: (Status.CLOSED, "no response"),
    FollowUpOutcome.UNSATISFIED: (Status.REOPENED, "follow-up: unsatisfied"),
}
