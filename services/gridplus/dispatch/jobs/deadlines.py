"""The deadline scanner: finds newly overdue assignments from the scan index, reports each breach
once (PetitionOverdue, recorded in the same transaction, so a restart never repeats it), climbs
the escalation ladder, and refreshes the light counts the metrics show.

Every replica runs the scanner: the rows it works on are locked and skipped by the others (FOR
UPDATE SKIP LOCKED), every report is a conditional update, so each breach, rung and late report is
published once. The light board is database-wide: only the replica holding `lights_lease`
exports it. A failed round (database down) is logged and retried next round.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from gridplus.dispatch import metrics
from gridplus.dispatch.domain.assignment import Assignment
from gridplus.dispatch.domain.escalation import Ladder, Target, next_escalation
from gridplus.dispatch.domain.events import PetitionEscalated
from gridplus.dispatch.domain.places import AssigneeRole, GridPlace
from gridplus.dispatch.domain.whistles import report_overdue
from gridplus.dispatch.handlers import publish
from gridplus.dispatch.ports import ChainLevel, GridDirectory
from gridplus.dispatch.storage import breaches, lights, whistles
from gridplus.kit.clock import Clock
from gridplus.kit.db import SessionFactory, transaction
from gridplus.kit.outbox import Outbox

log = logging.getLogger(__name__)

BATCH = 500  # breaches per transaction: a backlog after an outage drains in bounded steps


class Leadership(Protocol):
    """ "Only one replica does this" (the kit's Lease is one)."""

    @property
    def held(self) -> bool: ...

    def keep(self) -> bool: ...

    def release(self) -> None: ...


@dataclass(frozen=True)
class TickResult:
    overdue: int
    escalated: int
    seconds: float


@dataclass(frozen=True)
class _Due:
    petition_id: str
    rung: int  # the rung to climb
    grid: GridPlace
    department_code: str
    deadline: datetime

    @property
    def grid_code(self) -> str:
        return self.grid.code


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
        lights_lease: Leadership | None = None,
        board: metrics.LightBoard = metrics.LIGHTS,
    ) -> None:
        self._sessions = sessions
        self._outbox = outbox
        self._clock = clock
        self._directory = directory
        self._ladder = ladder
        self._interval = interval_seconds
        self._lights_interval = lights_interval_seconds
        self._lights_lease = lights_lease  # None: the only replica
        self._board = board
        if lights_lease is not None:
            board.gate(lambda: lights_lease.held)

    def run(self, stop: threading.Event) -> None:
        """The scan loop: newly overdue, escalations, late whistle reports."""
        self._loop(stop, self.tick, self._interval, "deadline scan failed")

    def run_lights(self, stop: threading.Event) -> None:
        """The light board loop, apart: a recount over every open assignment takes seconds at
        a million, and must not delay the scan."""
        self._loop(stop, self.refresh_lights, self._lights_interval, "light recount failed")
        if self._lights_lease is not None:  # hand the board over at once (a rollout)
            try:
                self._lights_lease.release()
            except Exception:  # the database is away: the lease expires by itself
                log.warning("light-board lease not released", exc_info=True)

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
            found = breaches.newly_overdue(session, now=now, limit=BATCH)
            for assignment in found:
                due = next_escalation(self._ladder, 0, assignment.deadline)
                assignment.mark_overdue(at=now, next_escalation_at=due)
                breaches.record(session, assignment, detected_at=now)
                publish(session, self._outbox, assignment.events)
                log.info(
                    "petition overdue",
                    extra={"petition_id": assignment.petition_id, "step": assignment.step.value},
                )
        if found:
            metrics.OVERDUE_DETECTED.inc(len(found))
        return len(found)

    def _report_late_whistles(self, now: datetime) -> int:
        with transaction(self._sessions) as session:
            late = whistles.newly_late_reports(session, now=now, limit=BATCH)
            departments = []
            for whistle_id, petition_id, report in late:
                # With the outbox event, by the transaction that marked it: late once, ever,
                # however many scanners run.
                overdue = report_overdue(whistle_id, petition_id, report, now)
                if not whistles.mark_late(session, whistle_id, report):
                    continue  # another scanner reported it, or the department just did
                publish(session, self._outbox, [overdue])
                departments.append(report.department_code)
        for department in departments:
            metrics.WHISTLE_REPORTS_LATE.labels(department).inc()
        return len(departments)

    def _escalate(self, now: datetime) -> int:
        with transaction(self._sessions) as session:
            due = [_due(a) for a in breaches.escalations_due(session, now=now, limit=BATCH)]
        if not due:
            return 0
        # Who to tell is asked of grid-registry outside any transaction (cached per grid).
        chains: dict[str, list[ChainLevel]] = {}
        people = [self._targets(item, chains) for item in due]
        climbed: list[int] = []
        with transaction(self._sessions) as session:
            for item, persons in zip(due, people, strict=True):
                following = next_escalation(self._ladder, item.rung, item.deadline)
                if not breaches.climb(
                    session,
                    petition_id=item.petition_id,
                    rung=item.rung,
                    deadline=item.deadline,
                    next_escalation_at=following,
                ):
                    continue  # another scanner climbed it first, or the clock moved
                escalated = PetitionEscalated(
                    item.petition_id, item.grid, item.rung, tuple(persons), now
                )
                publish(session, self._outbox, [escalated])
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
        for level, code in ((3, item.grid_code), (2, item.grid.parent_code)):
            if code:
                chiefs = tuple(
                    m.person_id
                    for m in self._directory.members(code)
                    if m.role is AssigneeRole.GRID_CHIEF
                )
                levels.append(ChainLevel(code, level, chiefs))
        return levels

    def refresh_lights(self) -> bool:
        """Recount the light board if this replica exports it; whether it did."""
        if self._lights_lease is not None and not self._lights_lease.keep():
            self._board.clear()  # another replica exports the database-wide counts
            return False
        with transaction(self._sessions) as session:
            now = self._clock.now()
            counts = lights.light_counts(session, now=now)
            owed = lights.whistle_counts(session, now=now)
        self._board.update(counts)
        self._board.update_whistles(owed)
        return True


def _needs_chain(targets: tuple[Target, ...]) -> bool:
    return any(t in (Target.GRID_CHIEF, Target.LEVEL2_CHIEF) for t in targets)


def _due(assignment: Assignment) -> _Due:
    return _Due(
        petition_id=assignment.petition_id,
        rung=assignment.escalation_rung + 1,
        grid=assignment.grid,
        department_code=assignment.department_code,
        deadline=assignment.deadline,
    )
