"""gridctl import-households: a CSV register (domain/household_rows.py) applied all or nothing.

Every household of the file is checked first; then all are written in one transaction, through
the same use cases as the RPCs (so each change records its HouseholdChanged event), and any
error found on the way rolls the whole file back. A household is found again by its
`household_key`: an unchanged one is left alone (no event), a changed one is updated with its
members' ids kept (matched by ID number, else by name and birth year).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from gridplus.grid_registry.domain.household_rows import (
    HouseholdRows,
    RowError,
    RowsRefused,
    group_rows,
)
from gridplus.grid_registry.domain.households import (
    Household,
    HouseholdCheck,
    HouseholdDraft,
    check_draft,
)
from gridplus.grid_registry.handlers import households
from gridplus.grid_registry.handlers.households import HouseholdDeps
from gridplus.grid_registry.handlers.snapshots import GridSetSnapshot
from gridplus.grid_registry.storage import households as store
from gridplus.kit.db import SessionFactory, transaction
from gridplus.kit.errors import AlreadyExists, FieldViolation, InvalidArgument, NotFound
from gridplus.kit.roles import Principal, Role

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

# The operator acts for the city, as an admin does over gRPC.
OPERATOR = Principal("gridctl", Role.ADMIN)
FIELDS = HouseholdCheck(prefix="")


@dataclass(frozen=True)
class HouseholdImport:
    created: int
    changed: int
    unchanged: int


def import_households(
    sessions: SessionFactory,
    deps: HouseholdDeps,
    snapshot: GridSetSnapshot,
    rows: Iterable[tuple[int, Mapping[str, str]]],
    *,
    dry_run: bool = False,
) -> HouseholdImport:
    """Apply the file's households; RowsRefused (naming lines and columns) changes nothing.
    A dry run does the whole import and rolls it back, so it finds what the real one would."""
    found, errors = group_rows(rows)
    year = deps.clock.now().year
    for entry in found:
        try:
            entry.draft = check_draft(entry.draft, deps.care_groups, this_year=year, check=FIELDS)
        except InvalidArgument as exc:
            errors += [entry.locate(violation) for violation in exc.violations]
    if errors:
        raise RowsRefused(errors)
    outcomes = {"created": 0, "changed": 0, "unchanged": 0}
    with contextlib.suppress(_RolledBack):
        _write(sessions, deps, snapshot, found, outcomes, dry_run=dry_run)
    return HouseholdImport(**outcomes)


class _RolledBack(Exception):
    """Leaves a dry run's transaction, so nothing of it is written."""


def _write(
    sessions: SessionFactory,
    deps: HouseholdDeps,
    snapshot: GridSetSnapshot,
    found: list[HouseholdRows],
    outcomes: dict[str, int],
    *,
    dry_run: bool,
) -> None:
    errors: list[RowError] = []
    with transaction(sessions) as session:
        for entry in found:
            try:
                outcomes[_apply(session, deps, snapshot, entry)] += 1
            except InvalidArgument as exc:
                errors += [entry.locate(violation) for violation in exc.violations]
            except AlreadyExists as exc:
                field, _, problem = exc.message.partition(": ")
                errors.append(entry.locate(FieldViolation(field, problem)))
            except NotFound:
                errors.append(RowError(entry.first_line, "place_code", "no such building or unit"))
        if errors:
            raise RowsRefused(errors)  # leaves the transaction: nothing is written
        if dry_run:
            raise _RolledBack


def _apply(
    session: Session, deps: HouseholdDeps, snapshot: GridSetSnapshot, entry: HouseholdRows
) -> str:
    found = store.get_by_import_key(session, import_key=entry.key)
    if found is None:
        households.create(
            session,
            deps,
            snapshot,
            OPERATOR,
            draft=entry.draft,
            import_key=entry.key,
            check=FIELDS,
        )
        return "created"
    household_id, removed = found
    if removed:
        raise InvalidArgument.single("household_key", "that household was removed; use a new key")
    current = store.get(session, household_id=household_id, sealing=deps.sealing)
    assert current is not None
    draft = _keep_member_ids(current, entry.draft, deps)
    if _same(current, draft, deps):
        return "unchanged"
    households.change(
        session,
        deps,
        snapshot,
        OPERATOR,
        household_id=household_id,
        draft=draft,
        check=FIELDS,
    )
    return "changed"


def _keep_member_ids(
    current: Household, draft: HouseholdDraft, deps: HouseholdDeps
) -> HouseholdDraft:
    unused = list(current.members)
    members = []
    for member in draft.members:
        digest = deps.sealing.id_hash(member.id_number) if member.id_number else ""
        match = next(
            (
                old
                for old in unused
                if (digest and old.id_hash == digest)
                or (not digest and (old.name, old.birth_year) == (member.name, member.birth_year))
            ),
            None,
        )
        if match is not None:
            unused.remove(match)
            member = replace(member, member_id=match.member_id)
        members.append(member)
    return replace(draft, members=tuple(members))


def _same(current: Household, draft: HouseholdDraft, deps: HouseholdDeps) -> bool:
    if (current.place_code, current.address, current.unit) != (
        draft.place_code,
        draft.address,
        draft.unit,
    ):
        return False
    stored = [
        (m.member_id, m.name, m.phone, m.id_hash, m.birth_year, m.care_groups)
        for m in current.members
    ]
    given = [
        (
            m.member_id,
            m.name,
            m.phone,
            deps.sealing.id_hash(m.id_number) if m.id_number else "",
            m.birth_year,
            m.care_groups,
        )
        for m in draft.members
    ]
    return stored == given
