"""Staff commands (verify, reject, merge, resolve, reopen, add a note, publish or withhold the free
text), each applied once per request id: the same id again answers as the first call did and
changes nothing; the same id with another command is refused naming `request_id`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from gridplus.kit import idempotency
from gridplus.kit.db import SessionFactory, transaction
from gridplus.kit.errors import (
    FailedPrecondition,
    InvalidArgument,
    PermissionDenied,
    TransientError,
)
from gridplus.petition.domain.access import Viewer, may_handle
from gridplus.petition.domain.commands import (
    AddNote,
    Command,
    Merge,
    Reject,
    Reopen,
    Resolve,
    SetPublication,
    Verify,
)
from gridplus.petition.domain.lifecycle import FINAL
from gridplus.petition.domain.petition import Petition
from gridplus.petition.domain.photos import RESOLUTION
from gridplus.petition.handlers.deps import Deps, key_scope, publish
from gridplus.petition.handlers.intake import store_photos, upload_photos
from gridplus.petition.handlers.queries import get_petition
from gridplus.petition.storage import repository

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


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
    request = {"petition": petition_id, "command": type(command).__name__, "args": _args(command)}
    if isinstance(command, Verify) and command.category:
        # Before the transaction: asking grid-registry must not hold the petition's row.
        check_category(deps, command.category)
    if isinstance(command, Resolve) and command.photos:
        # Only someone who may change the petition puts bytes in the store, and before the
        # transaction that locks the petition's row (intake.upload_photos).
        with transaction(sessions) as session:
            _handled(session, petition_id, caller, lock=False)
        upload_photos(deps, command.photos)

    def action(session: Session) -> dict[str, Any]:
        apply(session, deps, petition_id=petition_id, command=command, caller=caller)
        return {"id": petition_id}

    _, replayed = idempotency.run_once(
        sessions,
        deps.clock,
        scope=key_scope("mutate", caller),
        key=request_id,
        request=request,
        action=action,
    )
    return replayed


def check_category(deps: Deps, code: str) -> None:
    """`code` is in grid-registry's taxonomy, else INVALID_ARGUMENT naming `category`; when the
    taxonomy cannot be had, UNAVAILABLE (an unchecked code is never stored)."""
    if deps.categories is None:
        raise TransientError(f"the category taxonomy is not available to check category {code}")
    if deps.categories.get(code) is None:
        raise InvalidArgument.single("category", f"unknown category {code}: not in the taxonomy")


def apply(
    session: Session, deps: Deps, *, petition_id: str, command: Command, caller: Viewer
) -> Petition:
    note_only = isinstance(command, AddNote)
    petition = _handled(session, petition_id, caller, lock=True, note_only=note_only)
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


def _handled(
    session: Session, petition_id: str, caller: Viewer, *, lock: bool, note_only: bool = False
) -> Petition:
    petition = get_petition(session, petition_id=petition_id, viewer=caller)
    if not may_handle(petition, caller, note_only=note_only):
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
