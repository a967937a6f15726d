"""What other services' events change on a petition: dispatch routed it (or could not, or sent it
to manual triage), transferred it, or moved its deadline; evaluation's follow-up closed or reopened
it. A decision that arrives for a petition that has moved on is ignored (logged), so a late or
repeated event never overwrites what happened since."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING

from gridplus.kit.roles import Role
from gridplus.petition.domain.lifecycle import FollowUpOutcome, Status
from gridplus.petition.domain.petition import Petition, Step
from gridplus.petition.domain.values import Actor, CategoryChoice, GridRef
from gridplus.petition.handlers.deps import Deps, publish
from gridplus.petition.storage import repository

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

DISPATCH = Actor("dispatch", Role.SERVICE)
EVALUATION = Actor("evaluation", Role.SERVICE)


def apply_assignment(
    session: Session,
    deps: Deps,
    *,
    petition_id: str,
    grid: GridRef,
    assignee_id: str,
    deadline: datetime,
    category: str | None,
    at: datetime,
    note: str = "",
    choice: CategoryChoice | None = None,
    department_code: str | None = None,
    yellow_at: datetime | None = None,
) -> bool:
    """Dispatch routed the petition. Returns False when it was ignored because the petition has
    moved on (rejected, merged, or already assigned): a late or repeated routing decision must
    not overwrite what happened since."""
    petition = _waiting_for_routing(session, petition_id, "assignment")
    if petition is None:
        return False
    petition.assign(
        grid=grid,
        assignee_id=assignee_id,
        deadline=deadline,
        category=category,
        actor=DISPATCH,
        at=at,
        note=note,
        yellow_at=yellow_at,
    )
    petition.record_routing(choice=choice, department_code=department_code)
    repository.update(session, petition=petition)
    publish(session, deps.outbox, petition)
    return True


def apply_routing_failure(
    session: Session, deps: Deps, *, petition_id: str, reason: str, at: datetime
) -> bool:
    """Dispatch could not route it (e.g. out of jurisdiction): rejected with the reason.
    Returns False when ignored because the petition is no longer waiting for routing."""
    petition = _waiting_for_routing(session, petition_id, "routing failure")
    if petition is None:
        return False
    petition.reject(reason=reason, actor=DISPATCH, at=at)
    repository.update(session, petition=petition)
    publish(session, deps.outbox, petition)
    return True


def apply_triage(
    session: Session,
    deps: Deps,
    *,
    petition_id: str,
    reason: str,
    best_guess: CategoryChoice | None,
    at: datetime,
) -> bool:
    """The petition waits in dispatch's manual triage queue: shown on it until assigned."""
    petition = _waiting_for_routing(session, petition_id, "triage")
    if petition is None:
        return False
    petition.send_to_triage(reason=reason, best_guess=best_guess, actor=DISPATCH, at=at)
    repository.update(session, petition=petition)
    return True


def apply_follow_up(
    session: Session, deps: Deps, *, petition_id: str, outcome: FollowUpOutcome, at: datetime
) -> bool:
    """Evaluation's follow-up outcome; the lifecycle decides what it leads to (closed or
    reopened). Ignored (False) when the petition is not RESOLVED any more, e.g. a repeated
    outcome."""
    petition = repository.get(session, petition_id=petition_id, lock=True)
    if petition.status is not Status.RESOLVED:
        log.warning(
            "follow-up outcome ignored: the petition is not waiting for follow-up",
            extra={"petition_id": petition_id, "status": petition.status.value},
        )
        return False
    petition.complete_follow_up(outcome=outcome, actor=EVALUATION, at=at)
    repository.update(session, petition=petition)
    publish(session, deps.outbox, petition)
    return True


def apply_transfer(
    session: Session,
    deps: Deps,
    *,
    petition_id: str,
    assignee_id: str,
    department_code: str | None,
    reason: str,
    actor_id: str,
    at: datetime,
) -> None:
    """The handler changed by transfer; the clock keeps running (DESIGN: never reset)."""
    petition = repository.get(session, petition_id=petition_id, lock=True)
    petition.transfer(
        assignee_id=assignee_id,
        department_code=department_code,
        # Dispatch records it; the person who asked (role unknown here) is named in the note.
        note=f"{reason} (by {actor_id})" if actor_id else reason,
        actor=DISPATCH,
        at=at,
    )
    repository.update(session, petition=petition)


def apply_deadline(
    session: Session,
    deps: Deps,
    *,
    petition_id: str,
    step: Step,
    deadline: datetime,
    yellow_at: datetime | None,
    paused: bool,
    changed_at: datetime,
    reason: str,
) -> bool:
    """Dispatch moved the current step's deadline: shown on the petition (deadlines, light).
    Returns False when ignored as stale (another step by now, or older than the last change)."""
    petition = repository.get(session, petition_id=petition_id, lock=True)
    applied = petition.record_deadline(
        step=step,
        deadline=deadline,
        yellow_at=yellow_at,
        paused=paused,
        changed_at=changed_at,
        reason=reason,
        actor=DISPATCH,
    )
    if not applied:
        log.info(
            "deadline change ignored: stale",
            extra={"petition_id": petition_id, "status": petition.status.value, "step": step},
        )
        return False
    repository.update(session, petition=petition)
    return True


def _waiting_for_routing(session: Session, petition_id: str, what: str) -> Petition | None:
    petition = repository.get(session, petition_id=petition_id, lock=True)
    if petition.status is not Status.SUBMITTED:
        log.warning(
            f"{what} ignored: the petition is no longer waiting for routing",
            extra={"petition_id": petition_id, "status": petition.status.value},
        )
        return None
    return petition
