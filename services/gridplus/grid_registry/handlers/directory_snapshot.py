"""The directory of one grid-set version held in memory: its members and places per grid, loaded
with the grids (handlers/snapshots.py) so ListMembers and GetChain answer without a transaction.

Members and places are written only with their version (storage/repository.create: an import
writes a new version, and MembershipChanged is only ever published for one), so what a version
holds never changes. A server holding version N therefore answers exactly what reading version N
from the database answers; a membership change reaches every replica when its refresh loop swaps
in the new version, as the grids do (within GRIDPLUS_GRID_REGISTRY_REFRESH_SECONDS plus the load).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from gridplus.grid_registry.domain.members import Member, MemberRole
from gridplus.grid_registry.domain.places import Place
from gridplus.grid_registry.storage import repository

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


class DirectoryReader(Protocol):
    """The directory queries of one version, from memory or from the database."""

    def members(self, grid_code: str, role: MemberRole | None = None) -> list[Member]: ...
    def members_of_grids(self, grid_codes: Iterable[str]) -> dict[str, list[Member]]: ...
    def places(self, grid_code: str) -> list[Place]: ...


@dataclass(frozen=True)
class DirectorySnapshot:
    """Members per grid in role then person order, places per grid in code order: the orders
    the database gave when they were loaded. Callers get fresh lists; the tuples stay shared."""

    members_by_grid: Mapping[str, tuple[Member, ...]]
    places_by_grid: Mapping[str, tuple[Place, ...]]

    def members(self, grid_code: str, role: MemberRole | None = None) -> list[Member]:
        found = self.members_by_grid.get(grid_code, ())
        return list(found) if role is None else [m for m in found if m.role == role]

    def members_of_grids(self, grid_codes: Iterable[str]) -> dict[str, list[Member]]:
        return {code: list(self.members_by_grid.get(code, ())) for code in grid_codes}

    def places(self, grid_code: str) -> list[Place]:
        return list(self.places_by_grid.get(grid_code, ()))


@dataclass(frozen=True)
class StoredDirectory:
    """The same queries read from the database in `session`: for a GridSetSnapshot made without
    its directory (a hand-built one); a server's snapshots always hold theirs."""

    session: Session
    version: int

    def members(self, grid_code: str, role: MemberRole | None = None) -> list[Member]:
        return repository.get_members(
            self.session, version=self.version, grid_code=grid_code, role=role
        )

    def members_of_grids(self, grid_codes: Iterable[str]) -> dict[str, list[Member]]:
        return repository.get_members_of_grids(
            self.session, version=self.version, grid_codes=list(grid_codes)
        )

    def places(self, grid_code: str) -> list[Place]:
        return repository.get_places(self.session, version=self.version, grid_code=grid_code)


def load_directory(session: Session, version: int) -> DirectorySnapshot:
    """Every member and place of `version`, in the transaction that loads its grids."""
    people, places = repository.get_directory(session, version=version)
    return DirectorySnapshot(
        {code: tuple(found) for code, found in people.items()},
        {code: tuple(found) for code, found in places.items()},
    )
