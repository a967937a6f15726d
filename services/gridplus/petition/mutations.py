"""Staff mutations (verify, reject, merge, resolve, reopen, add a note, publish or withhold the
free text) applied once per request id, and the reactions to dispatch's and evaluation's events."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from gridplus.kit import idempotency
from gridplus.kit.auth import Role
from gridplus.kit.db import SessionFactory
from gridplus.kit.errors import FailedPrecondition, InvalidArgument, PermissionDenied
from gridplus.petition.domain.access import Viewer, may_handle
from gridplus.petition.domain.lifecycle import FINAL, Status
from gridplus.petition.domain.petition import Petition, Step
from gridplus.petition.domain.photos import RESOLUTION, CleanPhoto
from gridplus.petition.domain.values import Actor, CategoryChoice, GridRef
from gridplus.petition.handlers import (
    Deps,
    get_petition,
    publish,
    run_once,
    scope_for,
    store_photos,
)
from gridplus.petition.storage import repository

log = logging.getLogger(__name__)

DISPATCH = Actor("dispatch", Role.SERVICE)
EVALUATION = Actor("evaluation", Role.SERVICE)


@dataclass(frozen=True)
class Verify:
    category: str | None = None
    deadline: datetime | None = None
    note: str = ""


@dataclass(frozen=True)
class Reject:
    reason: str


@dataclass(frozen=True)
class Merge:
    survivor_id: str


@dataclass(frozen=True)
class Resolve:
    note: str
    photos: list[CleanPhoto] = field(default_factory=list)


@dataclass(frozen=True)
class Reopen:
    note: str = ""


@dataclass(frozen=True)
class AddNote:
    note: str


@dataclass(frozen=True)
class SetPublication:
    publish: bool
    note: str = ""


Command = Verify | Reject | Merge | Resolve | Reopen | AddNote | SetPublication


def apply_once(
    sessions: SessionFactory,
    deps: Deps,
    *,
    petition_id: str,
    command: Command,
    caller: Viewer,
    request_id: str,
) -> bool:
    """Apply a staff command in its own transaction, once per request id. Returns True when
    this call was a replay of an earlier one."""
    fingerprint = idempotency.request_fingerprint(
        {
            "petition": petition_id,
            "command": type(command).__name__,
            "args": _args(command),
        }
    )

    def action(session: Session) -> str:
        apply(session, deps, petition_id=petition_id, command=command, caller=caller)
        return petition_id

    _, replayed = run_once(
        sessions,
        deps.clock,
        scope=scope_for("mutate", caller),
        key=request_id,
        fingerprint=fingerprint,
        field="request_id",
        action=action,
    )
    return replayed


def apply(
    session: Session, deps: Deps, *, petition_id: str, command: Command, caller: Viewer
) -> Petition:
    petition = _handled(session, petition_id, caller, lock=True)
    at = deps.clock.now()
    actor = caller.actor
    if isinstance(command, Verify):
        petition.verify(
            actor=actor,
            at=at,
            category=command.category,
            deadline=command.deadline,
            note=command.note,
        )
    elif isinstance(command, Reject):
        petition.reject(reason=command.reason, actor=actor, at=at)
    elif isinstance(command, Merge):
        _check_survivor(session, petition, command.survivor_id, caller)
        petition.mark_duplicate(survivor_id=command.survivor_id, actor=actor, at=at)
    elif isinstance(command, Resolve):
        petition.resolve(note=command.note, actor=actor, at=at)
        store_photos(
            session,
            deps,
            petition_id=petition.id,
            photos_=command.photos,
            stage=RESOLUTION,
            by=caller,
        )
    elif isinstance(command, Reopen):
        petition.reopen(actor=actor, at=at, note=command.note)
    elif isinstance(command, SetPublication):
        petition.set_publication(publish=command.publish, note=command.note, actor=actor, at=at)
    else:
        petition.add_note(note=command.note, actor=actor, at=at)
    repository.update(session, petition=petition)
    publish(session, deps.outbox, petition)
    return petition


def _handled(session: Session, petition_id: str, caller: Viewer, *, lock: bool) -> Petition:
    petition = get_petition(session, petition_id=petition_id, viewer=caller)
    if not may_handle(petition, caller):
        raise PermissionDenied(f"role {caller.role.value} may not change this petition")
    return repository.get(session, petition_id=petition_id, lock=lock) if lock else petition


def _check_survivor(
    session: Session, duplicate: Petition, survivor_id: str, caller: Viewer
) -> None:
    if not survivor_id or survivor_id == duplicate.id:
        return  # the domain names the field
    survivor = get_petition(session, petition_id=survivor_id, viewer=caller)
    if survivor.status in FINAL:
        raise FailedPrecondition(
            f"petition {survivor_id} is {survivor.status} and cannot take duplicates;"
            " merge into an open petition"
        )


def _args(command: Command) -> dict[str, object]:
    if isinstance(command, Resolve):
        return {"note": command.note, "photos": [photo.digest for photo in command.photos]}
    return {key: str(value) for key, value in vars(command).items()}


# -- reactions to other services' events -----------------------------------------------------


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
    session: Session, deps: Deps, *, petition_id: str, target: Status, note: str, at: datetime
) -> bool:
    """Evaluation's follow-up outcome: CLOSED (satisfied or no response) or REOPENED. Ignored
    (False) when the petition is not RESOLVED any more, e.g. a repeated outcome."""
    petition = repository.get(session, petition_id=petition_id, lock=True)
    if petition.status is not Status.RESOLVED:
        log.warning(
            "follow-up outcome ignored: the petition is not waiting for follow-up",
            extra={"petition_id": petition_id, "status": petition.status.value},
        )
        return False
    if target is Status.CLOSED:
        petition.close(actor=EVALUATION, at=at, note=note)
    elif target is Status.REOPENED:
        petition.reopen(actor=EVALUATION, at=at, note=note)
    else:
        raise InvalidArgument.single("outcome", f"cannot lead to {target}")
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
