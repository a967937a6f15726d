"""grid-registry's use cases. Imports take the caller's session (the unit of work); queries work
on a `GridSetSnapshot` held in memory, so locating a point never touches the database."""

from __future__ import annotations

import math
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from google.protobuf.timestamp_pb2 import Timestamp
from sqlalchemy.orm import Session

from gridplus.api.events.v1 import events_pb2
from gridplus.grid_registry import metrics
from gridplus.grid_registry.domain import directory
from gridplus.grid_registry.domain.coverage import CoverageReport, check_coverage
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
from gridplus.grid_registry.domain.locator import InvalidCoordinates, Locator
from gridplus.grid_registry.domain.members import (
    Member,
    MemberInvalid,
    MemberLike,
    MemberRole,
    check_members,
)
from gridplus.grid_registry.domain.places import Place, PlaceInvalid, check_places
from gridplus.grid_registry.protos import ROLE_TO_PROTO
from gridplus.grid_registry.storage import repository
from gridplus.kit.auth import Principal
from gridplus.kit.clock import Clock
from gridplus.kit.errors import FieldViolation, InvalidArgument, NotFound
from gridplus.kit.outbox import Outbox
from gridplus.kit.text import clean_text

# All grid-set events share one key, so they stay in order on one partition.
GRID_SET_EVENT_KEY = "grid-set"
# One batch message's cap: ~1.6 MB of coordinates, answered in well under a second.
MAX_BATCH_POINTS = 100_000
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
    # Computed for a new version; None when nothing was imported (or coverage was not asked for).
    coverage: CoverageReport | None = None
    # MembershipChanged events written for this import (joins and leaves since the last version).
    membership_changes: int = 0


@dataclass(frozen=True)
class ChainStep:
    """One level of an organisation chain: a grid, its people and (for a smallest grid) its
    buildings and units."""

    grid: GridSpec
    members: list[Member]
    places: list[Place]


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
    places: Iterable[Place] = (),
    check: bool = True,
) -> ImportOutcome:
    """Store grids, places and members as a new version, all or nothing, and record
    GridSetImported plus a MembershipChanged per join and leave since the previous version.

    Everything is validated before the first write, so bad input leaves the registry unchanged.
    With `check`, the new version's coverage report (gaps, overlaps) comes back in the outcome:
    it informs, it does not refuse (real city data has real exceptions, e.g. Marble Hill).
    Identical content to the current version changes nothing and returns that version.
    """
    grid_set, checked_places, people = validate_grid_set(specs, members, places)
    fingerprint = content_fingerprint(grid_set, people, checked_places)
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
        places=tuple(checked_places),
    )
    changed_at = Timestamp()
    changed_at.FromDatetime(now)
    event = events_pb2.GridSetImported(
        grid_set_version=version, grid_count=len(grid_set), imported_at=changed_at
    )
    outbox.add(session, event, key=GRID_SET_EVENT_KEY)
    # The first import has no "before": consumers read its members with ListMembers/GetChain,
    # rather than thousands of join events.
    changes = (
        []
        if current is None
        else _membership_changes(
            repository.all_member_keys(session, version=current.version), people, changed_at
        )
    )
    for change in changes:
        outbox.add(session, change, key=GRID_SET_EVENT_KEY)
    coverage = check_coverage(grid_set) if check else None
    return ImportOutcome(version, True, len(grid_set), len(people), coverage, len(changes))


def validate_grid_set(
    specs: Iterable[GridSpec], members: Iterable[MemberLike], places: Iterable[Place] = ()
) -> tuple[GridSet, list[Place], list[Member]]:
    """The hierarchy, places and members checked together; InvalidArgument names the offender."""
    specs, places, members = list(specs), list(places), list(members)
    _check_text(specs, places, members)
    try:
        grid_set = GridSet(specs)
        checked_places = check_places(grid_set, places)
        people = check_members(grid_set, members, checked_places)
    except GridSetInvalid as exc:
        raise InvalidArgument.single(f"grids[{exc.code}]", exc.reason) from exc
    except PlaceInvalid as exc:
        raise InvalidArgument.single(f"places[{exc.code}]", exc.reason) from exc
    except MemberInvalid as exc:
        raise InvalidArgument.single(f"members[{exc.person_id}]", exc.reason) from exc
    return grid_set, checked_places, people


