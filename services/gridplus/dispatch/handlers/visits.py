"""Recording a household visit, and reading visits, photos, the diary and care clocks.

A visit is checked before the transaction opens: the household is the caller's (a grid worker
of its grid; anything else is NOT_FOUND), visited_at lies within the last 7 days, the GPS point
lies within the tolerance of the household's grid (grid-registry measures it), photos are
cleaned. Then one transaction stores the visit and its photos, restarts the household's care
clocks and records VisitRecorded in the outbox.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING

from gridplus.dispatch import metrics
from gridplus.dispatch.api.visit_convert import visit_recorded
from gridplus.dispatch.domain import visits as rules
from gridplus.dispatch.domain.access import Visibility
from gridplus.dispatch.domain.care import CareClock, check_visit
from gridplus.dispatch.domain.time_limits import Light
from gridplus.dispatch.domain.visits import Finding, Household, Visit
from gridplus.dispatch.ports import GridDirectory
from gridplus.dispatch.storage import care, visits
from gridplus.kit.clock import Clock
from gridplus.kit.db import after_commit
from gridplus.kit.errors import NotFound, PermissionDenied
from gridplus.kit.images import CleanPhoto
from gridplus.kit.outbox import Outbox
from gridplus.kit.roles import Principal, Role

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class VisitInput:
    """A visit as the worker sent it, its text already cleaned."""

    household_id: str
    visited_at: datetime | None
    location: tuple[float, float]
    notes: str
    findings: list[Finding]
    photos: list[CleanPhoto]


@dataclass(frozen=True)
class CheckedVisit:
    household: Household
    worker_id: str
    visited_at: datetime
    input: VisitInput
    distance_meters: float


def household_not_found(household_id: str) -> NotFound:
    """One answer for a household that does not exist and one outside the caller's grid."""
    return NotFound(f"household {household_id} is not in your grid")


class VisitRecorder:
    def __init__(
        self,
        *,
        directory: GridDirectory,
        outbox: Outbox,
        clock: Clock,
        tolerance_meters: float = 100.0,
        zone: str = "Asia/Shanghai",
    ) -> None:
        self._directory = directory
        self._outbox = outbox
        self._clock = clock
        self._tolerance = tolerance_meters
        self._zone = zone

    @property
    def clock(self) -> Clock:
        return self._clock

    def today(self) -> date:
        return date.fromisoformat(rules.local_day(self._clock.now(), self._zone))

    # -- before the transaction ------------------------------------------------------------

    def check(self, session: Session, principal: Principal, visit: VisitInput) -> CheckedVisit:
        """Scope, time and place; `session` only reads the household replica (the distance is
        asked of grid-registry after it, outside any write transaction)."""
        household = care.get_household(session, household_id=visit.household_id)
        mine = Visibility(grid_codes=principal.grid_codes)
        if (
            household is None
            or household.removed
            or principal.role is not Role.GRID_WORKER
            or not mine.covers(household.grid_path)
        ):
            raise household_not_found(visit.household_id)
        now = self._clock.now()
        visited_at = visit.visited_at or now
        rules.check_visited_at(visited_at, now)
        return CheckedVisit(household, principal.subject, visited_at, visit, 0.0)

    def measure(self, checked: CheckedVisit) -> CheckedVisit:
        grid = checked.household.grid_code
        distance = self._directory.distance_to_grid(grid, *checked.input.location)
        if distance is None:
            raise NotFound(f"grid {grid} of household {checked.household.household_id} is unknown")
        rules.check_distance(distance, self._tolerance, grid)
        return CheckedVisit(
            checked.household, checked.worker_id, checked.visited_at, checked.input, distance
        )

    # -- in the transaction ----------------------------------------------------------------

    def record(self, session: Session, checked: CheckedVisit) -> Visit:
        household, given = checked.household, checked.input
        visit_id = str(uuid.uuid4())
        clocks = care.clocks_of(session, household_id=household.household_id, lock=True)
        checks = tuple(check_visit(clock, checked.visited_at) for clock in clocks)
        for clock in clocks:
            care.save_clock(session, clock.visited(checked.visited_at))
        visit = Visit(
            visit_id=visit_id,
            household_id=household.household_id,
            grid_code=household.grid_code,
            grid_path=household.grid_path,
            worker_id=checked.worker_id,
            visited_at=checked.visited_at,
            location=given.location,
            distance_meters=checked.distance_meters,
            notes=given.notes,
            findings=rules.numbered(visit_id, given.findings),
            photo_count=len(given.photos),
            recorded_at=self._clock.now(),
            local_day=rules.local_day(checked.visited_at, self._zone),
            care_checks=checks,
        )
        visits.add(session, visit, given.photos)
        self._outbox.add(session, visit_recorded(visit), key=visit_id)
        level1 = household.grid_path[0] if household.grid_path else household.grid_code
        after_commit(session, lambda: metrics.VISITS_RECORDED.labels(level1).inc())
        log.info(
            "visit recorded",
            extra={"visit_id": visit_id, "household_id": household.household_id},
        )
        return visit


# -- reads ---------------------------------------------------------------------------------


def get_visit(session: Session, *, visit_id: str, visibility: Visibility) -> Visit:
    found = visits.get(session, visit_id=visit_id, visibility=visibility)
    if found is None:
        raise NotFound(f"visit {visit_id} not found")
    return found


def get_photo(session: Session, *, visit_id: str, index: int, visibility: Visibility) -> CleanPhoto:
    get_visit(session, visit_id=visit_id, visibility=visibility)
    row = visits.photo(session, visit_id=visit_id, seq=index)
    if row is None:
        raise NotFound(f"visit {visit_id} has no photo {index}")
    return CleanPhoto(row.content, row.media_type, row.digest)


def diary(
    session: Session, *, worker_id: str, days: tuple[date, date], visibility: Visibility
) -> list[tuple[str, list[Visit]]]:
    """(local day, visits in time order), newest day first; days without visits left out. A
    worker whose visits all lie outside the caller's grids is not the caller's to read."""
    worked_in = visits.worker_grid_paths(session, worker_id=worker_id)
    if worked_in and not any(visits.allows(visibility, worker_id, path) for path in worked_in):
        raise PermissionDenied(f"worker {worker_id} does not work in your grids")
    found = visits.diary(
        session,
        worker_id=worker_id,
        first_day=days[0].isoformat(),
        last_day=days[1].isoformat(),
        visibility=visibility,
    )
    grouped: dict[str, list[Visit]] = {}
    for visit in found:
        grouped.setdefault(visit.local_day, []).append(visit)
    return list(grouped.items())


def care_due(
    session: Session,
    *,
    now: datetime,
    grid_codes: Sequence[str] | None,
    light: Light | None,
    after: tuple[datetime, str] | None,
    limit: int,
) -> list[CareClock]:
    return care.list_due(
        session, now=now, grid_codes=grid_codes, light=light, after=after, limit=limit
    )
