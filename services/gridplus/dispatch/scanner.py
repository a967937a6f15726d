"""The deadline scanner: finds newly overdue assignments from the scan index, reports each breach
once (PetitionOverdue, recorded in the same transaction, so a restart never repeats it), climbs
the escalation ladder, and refreshes the light counts the metrics show.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from gridplus.dispatch import convert, metrics
from gridplus.dispatch.directory import ChainLevel, GridDirectory
from gridplus.dispatch.domain.escalation import Ladder, Target, next_escalation
from gridplus.dispatch.domain.routing import AssigneeRole
from gridplus.dispatch.storage import repository
from gridplus.dispatch.storage.models import AssignmentRow
from gridplus.kit.clock import Clock
from gridplus.kit.db import SessionFactory, transaction
from gridplus.kit.outbox import Outbox

log = logging.getLogger(__name__)

BATCH = 500  # breaches per transaction: a backlog after an outage drains in bounded steps


@dataclass(frozen=True)
class TickResult:
    overdue: int
    escalated: int
    seconds: float


@dataclass(frozen=True)
class _Due:
    petition_id: str
    rung: int  # the rung to climb
    grid_code: str
    grid_path: tuple[str, ...]
    grid_set_version: int
    department_code: str
    deadline: datetime


class DeadlineScanner:
    def __init__(
        self,
        *,
        sessions: SessionFactory,
        outbox: Outbox,
        clock: Clock,
        directory: GridDirectory,
        ladder: Ladder,
        interval_seconds: float = 5.0,
        lights_interval_seconds: float = 15.0,
    ) -> None:
        self._sessions = sessions
        self._outbox = outbox
        self._clock = clock
        self._directory = directory
        self._ladder = ladder
        self._interval = interval_seconds
        self._lights_interval = lights_interval_seconds

    def run(self, stop: threading.Event) -> None:
        """The scan loop: newly overdue, escalations, late whistle reports."""
        self._loop(stop, self.tick, self._interval, "deadline scan failed")

    def run_lights(self, stop: threading.Event) -> None:
        """The light board loop, apart: a recount over every open assignment takes seconds at
        a million, and must not delay the scan."""
        self._loop(stop, self.refresh_lights, self._lights_interval, "light recount failed")

    @staticmethod
    def _loop(stop: threading.Event, step: Callable[[], object], every: float, oops: str) -> None:
        while not stop.is_set():
            try:
                step()
            except Exception:  # a database hiccup must not end the loop: the next round retries
                log.exception(oops)
            stop.wait(every)

    def tick(self) -> TickResult:
        started = time.perf_counter()
        now = self._clock.now()
        overdue = 0
        while True:
            found = self._report_overdue(now)
            overdue += found
            if found < BATCH:
                break
        escalated = self._escalate(now)
        self._report_late_whistles(now)
        elapsed = time.perf_counter() - started
        metrics.SCAN_SECONDS.observe(elapsed)
        return TickResult(overdue, escalated, elapsed)

    def _report_overdue(self, now: datetime) -> int:
        with transaction(self._sessions) as session:
            rows = repository.newly_overdue(session, now=now, limit=BATCH)
            for row in rows:
                due = next_escalation(self._ladder, 0, repository.utc(row.deadline))
                repository.record_breach(session, row, detected_at=now, next_escalation_at=due)
                self._outbox.add(session, convert.petition_overdue(row, now), key=row.petition_id)
                log.info(
                    "petition overdue",
                    extra={"petition_id": row.petition_id, "step": row.step},
                )
        if rows:
            metrics.OVERDUE_DETECTED.inc(len(rows))
        return len(rows)

    def _report_late_whistles(self, now: datetime) -> int:
        with transaction(self._sessions) as session:
            late = repository.newly_late_reports(session, now=now, limit=BATCH)
            for report, petition_id in late:
                report.breached = True  # with the outbox event: reported late once, ever
                message = convert.whistle_report_overdue(report, petition_id, now)
                self._outbox.add(session, message, key=petition_id)
            departments = [report.department_code for report, _ in late]
        for department in departments:
            metrics.WHISTLE_REPORTS_LATE.labels(department).inc()
        return len(departments)

    def _escalate(self, now: datetime) -> int:
        with transaction(self._sessions) as session:
            due = [_due(row) for row in repository.escalations_due(session, now=now, limit=BATCH)]
        if not due:
            return 0
        # Who to tell is asked of grid-registry outside any transaction (cached per grid).
        chains: dict[str, list[ChainLevel]] = {}
        people = [self._targets(item, chains) for item in due]
        climbed: list[int] = []
        with transaction(self._sessions) as session:
            for item, persons in zip(due, people, strict=True):
                following = next_escalation(self._ladder, item.rung, item.deadline)
                if not repository.climb(
                    session,
                    petition_id=item.petition_id,
                    rung=item.rung,
                    next_escalation_at=following,
                ):
                    continue  # another scanner climbed it first
                grid = convert.grid_ref_of(item.grid_code, item.grid_path, item.grid_set_version)
                message = convert.petition_escalated(
                    item.petition_id, grid, item.rung, persons, now
                )
                self._outbox.add(session, message, key=item.petition_id)
                climbed.append(item.rung)
        for rung in climbed:
            metrics.ESCALATIONS.labels(str(rung)).inc()
        return len(climbed)

    def _targets(self, item: _Due, chains: dict[str, list[ChainLevel]]) -> list[str]:
        targets = self._ladder[item.rung - 1].targets
        people: list[str] = []
        if _needs_chain(targets) and item.grid_code not in chains:
            chains[item.grid_code] = self._directory.chain(item.grid_code) or self._members_chain(
                item
            )
        by_level = {level.level: level for level in chains.get(item.grid_code, [])}
        for target in targets:
            if target is Target.GRID_CHIEF and 3 in by_level:
                people += by_level[3].chiefs
            elif target is Target.LEVEL2_CHIEF and 2 in by_level:
                people += by_level[2].chiefs
            elif target is Target.DEPARTMENT_HEAD and item.department_code:
                head = self._directory.department_head(item.department_code)
                if head:
                    people.append(head)
        return list(dict.fromkeys(people))

    def _members_chain(self, item: _Due) -> list[ChainLevel]:
        """The chiefs of the grid and its parent from ListMembers, where GetChain is not
        served."""
        levels = []
        for level, code in ((3, item.grid_code), (2, _parent(item.grid_path))):
            if code:
                chiefs = tuple(
                    m.person_id
                    for m in self._directory.members(code)
                    if m.role is AssigneeRole.GRID_CHIEF
                )
                levels.append(ChainLevel(code, level, chiefs))
        return levels

    def refresh_lights(self) -> None:
        with transaction(self._sessions) as session:
            now = self._clock.now()
            counts = repository.light_counts(session, now=now)
            whistles = repository.whistle_counts(session, now=now)
        metrics.LIGHTS.update(counts)
        metrics.LIGHTS.update_whistles(whistles)


def _parent(path: tuple[str, ...]) -> str:
    return path[-2] if len(path) >= 2 else ""


def _needs_chain(targets: tuple[Target, ...]) -> bool:
    return any(t in (Target.GRID_CHIEF, Target.LEVEL2_CHIEF) for t in targets)


def _due(row: AssignmentRow) -> _Due:
    return _Due(
        petition_id=row.petition_id,
        rung=row.escalation_rung + 1,
        grid_code=row.grid_code,
        grid_path=tuple(row.grid_path),
        grid_set_version=row.grid_set_version,
        department_code=row.department_code,
        deadline=repository.utc(row.deadline),
    )
