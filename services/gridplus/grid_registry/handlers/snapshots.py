"""What a running server answers from: the newest grid set and the reference data, each held in
memory by a kit `Snapshot` and swapped whole when a newer version is stored (an import or a seed
re-sync run by another process), so queries never wait on the database. The grid set's snapshot
carries its directory (handlers/directory_snapshot.py): grids, members and places of one version,
swapped together."""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from gridplus.grid_registry import metrics
from gridplus.grid_registry.domain.grids import MAX_LEVEL, MIN_LEVEL, GridSet
from gridplus.grid_registry.domain.locator import Locator
from gridplus.grid_registry.domain.taxonomy import Taxonomy
from gridplus.grid_registry.handlers.directory_snapshot import DirectorySnapshot, load_directory
from gridplus.grid_registry.storage import reference_repository, repository
from gridplus.kit.db import SessionFactory
from gridplus.kit.snapshot import Snapshot

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

NO_GRID_SET = (
    "no grid set has been imported yet; "
    "run `python -m gridplus.grid_registry load-demo` or `gridctl load-demo`"
)
NO_REFERENCE = "the reference data has not been seeded; run the migrations"


@dataclass(frozen=True)
class GridSetSnapshot:
    """One version of the grids, ready to answer queries, with its directory (members and
    places) when loaded from storage; without one, the directory is read from the database."""

    version: int
    grids: GridSet
    locator: Locator
    directory: DirectorySnapshot | None = None


@dataclass(frozen=True)
class ReferenceSnapshot:
    """One version of the taxonomy, departments and responsibility rules."""

    version: int
    taxonomy: Taxonomy


def grid_sets(sessions: SessionFactory, *, poll_seconds: float = 0.5) -> Snapshot[GridSetSnapshot]:
    """The newest grid set; its `run` (a ServiceApp loop) swaps in a newer one when it appears."""
    return Snapshot(
        sessions,
        name="grid set",
        version=repository.current_version,
        load=_load_newest,
        missing=NO_GRID_SET,
        on_swap=_observe,
        poll_seconds=poll_seconds,
    )


def references(
    sessions: SessionFactory, *, poll_seconds: float = 0.5
) -> Snapshot[ReferenceSnapshot]:
    """The reference data; reloaded when its stored version changes (load-demo re-synced it)."""
    return Snapshot(
        sessions,
        name="reference data",
        version=_reference_version,
        load=_load_reference,
        missing=NO_REFERENCE,
        poll_seconds=poll_seconds,
    )


def load_current(session: Session) -> GridSetSnapshot | None:
    """The newest version ready for queries, or None before the first import."""
    version = repository.current_version(session)
    return None if version is None else load_version(session, version)


def load_version(session: Session, version: int) -> GridSetSnapshot:
    grids = repository.get_grid_set(session, version=version)
    directory = load_directory(session, version)
    return GridSetSnapshot(version, grids, Locator.from_grid_set(grids), directory)


def load_reference(session: Session) -> ReferenceSnapshot | None:
    stored = reference_repository.reference_version(session)
    if stored is None:
        return None
    return ReferenceSnapshot(stored[0], reference_repository.load_taxonomy(session))


def _load_newest(session: Session) -> GridSetSnapshot:
    snapshot = load_current(session)
    if snapshot is None:  # Snapshot loads only once a version is stored
        raise LookupError(NO_GRID_SET)
    return snapshot


def _reference_version(session: Session) -> int | None:
    stored = reference_repository.reference_version(session)
    return None if stored is None else stored[0]


def _load_reference(session: Session) -> ReferenceSnapshot:
    snapshot = load_reference(session)
    if snapshot is None:
        raise LookupError(NO_REFERENCE)
    return snapshot


def _observe(snapshot: GridSetSnapshot) -> None:
    metrics.GRID_SET_VERSION.set(snapshot.version)
    for level in range(MIN_LEVEL, MAX_LEVEL + 1):
        metrics.GRIDS.labels(str(level)).set(len(snapshot.grids.at_level(level)))
    log.info(
        "serving grid set",
        extra={"grid_set_version": snapshot.version, "grid_count": len(snapshot.grids)},
    )
    _return_freed_memory()


def _return_freed_memory() -> None:
    """Hand the heap freed by the load (rows, WKB, the cell index's 65,536 boxes) back to the
    system: glibc keeps it otherwise, and it was a third of the idle process (issue 13)."""
    libc = ctypes.util.find_library("c")
    trim = getattr(ctypes.CDLL(libc), "malloc_trim", None) if libc else None
    if trim is not None:  # glibc only (not musl, not macOS)
        trim(0)
