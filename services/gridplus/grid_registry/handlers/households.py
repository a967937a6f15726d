"""Registering, changing and removing households (HouseholdService, gridctl import-households).

Each change is one unit of work: the household's rows and its HouseholdChanged event (outbox,
keyed by household id) commit together; a retried request_id is applied once (kit run_once),
and the stored answer is the household id only, so no personal data lands in the idempotency
table. Access (domain/household_access.py): grid staff inside their subtrees and admins;
a household or place outside the caller's scope answers NOT_FOUND, as an unknown one does.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from gridplus.grid_registry.api import household_convert
from gridplus.grid_registry.domain import household_access as access
from gridplus.grid_registry.domain.care_groups import CareGroups
from gridplus.grid_registry.domain.households import (
    Household,
    HouseholdCheck,
    HouseholdDraft,
    changed,
    check_draft,
)
from gridplus.grid_registry.domain.places import Place
from gridplus.grid_registry.handlers.snapshots import GridSetSnapshot
from gridplus.grid_registry.storage import households as store
from gridplus.grid_registry.storage.households import Sealing
from gridplus.kit.clock import Clock
from gridplus.kit.db import SessionFactory
from gridplus.kit.errors import AlreadyExists, FieldViolation, InvalidArgument, NotFound
from gridplus.kit.idempotency import caller_scope, run_once
from gridplus.kit.outbox import Outbox
from gridplus.kit.roles import Principal
from gridplus.kit.text import clean_text

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

log = logging.getLogger(__name__)
GRPC_FIELDS = HouseholdCheck()


@dataclass(frozen=True)
class HouseholdDeps:
    sealing: Sealing
    care_groups: CareGroups
    outbox: Outbox
    clock: Clock


def register(
    sessions: SessionFactory,
    deps: HouseholdDeps,
    snapshot: GridSetSnapshot,
    viewer: Principal,
    *,
    draft: HouseholdDraft,
    request_id: str = "",
) -> str:
    """A new household under a building or unit; returns its id."""
    draft = _checked(draft, deps)

    def action(session: Session) -> dict[str, Any]:
        return {"household_id": create(session, deps, snapshot, viewer, draft=draft)}

    done = _once(sessions, deps, viewer, "register", request_id, asdict(draft), action)
    return str(done["household_id"])


def create(
    session: Session,
    deps: HouseholdDeps,
    snapshot: GridSetSnapshot,
    viewer: Principal,
    *,
    draft: HouseholdDraft,
    import_key: str | None = None,
    check: HouseholdCheck = GRPC_FIELDS,
) -> str:
    """Store a checked draft as a new household and record its event (inside `session`)."""
    place = _changeable_place(session, snapshot, viewer, draft.place_code)
    _refuse_registered_elsewhere(session, deps, draft, household_id=None, check=check)
    household_id = store.new_id()
    now = deps.clock.now()
    store.create(
        session,
        household_id=household_id,
        grid_code=place.grid_code,
        draft=draft,
        at=now,
        sealing=deps.sealing,
        import_key=import_key,
    )
    _record(session, deps, household_id)
    log.info("household registered", extra={"household_id": household_id})
    return household_id


def update(
    sessions: SessionFactory,
    deps: HouseholdDeps,
    snapshot: GridSetSnapshot,
    viewer: Principal,
    *,
    household_id: str,
    draft: HouseholdDraft,
    request_id: str = "",
) -> None:
    if not household_id:
        raise InvalidArgument.single("household.household_id", "required")
    draft = _checked(draft, deps)

    def action(session: Session) -> dict[str, Any]:
        change(session, deps, snapshot, viewer, household_id=household_id, draft=draft)
        return {"household_id": household_id}

    request = {"household_id": household_id, **asdict(draft)}
    _once(sessions, deps, viewer, "update", request_id, request, action)


def change(
    session: Session,
    deps: HouseholdDeps,
    snapshot: GridSetSnapshot,
    viewer: Principal,
    *,
    household_id: str,
    draft: HouseholdDraft,
    check: HouseholdCheck = GRPC_FIELDS,
) -> None:
    """New contents for a household the caller may change (inside `session`)."""
    current = store.get(session, household_id=household_id, sealing=deps.sealing)
    if (
        current is None
        or current.removed
        or not access.may_change(viewer, current.grid_code, snapshot.grids)
    ):
        raise NotFound(f"household {household_id!r} not found")
    place = _changeable_place(session, snapshot, viewer, draft.place_code)
    known = store.member_ids(session, household_id=household_id)
    strangers = [
        FieldViolation(check.name(f"members[{index}].member_id"), "not a member of this household")
        for index, member in enumerate(draft.members)
        if member.member_id and member.member_id not in known
    ]
    if strangers:
        raise InvalidArgument(strangers)
    _refuse_registered_elsewhere(session, deps, draft, household_id=household_id, check=check)
    store.replace_contents(
        session,
        household_id=household_id,
        grid_code=place.grid_code,
        draft=draft,
        at=deps.clock.now(),
        sealing=deps.sealing,
    )
    _record(session, deps, household_id)


def remove(
    sessions: SessionFactory,
    deps: HouseholdDeps,
    snapshot: GridSetSnapshot,
    viewer: Principal,
    *,
    household_id: str,
    reason: str,
    request_id: str = "",
) -> None:
    """Moved away: its personal data is erased, its ids stay; removing twice changes nothing."""
    violations = []
    if not household_id:
        violations.append(FieldViolation("household_id", "required"))
    reason = clean_text(reason.strip(), field="reason")
    if not reason or len(reason) > 500:
        violations.append(FieldViolation("reason", "required, at most 500 characters"))
    if violations:
        raise InvalidArgument(violations)

    def action(session: Session) -> dict[str, Any]:
        current = store.get(session, household_id=household_id, sealing=deps.sealing)
        if current is None or not access.may_change(viewer, current.grid_code, snapshot.grids):
            raise NotFound(f"household {household_id!r} not found")
        if not current.removed:
            store.remove(session, household_id=household_id, reason=reason, at=deps.clock.now())
            _record(session, deps, household_id)
        return {"household_id": household_id}

    request = {"household_id": household_id, "reason": reason}
    _once(sessions, deps, viewer, "remove", request_id, request, action)


def stored(session: Session, deps: HouseholdDeps, household_id: str) -> Household:
    """The household as stored, in full: for the caller who has just changed it."""
    found = store.get(session, household_id=household_id, sealing=deps.sealing)
    if found is None:
        raise NotFound(f"household {household_id!r} not found")
    return found


def _checked(draft: HouseholdDraft, deps: HouseholdDeps) -> HouseholdDraft:
    return check_draft(draft, deps.care_groups, this_year=deps.clock.now().year, check=GRPC_FIELDS)


def _changeable_place(
    session: Session, snapshot: GridSetSnapshot, viewer: Principal, code: str
) -> Place:
    place = store.get_place(session, version=snapshot.version, code=code)
    if place is None or not access.may_change(viewer, place.grid_code, snapshot.grids):
        raise NotFound(f"place {code!r} not found in grid set {snapshot.version}")
    return place


def _refuse_registered_elsewhere(
    session: Session,
    deps: HouseholdDeps,
    draft: HouseholdDraft,
    *,
    household_id: str | None,
    check: HouseholdCheck,
) -> None:
    hashes = {
        deps.sealing.id_hash(m.id_number): i for i, m in enumerate(draft.members) if m.id_number
    }
    taken = store.registered_elsewhere(session, id_hashes=list(hashes), household_id=household_id)
    if taken:
        first = min(hashes[value] for value in taken)
        field = check.name(f"members[{first}].id_number")
        raise AlreadyExists(f"{field}: this person is already registered in another household")


def _record(session: Session, deps: HouseholdDeps, household_id: str) -> None:
    household = store.get(session, household_id=household_id, sealing=deps.sealing)
    assert household is not None
    event = changed(household, deps.care_groups)
    deps.outbox.add(session, household_convert.event_payload(event), key=household_id)


def _once(
    sessions: SessionFactory,
    deps: HouseholdDeps,
    viewer: Principal,
    operation: str,
    request_id: str,
    request: dict[str, Any],
    action: Any,
) -> dict[str, Any]:
    # The fingerprint is a keyed hash: the request holds names and ID numbers, and an unkeyed
    # digest of a short record could be guessed back.
    digest = deps.sealing.id_hash(json.dumps(request, sort_keys=True, default=str))
    done, _ = run_once(
        sessions,
        deps.clock,
        scope=caller_scope(f"grid.household.{operation}", viewer.subject),
        key=request_id or None,
        request={"digest": digest},
        action=action,
    )
    return done
