"""The weekly grid digest (domain/digest.py): built from the facts for one grid on request
(GetGridDigest) or for every grid with activity by the weekly job, which publishes each as
GridDigestReady through the outbox once per grid and week (storage/digests.py)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from gridplus.evaluation.api.digest_convert import digest_payload
from gridplus.evaluation.domain import coverage, digest
from gridplus.evaluation.domain.access import check_digest_access
from gridplus.evaluation.domain.hotspots import periods_ending
from gridplus.evaluation.domain.periods import PeriodKind
from gridplus.evaluation.domain.scorecard import Subject, SubjectKind, Window
from gridplus.evaluation.domain.trends import RisingRule
from gridplus.evaluation.storage import digests, households, petition_points, queries
from gridplus.kit.errors import InvalidArgument
from gridplus.kit.outbox import Outbox
from gridplus.kit.roles import Principal

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

RULE = RisingRule()  # the hot-spot rule's defaults: 8 weeks of baseline, alpha 0.01


def facts(
    session: Session, week: Window, rule: RisingRule = RULE, *, grid_code: str = ""
) -> digest.DigestFacts:
    """Everything the week's digests need: every grid at once, or (`grid_code`) only what lies
    in that grid's subtree, which gives that grid the same digest."""
    weeks = periods_ending(PeriodKind.WEEK, week.start, rule.baseline + 1)
    known = households.grid_levels(session)
    end = week.end_at
    within = households.subtree(grid_code, known) if grid_code else None
    subject = Subject(SubjectKind.GRID, grid_code) if grid_code else None
    misses = households.care_misses(session, None, end, known, within)
    members = {m.member_id for m in misses}
    checks = households.care_checks(session, week, known, members, grid_codes=within)
    versions = households.household_versions(session, end, known, within)
    dues = coverage.care_dues(checks, [m for m in misses if week.holds(m.due_at)])
    return digest.DigestFacts(
        week=week,
        weeks=weeks,
        histories=[(a.grids, a.history) for a in queries.histories(session, week, subject)],
        points=petition_points.load(
            session, since=weeks[0].start_at, until=end, grid_code=grid_code
        ),
        versions=versions,
        visits=households.visits(session, week, known, within),
        dues=[d for d in dues if week.holds(d.due_at)],
        overdue=coverage.overdue_at(misses, checks, versions, end),
    )


def grid_digest(
    session: Session, reader: Principal, grid_code: str, week: Window
) -> digest.GridDigest:
    """One grid's digest, for grid staff of its subtree, inspectors and admins; a grid nothing
    is known of gives zeros (as its scorecard would)."""
    if not grid_code:
        raise InvalidArgument.single("grid_code", "name the grid")
    placed = queries.placed_in(session, Subject(SubjectKind.GRID, grid_code))
    check_digest_access(reader, placed)
    return digest.build(facts(session, week, grid_code=grid_code), grid_code, RULE)


def due_digests(session: Session, week: Window) -> list[digest.GridDigest]:
    """The week's digests of grids with activity not yet published, by grid code."""
    found = facts(session, week)
    done = digests.published(session, week.start_at)
    built = (digest.build(found, code, RULE) for code in sorted(found.grids() - done))
    return [d for d in built if d.active]


def publish(session: Session, outbox: Outbox, found: digest.GridDigest, at: datetime) -> bool:
    """GridDigestReady into the outbox, unless this grid's week was published already (by an
    earlier round or another replica); True when this call published it."""
    start = found.week.start_at
    if not digests.claim(session, grid_code=found.grid_code, period_start=start, at=at):
        return False
    event_id = outbox.add(session, digest_payload(found), key=found.grid_code)
    digests.set_event_id(session, grid_code=found.grid_code, period_start=start, event_id=event_id)
    return True