def _check_text(
    specs: Sequence[GridSpec], places: Sequence[Place], members: Sequence[MemberLike]
) -> None:
    """Names and codes reach staff screens and public views: control and bidi characters are
    refused (kit.text), so an import cannot make one name read as another."""
    for index, spec in enumerate(specs):
        clean_text(spec.code, field=f"grids[{index}].code")
        clean_text(spec.name, field=f"grids[{spec.code}].name")
        clean_text(spec.parent_code or "", field=f"grids[{spec.code}].parent_code")
    for index, place in enumerate(places):
        clean_text(place.code, field=f"places[{index}].code")
        clean_text(place.name, field=f"places[{place.code}].name")
    for index, member in enumerate(members):
        clean_text(member.person_id, field=f"members[{index}].person_id")
        for name in _MEMBER_TEXT:
            value = getattr(member, name, "")
            if isinstance(value, str):
                clean_text(value, field=f"members[{member.person_id}].{name}")


# Member attributes shown to people (MemberLike's optional ones read when present).
_MEMBER_TEXT = ("display_name", "email", "phone", "language", "department_code", "place_code")


def _membership_changes(
    before: set[tuple[str, str, str]], people: list[Member], changed_at: Timestamp
) -> list[events_pb2.MembershipChanged]:
    """One event per (person, role, grid) that joined or left, in a stable order."""
    after = {(m.person_id, m.role.value, m.grid_code) for m in people}
    changes = [(key, False) for key in after - before] + [(key, True) for key in before - after]
    return [
        events_pb2.MembershipChanged(
            person_id=person_id,
            grid_code=grid_code,
            role=ROLE_TO_PROTO[MemberRole(role)],
            removed=removed,
            changed_at=changed_at,
        )
        for (person_id, role, grid_code), removed in sorted(changes)
    ]


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


def locate_batch(
    snapshot: GridSetSnapshot,
    lats: Sequence[float],
    lons: Sequence[float],
    *,
    tolerance_m: float = 0.0,
) -> tuple[list[str], list[bool]]:
    """Smallest-grid codes ("" = out of jurisdiction) and snapped flags for a batch of points."""
    if len(lats) != len(lons):
        raise InvalidArgument.single(
            "lons", f"needs one longitude per latitude: got {len(lons)} for {len(lats)}"
        )
    if len(lats) > MAX_BATCH_POINTS:
        raise InvalidArgument.single(
            "lats", f"at most {MAX_BATCH_POINTS:,} points per message, got {len(lats):,}"
        )
    _check_point(0.0, 0.0, tolerance_m)
    try:
        codes, snapped = snapshot.locator.locate_batch(
            np.asarray(lats, dtype=float), np.asarray(lons, dtype=float), tolerance_m=tolerance_m
        )
    except InvalidCoordinates as exc:
        raise InvalidArgument.single("lats", str(exc)) from exc
    found = [code or "" for code in codes.tolist()]
    misses = found.count("")
    flags = snapped.tolist()
    snaps = sum(flags)
    metrics.LOCATES.labels(metrics.OUT_OF_JURISDICTION).inc(misses)
    metrics.LOCATES.labels(metrics.SNAPPED).inc(snaps)
    metrics.LOCATES.labels(metrics.FOUND).inc(len(found) - misses - snaps)
    return found, flags


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
    viewer: Principal,
) -> list[Member]:
    """The people attached to a grid of the snapshot's version, optionally in one role, with
    contacts only where `viewer` may see them (domain/directory.py)."""
    if not grid_code:
        raise InvalidArgument.single("grid_code", "required")
    get_grid(snapshot, grid_code)
    found = repository.get_members(
        session, version=snapshot.version, grid_code=grid_code, role=role
    )
    return directory.as_seen_by(viewer, found, snapshot.grids)


def chain(
    session: Session, snapshot: GridSetSnapshot, *, grid_code: str, viewer: Principal
) -> list[ChainStep]:
    """The organisation chain of a grid: every level from level 1 down to it, with its people
    (contacts as `viewer` may see them); the smallest grid also lists its buildings and units."""
    spec = get_grid(snapshot, grid_code)
    path = snapshot.grids.path(spec.code)
    people = repository.get_members_of_grids(session, version=snapshot.version, grid_codes=path)
    places = repository.get_places(session, version=snapshot.version, grid_code=spec.code)
    return [
        ChainStep(
            snapshot.grids.get(code),
            directory.as_seen_by(viewer, people[code], snapshot.grids),
            places if code == spec.code else [],
        )
        for code in path
    ]


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
