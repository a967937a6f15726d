"""From audiences to people: ask the directory (remote) who they are and how to reach them.

Runs before the consumer's database transaction opens (kit Prepared), so no lock is held while
waiting on grid-registry or petition. One lookup caches each grid's chain it fetched.
"""

from __future__ import annotations

from collections.abc import Iterable

from gridplus.notification.domain.audience import (
    Audience,
    DepartmentPeople,
    GridChiefs,
    GridWorkers,
    Member,
    Person,
    Reporters,
)
from gridplus.notification.domain.notices import Recipient
from gridplus.notification.ports import RecipientDirectory

GRID_CHIEF = "grid_chief"
GRID_WORKER = "grid_worker"
DEPARTMENT_HEAD = "department_head"
DEPARTMENT_STAFF = "department_staff"


class RecipientLookup:
    def __init__(self, directory: RecipientDirectory) -> None:
        self._directory = directory
        self._chains: dict[str, list[Member]] = {}
        self._heads: dict[str, str] | None = None

    def recipients(self, audiences: Iterable[Audience]) -> list[Recipient]:
        """Everyone the audiences name, each once, in order; contacts where they are known."""
        found: dict[str, Recipient] = {}
        for audience in audiences:
            for recipient in self._resolve(audience):
                known = found.get(recipient.person_id)
                if known is None or (not known.email and not known.phone):
                    found[recipient.person_id] = recipient
        return list(found.values())

    def _resolve(self, audience: Audience) -> list[Recipient]:
        if isinstance(audience, Person):
            return [self._person(audience.person_id, audience.grid_code)]
        if isinstance(audience, GridChiefs | GridWorkers):
            role = GRID_CHIEF if isinstance(audience, GridChiefs) else GRID_WORKER
            chain = self._chain(audience.grid_code)
            return [
                _recipient(m) for m in chain if m.role == role and m.grid_code == audience.grid_code
            ]
        if isinstance(audience, DepartmentPeople):
            return self._department(audience)
        if isinstance(audience, Reporters):
            return [
                recipient
                for recipient, via_duplicate in self._directory.reporters(audience.petition_id)
                if via_duplicate or not audience.via_duplicate_only
            ]
        raise TypeError(f"unknown audience {audience!r}")

    def _person(self, person_id: str, grid_code: str) -> Recipient:
        for member in self._chain(grid_code) if grid_code else []:
            if member.person_id == person_id:
                return _recipient(member)
        return Recipient(person_id)  # contacts unknown: the inbox still reaches them

    def _department(self, audience: DepartmentPeople) -> list[Recipient]:
        chain = self._chain(audience.grid_code) if audience.grid_code else []
        roles = {DEPARTMENT_HEAD, DEPARTMENT_STAFF} if audience.staff else {DEPARTMENT_HEAD}
        people = [
            _recipient(m)
            for m in chain
            if m.department_code == audience.department_code and m.role in roles
        ]
        if self._heads is None:
            self._heads = self._directory.department_heads()
        head = self._heads.get(audience.department_code)
        if head and all(p.person_id != head for p in people):
            people.insert(0, self._person(head, audience.grid_code))
        return people

    def _chain(self, grid_code: str) -> list[Member]:
        if grid_code not in self._chains:
            self._chains[grid_code] = self._directory.chain(grid_code)
        return self._chains[grid_code]


def _recipient(member: Member) -> Recipient:
    return Recipient(member.person_id, member.email, member.phone, member.language)
