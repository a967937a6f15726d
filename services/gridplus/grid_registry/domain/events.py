"""What an import causes, as plain values; api/convert.py turns them into gridplus.events.v1
messages once, at the edge (the outbox)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from gridplus.grid_registry.domain.members import Member, MemberRole


@dataclass(frozen=True)
class GridSetImported:
    version: int
    grid_count: int
    imported_at: datetime


@dataclass(frozen=True)
class MembershipChanged:
    """A person joined (removed=False) or left (removed=True) a grid in a role."""

    person_id: str
    grid_code: str
    role: MemberRole
    removed: bool
    changed_at: datetime


Event = GridSetImported | MembershipChanged


def membership_changes(
    before: set[tuple[str, str, str]], people: Iterable[Member], changed_at: datetime
) -> list[MembershipChanged]:
    """One event per (person, role, grid) that joined or left since `before` (the previous
    version's (person_id, role, grid_code) keys), in a stable order."""
    after = {(m.person_id, m.role.value, m.grid_code) for m in people}
    changes = [(key, False) for key in after - before] + [(key, True) for key in before - after]
    return [
        MembershipChanged(person_id, grid_code, MemberRole(role), removed, changed_at)
        for (person_id, role, grid_code), removed in sorted(changes)
    ]
