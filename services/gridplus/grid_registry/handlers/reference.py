"""Use cases on the reference data: the category taxonomy, departments and responsibility.

Queries work on a `ReferenceSnapshot` held in memory (handlers/snapshots.py; the taxonomy is
small and read on every dispatch), so they never touch the database; `sync_reference_data`
writes the seed (storage/seed_files.py) through the caller's session.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from gridplus.grid_registry.domain.grids import UnknownGrid
from gridplus.grid_registry.domain.taxonomy import (
    Category,
    Responsibility,
    UnknownCategory,
)
from gridplus.grid_registry.handlers.snapshots import GridSetSnapshot, ReferenceSnapshot
from gridplus.grid_registry.storage import reference_repository
from gridplus.grid_registry.storage.seed_files import SEED_DIR, read_taxonomy, seed_fingerprint
from gridplus.kit.errors import InvalidArgument, NotFound

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


@dataclass(frozen=True)
class SyncOutcome:
    version: int
    changed: bool


def sync_reference_data(session: Session, directory: Path = SEED_DIR) -> SyncOutcome:
    """Make the stored reference data equal the seed files; nothing happens when it already is."""
    fingerprint = seed_fingerprint(directory)
    stored = reference_repository.reference_version(session)
    if stored is not None and stored[1] == fingerprint:
        return SyncOutcome(stored[0], False)
    version = reference_repository.replace_taxonomy(
        session, read_taxonomy(directory), fingerprint=fingerprint
    )
    return SyncOutcome(version, True)


def get_category(reference: ReferenceSnapshot, code: str) -> Category:
    if not code:
        raise InvalidArgument.single("code", "required")
    try:
        return reference.taxonomy.category(code)
    except UnknownCategory:
        raise NotFound(f"category {code!r} not found") from None


def resolve_responsibility(
    reference: ReferenceSnapshot,
    grids: GridSetSnapshot | None,
    *,
    category_code: str,
    grid_code: str,
) -> Responsibility:
    """The responsible department; grid_code may be empty (city-wide rules only)."""
    if not category_code:
        raise InvalidArgument.single("category_code", "required")
    try:
        reference.taxonomy.category(category_code)
    except UnknownCategory:
        raise InvalidArgument.single(
            "category_code", f"unknown category {category_code!r}"
        ) from None
    path: list[str] = []
    if grid_code:
        if grids is None:
            raise InvalidArgument.single("grid_code", "no grid set has been imported yet")
        try:
            path = grids.grids.path(grid_code)
        except UnknownGrid:
            raise InvalidArgument.single(
                "grid_code", f"unknown grid {grid_code!r} in grid set {grids.version}"
            ) from None
    found = reference.taxonomy.resolve(category_code, path)
    if found is None:
        where = f" in grid {grid_code!r}" if grid_code else ""
        raise NotFound(f"no responsibility rule covers category {category_code!r}{where}")
    return found
