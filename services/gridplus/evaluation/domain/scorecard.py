"""Scorecards: how well a worker, a grid, a department or the city served over a period.

Every number comes from per-petition facts that evaluation keeps from events (petition and
dispatch topics, and its own FollowUpCompleted); nothing asks another service's database. The
numbers are a pure function of those facts and the period, whatever order the events arrived
in, so a rebuild from the topics reproduces them exactly.

Attribution: a petition counts for the city, every grid on its path (a level-3 grid's petitions
roll up to its level-2 and level-1 grids), the department responsible for it and the worker who
handles it, as of its latest assignment or transfer. Whistle summons count for the whistle's
grids, the summoned department and the city.

Definitions, for a period [start, end) of whole UTC days (12345-hotline style):

- response rate (响应率) = responded_on_time / assigned. `assigned`: petitions first assigned in
  the period, merged duplicates excluded. `responded_on_time`: of those, the ones that left
  ASSIGNED (verified, rejected, resolved ...) no later than the verify-step deadline dispatch
  set (no deadline: any response counts). Petitions not answered yet count as not responded.
- on-time rate (按时办结率) = on_time / resolved. `resolved`: RESOLVED changes in the period,
  each handling round once (a reopened petition resolved again counts again). `on_time`: of
  those, rounds with no deadline breach (PetitionOverdue) between the round's start and its
  resolution. A round starts at the first assignment, or at the REOPENED change.
- resolution rate (解决率) = solved / answered_petitions. `answered_petitions`: petitions with
  a resident answer (SATISFIED or UNSATISFIED follow-up) completed in the period. `solved`: of
  those, the ones whose last answer in the period was SATISFIED. A petition is never solved
  without a follow-up; "no response" timeouts are neither solved nor unsolved.
- satisfaction rate (满意率) = satisfied / (satisfied + unsatisfied), over follow-up answers
  completed in the period: every answer counts, so an unsatisfied answer followed by a
  satisfied one after rework gives 1 of 2. NO_RESPONSE follow-ups are counted apart.
- handling time: from a round's start to its RESOLVED change, for the period's resolutions;
  the average and the 90th percentile (nearest rank) in seconds.
- reopen rate (返工率) = reopened / resolved: of the period's resolutions, those followed by a
  REOPENED change (unsatisfied follow-up or a manual reopen).
- overdue count: deadline breaches (PetitionOverdue) detected in the period.
- whistle report rate (报到率) = reported_on_time / summoned, over the department summons of
  whistles blown in the period.

- visit coverage (走访覆盖率) = households_visited / households and care-visit on-time rate
  (关爱走访及时率) = care_visits_on_time / care_visits_due: defined in domain/coverage.py.

A rate whose denominator is zero is reported as 0 with the zero denominator beside it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from enum import StrEnum

CITY = "city"


class SubjectKind(StrEnum):
    WORKER = "worker"
    GRID = "grid"
    DEPARTMENT = "department"
    CITY = "city"


@dataclass(frozen=True)
class Subject:
    kind: SubjectKind
    subject_id: str


class FollowUpOutcome(StrEnum):
    SATISFIED = "satisfied"
    UNSATISFIED = "unsatisfied"
    NO_RESPONSE = "no_response"


# Petition statuses by their proto names without prefix (petition.v1.PetitionStatus).
ASSIGNED = "ASSIGNED"
RESOLVED = "RESOLVED"
REOPENED = "REOPENED"
CLOSED = "CLOSED"


@dataclass(frozen=True)
class StatusChange:
    at: datetime
    from_status: str
    to_status: str


@dataclass(frozen=True)
class FollowUpFact:
    at: datetime
    outcome: FollowUpOutcome


@dataclass(frozen=True)
class PetitionHistory:
    """What evaluation knows of one petition; sequences sorted by time."""

    petition_id: str
    submitted_at: datetime | None = None
    assigned_at: datetime | None = None  # first assignment
    verify_deadline: datetime | None = None  # of the first assignment
    merged: bool = False
    changes: Sequence[StatusChange] = ()
    follow_ups: Sequence[FollowUpFact] = ()
    overdues: Sequence[datetime] = ()  # detected_at of each breach


@dataclass(frozen=True)
class WhistleSummons:
    """One department summoned by one whistle."""

    blown_at: datetime
    reported_on_time: bool


@dataclass(frozen=True)
class Window:
    """[start, end) in whole UTC days; date.min as start means from the beginning."""

    start: date
    end: date

    @property
    def start_at(self) -> datetime:
        return datetime.min.replace(tzinfo=UTC) if self.start == date.min else _midnight(self.start)

    @property
    def end_at(self) -> datetime:
        return _midnight(self.end)

    def holds(self, at: datetime | None) -> bool:
        return at is not None and self.start_at <= at < self.end_at


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, UTC)


@dataclass(frozen=True)
class Round:
    """One handling round: from its start (assignment or reopening) to a RESOLVED change."""

    started_at: datetime | None
    resolved_at: datetime
    on_time: bool
    reopened: bool

    @property
    def handling_seconds(self) -> float | None:
        if self.started_at is None:
            return None
        return max(0.0, (self.resolved_at - self.started_at).total_seconds())


@dataclass
class Scorecard:
    subject: Subject
    window: Window
    submitted: int = 0
    assigned: int = 0
    responded_on_time: int = 0
    resolved: int = 0
    on_time: int = 0
    closed: int = 0
    overdue: int = 0
    answered_petitions: int = 0
    solved: int = 0
    satisfied: int = 0
    unsatisfied: int = 0
    no_response: int = 0
    reopened: int = 0
    whistle_summoned: int = 0
    whistle_reported_on_time: int = 0
    households: int = 0
    households_visited: int = 0
    care_visits_due: int = 0
    care_visits_on_time: int = 0
    handling_seconds: list[float] = field(default_factory=list)

    @property
    def response_rate(self) -> float:
        return ratio(self.responded_on_time, self.assigned)

    @property
    def on_time_rate(self) -> float:
        return ratio(self.on_time, self.resolved)

    @property
    def resolution_rate(self) -> float:
        return ratio(self.solved, self.answered_petitions)

    @property
    def satisfaction_rate(self) -> float:
        return ratio(self.satisfied, self.satisfied + self.unsatisfied)

    @property
    def reopen_rate(self) -> float:
        return ratio(self.reopened, self.resolved)

    @property
    def whistle_report_rate(self) -> float:
        return ratio(self.whistle_reported_on_time, self.whistle_summoned)

    @property
    def visit_coverage(self) -> float:
        return ratio(self.households_visited, self.households)

    @property
    def care_visit_on_time_rate(self) -> float:
        return ratio(self.care_visits_on_time, self.care_visits_due)

    @property
    def average_handling_seconds(self) -> float:
        values = self.handling_seconds
        return math.fsum(values) / len(values) if values else 0.0

    @property
    def p90_handling_seconds(self) -> float:
        return percentile(self.handling_seconds, 0.9)


def ratio(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


def percentile(values: Sequence[float], share: float) -> float:
    """Nearest-rank percentile: the smallest value with at least `share` of values <= it."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def responded_at(history: PetitionHistory) -> datetime | None:
    """When the petition first left ASSIGNED."""
    return next((c.at for c in history.changes if c.from_status == ASSIGNED), None)


