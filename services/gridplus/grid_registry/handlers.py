"""grid-registry's use cases. Imports take the caller's session (the unit of work); queries work
on a `GridSetSnapshot` held in memory, so locating a point never touches the database."""

from __future__ import annotations

import math
import time
from collections.abc import Iterable
from dataclasses import dataclass

from google.protobuf.timestamp_pb2 import Timestamp
from sqlalchemy.orm import Session

from gridplus.api.events.v1 import events_pb2
from gridplus.grid_registry import metrics
from gridplus.grid_registry.domain.fingerprint import content_fingerprint
from gridplus.grid_registry.domain.grids import (
    MAX_LEVEL,
    MIN_LEVEL,
    GridSet,
    GridSetInvalid,
    GridSpec,
    UnknownGrid,
)
from gridplus.grid_registry.domain.listing import Cursor, GridQuery, Page, page_of, select_grids
from gridplus.grid_registry.domain.locator import Locator
from gridplus.grid_registry.domain.members import (
    Member,
    MemberInvalid,
    MemberLike,
    MemberRole,
    check_members,
)
from gridplus.grid_registry.storage import repository
from gridplus.kit.clock import Clock
from gridplus.kit.errors import FieldViolation, InvalidArgument, NotFound
from gridplus.kit.outbox import Outbox

# All grid-set events share one key, so they stay in order on one partition.
GRID_SET_EVENT_KEY = "grid-set"
# Snapping is for GPS noise at a coastline or river, not for claiming far-away points.
MAX_TOLERANCE_METERS = 1000.0


@dataclass(frozen=True)
class GridSetSnapshot:
    """One version of the grids, ready to answer queries."""

    version: int
    grids: GridSet
    locator: Locator


@dataclass(frozen=True)
class ImportOutcome:
    version: int
    created: bool  # False: the current version already held exactly this data
    grid_count: int
    member_count: int


@dataclass(frozen=True)
class Located:
    grid: GridSpec
    path: list[str]
    ancestors: list[GridSpec]
    version: int
    snapped: bool
    distance_m: float


# -- import --------------------------------------------------------------------------------------


def import_grid_set(
    session: Session,
    specs: Iterable[GridSpec],
    members: Iterable[MemberLike],
    *,
    source: str,
    outbox: Outbox,
    clock: Clock,
) -> ImportOutcome:
    """Store the grids and members as a new version and record GridSetImported in the outbox.

    Identical content to the current version changes nothing and returns that version.
    """
    try:
        grid_set = GridSet(specs)
        people = check_members(grid_set, members)
    except GridSetInvalid as exc:
        raise InvalidArgument.single(f"grids[{exc.code}]", exc.reason) from exc
    except MemberInvalid as exc:
        raise InvalidArgument.single(f"members[{exc.person_id}]", exc.reason) from exc
    fingerprint = content_fingerprint(grid_set, people)
    repository.lock_for_import(session)
    current = repository.get_current(session)
    if current is not None and current.fingerprint == fingerprint:
        return ImportOutcome(current.version, False, current.grid_count, current.member_count)
    now = clock.now()
    version = repository.create(
        session,
        grid_set=grid_set,
        members=people,
        source=source,
        imported_at=now,
        fingerprint=fingerprint,
    )
    imported_at = Timestamp()
    imported_at.FromDatetime(now)
    event = events_pb2.GridSetImported(
        grid_set_version=version, grid_count=len(grid_set), imported_at=imported_at
    )
    outbox.add(session, event, key=GRID_SET_EVENT_KEY)
    return ImportOutcome(version, True, len(grid_set), len(people))


# -- loading -------------------------------------------------------------------------------------


def load_current(session: Session) -> GridSetSnapshot | None:
    """The newest version ready for queries, or None before the first import."""
    version = repository.current_version(session)
    return None if version is None else load_version(session, version)


def load_version(session: Session, version: int) -> GridSetSnapshot:
    grids = repository.get_grid_set(session, version=version)
    return GridSetSnapshot(version, grids, Locator.from_grid_set(grids))


# -- queries -------------------------------------------------------------------------------------


def locate(
    snapshot: GridSetSnapshot, *, lat: float, lon: float, tolerance_m: float = 0.0
) -> Located:
    """The level-3 grid containing the point; NotFound ("out of jurisdiction") when none does."""
    _check_point(lat, lon, tolerance_m)
    started = time.perf_counter()
    result = snapshot.locator.locate(lat, lon, tolerance_m=tolerance_m)
    outcome = (
        metrics.OUT_OF_JURISDICTION
        if result is None
        else metrics.SNAPPED
        if result.snapped
        else metrics.FOUND
    )
    metrics.LOCATE_SECONDS.labels(outcome).observe(time.perf_counter() - started)
    metrics.LOCATES.labels(outcome).inc()
    if result is None:
        within = f" within {tolerance_m:g} m" if tolerance_m > 0 else ""
        raise NotFound(f"out of jurisdiction: no grid contains ({lat}, {lon}){within}")
    grids = snapshot.grids
    return Located(
        grid=grids.get(result.code),
        path=grids.path(result.code),
        ancestors=grids.ancestors(result.code),
        version=snapshot.version,
        snapped=result.snapped,
        distance_m=result.distance_m,
    )


def get_grid(snapshot: GridSetSnapshot, code: str) -> GridSpec:
    if not code:
        raise InvalidArgument.single("code", "required")
    try:
        return snapshot.grids.get(code)
    except UnknownGrid:
        raise NotFound(f"grid {code!r} not found in grid set {snapshot.version}") from None


def list_grids(
    snapshot: GridSetSnapshot, query: GridQuery, *, after: Cursor | None, size: int
) -> Page:
    if query.level is not None and not MIN_LEVEL <= query.level <= MAX_LEVEL:
        raise InvalidArgument.single("level", "must be 1, 2 or 3 (0 for any level)")
    if query.parent_code is not None:
        get_grid(snapshot, query.parent_code)
    return page_of(select_grids(snapshot.grids, query), after=after, size=size)


def members(
    session: Session,
    snapshot: GridSetSnapshot,
    *,
    grid_code: str,
    role: MemberRole | None = None,
) -> list[Member]:
    """The people attached to a grid of the snapshot's version, optionally in one role."""
    if not grid_code:
        raise InvalidArgument.single("grid_code", "required")
    get_grid(snapshot, grid_code)
    return repository.get_members(session, version=snapshot.version, grid_code=grid_code, role=role)


def _check_point(lat: float, lon: float, tolerance_m: float) -> None:
    violations = []
    if not (math.isfinite(lat) and -90.0 <= lat <= 90.0):
        violations.append(FieldViolation("lat", f"must be a latitude within -90..90, got {lat}"))
    if not (math.isfinite(lon) and -180.0 <= lon <= 180.0):
        violations.append(FieldViolation("lon", f"must be a longitude within -180..180, got {lon}"))
    if not (math.isfinite(tolerance_m) and 0.0 <= tolerance_m <= MAX_TOLERANCE_METERS):
        violations.append(
            FieldViolation(
                "tolerance_meters",
                f"must be between 0 and {MAX_TOLERANCE_METERS:g} metres, got {tolerance_m}",
            )
        )
    if violations:
        raise InvalidArgument(violations)
