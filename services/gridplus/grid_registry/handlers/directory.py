"""The directory: who serves a grid and the organisation chain above it, with contacts only
where the caller may see them (domain/directory.py). Members and places are those of the
version of the grid set the server holds, from its in-memory directory
(handlers/directory_snapshot.py), or from storage in `session` for a snapshot without one."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from gridplus.grid_registry.domain import directory
from gridplus.grid_registry.domain.grids import GridSpec
from gridplus.grid_registry.domain.members import Member, MemberRole
from gridplus.grid_registry.domain.places import Place
from gridplus.grid_registry.handlers.directory_snapshot import DirectoryReader, StoredDirectory
from gridplus.grid_registry.handlers.grids import get_grid
from gridplus.grid_registry.handlers.snapshots import GridSetSnapshot
from gridplus.kit.errors import InvalidArgument, NotFound
from gridplus.kit.roles import Principal

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


@dataclass(frozen=True)
class ChainStep:
    """One level of an organisation chain: a grid, its people and (for a smallest grid) its
    buildings and units."""

    grid: GridSpec
    members: list[Member]
    places: list[Place]


def members(
    session: Session | None,
    snapshot: GridSetSnapshot,
    *,
    grid_code: str,
    role: MemberRole | None = None,
    viewer: Principal,
) -> list[Member]:
    """The people attached to a grid of the snapshot's version, optionally in one role, with
    contacts only where `viewer` may see them (domain/directory.py)."""
    if not grid_code:
        raise InvalidArgument.single("grid_code", "required")
    _readable_grid(snapshot, grid_code, viewer)
    found = reader(snapshot, session).members(grid_code, role)
    return directory.as_seen_by(viewer, found, snapshot.grids)


def chain(
    session: Session | None, snapshot: GridSetSnapshot, *, grid_code: str, viewer: Principal
) -> list[ChainStep]:
    """The organisation chain of a grid: every level from level 1 down to it, with its people
    (contacts as `viewer` may see them); the smallest grid also lists its buildings and units."""
    spec = _readable_grid(snapshot, grid_code, viewer)
    path = snapshot.grids.path(spec.code)
    stored = reader(snapshot, session)
    people = stored.members_of_grids(path)
    places = stored.places(spec.code)
    return [
        ChainStep(
            snapshot.grids.get(code),
            directory.as_seen_by(viewer, people[code], snapshot.grids),
            places if code == spec.code else [],
        )
        for code in path
    ]


def reader(snapshot: GridSetSnapshot, session: Session | None) -> DirectoryReader:
    """The snapshot's own directory, or storage in `session` for a snapshot made without one
    (needs_session says which)."""
    if snapshot.directory is not None:
        return snapshot.directory
    if session is None:
        raise ValueError("a grid-set snapshot without its directory needs a session to read it")
    return StoredDirectory(session, snapshot.version)


def needs_session(snapshot: GridSetSnapshot) -> bool:
    return snapshot.directory is None


def _readable_grid(snapshot: GridSetSnapshot, grid_code: str, viewer: Principal) -> GridSpec:
    """The grid, if `viewer` may read its directory; off their line, the unknown grid's answer
    (NOT_FOUND, same words), so a grid's people cannot be probed from another grid."""
    spec = get_grid(snapshot, grid_code)
    if not directory.may_read_grid(viewer, spec.code, snapshot.grids):
        raise NotFound(f"grid {grid_code!r} not found in grid set {snapshot.version}")
    return spec
