"""Whistles (吹哨报到): a grid summons departments to a petition; each must report in time.

Pure: instants are passed in. A report is due `report_minutes` after the whistle (wall-clock:
a summons does not wait for Monday); it lights like a petition's step (yellow with a quarter left).
The Whistle aggregate records its events (`WhistleBlown`, `WhistleReported`,
`WhistleReportOverdue`) as it changes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from gridplus.dispatch.domain.events import (
    DomainEvent,
    WhistleBlown,
    WhistleReported,
    WhistleReportOverdue,
)
from gridplus.dispatch.domain.places import GridPlace
from gridplus.dispatch.domain.time_limits import YELLOW_FRACTION, Light, light
from gridplus.kit.errors import FailedPrecondition, InvalidArgument, NotFound

MAX_DEPARTMENTS = 20


@dataclass(frozen=True)
class ReportDue:
    department_code: str
    deadline: datetime
    yellow_at: datetime


def summon(department_codes: list[str], blown_at: datetime, report_minutes: int) -> list[ReportDue]:
    """One report per distinct department, in the order named."""
    limit = timedelta(minutes=report_minutes)
    return [
        ReportDue(code, blown_at + limit, blown_at + limit * (1 - YELLOW_FRACTION))
        for code in dict.fromkeys(c.strip() for c in department_codes if c.strip())
    ]


def summons(
    department_codes: list[str], blown_at: datetime, report_minutes: int
) -> list[ReportDue]:
    """`summon`, refusing a whistle that names no department or too many."""
    due = summon(department_codes, blown_at, report_minutes)
    if not due:
        raise InvalidArgument.single("department_codes", "name at least one department")
    if len(due) > MAX_DEPARTMENTS:
        raise InvalidArgument.single("department_codes", f"at most {MAX_DEPARTMENTS}")
    return due


def arbitrator(refusals: int, grid_chiefs: list[str]) -> str:
    """Who settles a repeated refusal (the second and later): the grid chief, else an admin."""
    if refusals < 2:
        return ""
    return sorted(grid_chiefs)[0] if grid_chiefs else "admin"


@dataclass
class WhistleReport:
    """One summoned department's report (报到), due by `deadline`."""

    department_code: str
    deadline: datetime
    yellow_at: datetime
    reported_at: datetime | None = None
    reporter_id: str = ""
    note: str = ""
    breached: bool = False  # reported late (WhistleReportOverdue went out)

    def light(self, now: datetime) -> Light:
        """A report made shows red when it came late, else green; one owed lights as a step."""
        if self.reported_at is not None:
            return Light.RED if self.breached else Light.GREEN
        return light(self.deadline, self.yellow_at, now)


@dataclass
class Whistle:
    whistle_id: str
    petition_id: str
    blown_by: str
    reason: str
    blown_at: datetime
    reports: list[WhistleReport]
    events: list[DomainEvent] = field(default_factory=list, repr=False, compare=False)

    @classmethod
    def blow(
        cls,
        *,
        whistle_id: str,
        petition_id: str,
        grid: GridPlace,
        blown_by: str,
        due: list[ReportDue],
        reason: str,
        at: datetime,
    ) -> Whistle:
        whistle = cls(
            whistle_id=whistle_id,
            petition_id=petition_id,
            blown_by=blown_by,
            reason=reason,
            blown_at=at,
            reports=[WhistleReport(d.department_code, d.deadline, d.yellow_at) for d in due],
        )
        whistle.events.append(
            WhistleBlown(
                whistle_id=whistle_id,
                petition_id=petition_id,
                grid=grid,
                blown_by=blown_by,
                department_codes=tuple(d.department_code for d in due),
                reason=reason,
                blown_at=at,
                report_deadline=due[0].deadline,
            )
        )
        return whistle

    def report_of(self, department_code: str) -> WhistleReport | None:
        return next((r for r in self.reports if r.department_code == department_code), None)

    def report(self, *, department_code: str, reporter_id: str, note: str, at: datetime) -> bool:
        """The department reports; True when on time. Only a summoned department reports, once."""
        report = self.report_of(department_code) if department_code else None
        if report is None:
            raise NotFound(
                f"no whistle {self.whistle_id} summons department {department_code or '(none)'}"
            )
        if report.reported_at is not None:
            raise FailedPrecondition(f"department {department_code} has already reported")
        report.reported_at = at
        report.reporter_id = reporter_id
        report.note = note
        on_time = at <= report.deadline
        self.events.append(
            WhistleReported(
                whistle_id=self.whistle_id,
                petition_id=self.petition_id,
                department_code=department_code,
                reporter_id=reporter_id,
                note=note,
                reported_at=at,
                on_time=on_time,
            )
        )
        return on_time


def report_overdue(
    whistle_id: str, petition_id: str, report: WhistleReport, at: datetime
) -> WhistleReportOverdue:
    """A report not made by its deadline: reported late once, ever (`breached`)."""
    report.breached = True
    return WhistleReportOverdue(
        whistle_id, petition_id, report.department_code, report.deadline, at
    )