def rounds(history: PetitionHistory) -> list[Round]:
    """The petition's handling rounds, each ended by a RESOLVED change."""
    found: list[Round] = []
    started_at = history.assigned_at
    for change in history.changes:
        if change.to_status == RESOLVED:
            late = any(
                (started_at is None or started_at <= breach) and breach <= change.at
                for breach in history.overdues
            )
            found.append(Round(started_at, change.at, on_time=not late, reopened=False))
        elif change.to_status == REOPENED:
            if found and not found[-1].reopened:
                last = found[-1]
                found[-1] = Round(last.started_at, last.resolved_at, last.on_time, reopened=True)
            started_at = change.at
    return found


def add_petition(card: Scorecard, history: PetitionHistory) -> None:
    """Count one petition's facts that fall in the card's window."""
    window = card.window
    if window.holds(history.submitted_at):
        card.submitted += 1
    if window.holds(history.assigned_at) and not history.merged:
        card.assigned += 1
        answered = responded_at(history)
        deadline = history.verify_deadline
        if answered is not None and (deadline is None or answered <= deadline):
            card.responded_on_time += 1
    for handled in rounds(history):
        if window.holds(handled.resolved_at):
            card.resolved += 1
            card.on_time += handled.on_time
            card.reopened += handled.reopened
            seconds = handled.handling_seconds
            if seconds is not None:
                card.handling_seconds.append(seconds)
    card.closed += sum(1 for c in history.changes if c.to_status == CLOSED and window.holds(c.at))
    card.overdue += sum(1 for at in history.overdues if window.holds(at))
    _add_follow_ups(card, history.follow_ups)


def _add_follow_ups(card: Scorecard, follow_ups: Iterable[FollowUpFact]) -> None:
    last_answer: FollowUpOutcome | None = None
    for answer in follow_ups:
        if not card.window.holds(answer.at):
            continue
        if answer.outcome is FollowUpOutcome.NO_RESPONSE:
            card.no_response += 1
            continue
        last_answer = answer.outcome
        if answer.outcome is FollowUpOutcome.SATISFIED:
            card.satisfied += 1
        else:
            card.unsatisfied += 1
    if last_answer is not None:
        card.answered_petitions += 1
        card.solved += last_answer is FollowUpOutcome.SATISFIED


def add_whistle(card: Scorecard, summons: WhistleSummons) -> None:
    if card.window.holds(summons.blown_at):
        card.whistle_summoned += 1
        card.whistle_reported_on_time += summons.reported_on_time


def compute(
    subject: Subject,
    window: Window,
    histories: Iterable[PetitionHistory],
    whistles: Iterable[WhistleSummons] = (),
) -> Scorecard:
    card = Scorecard(subject=subject, window=window)
    for history in histories:
        add_petition(card, history)
    for summons in whistles:
        add_whistle(card, summons)
    return card
