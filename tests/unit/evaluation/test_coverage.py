"""Coverage, care visits, the star rule with them and the weekly digest, on hand-made facts:
the numbers a grid chief reads, pinned exactly."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from gridplus.evaluation.domain import coverage, digest, stars
from gridplus.evaluation.domain.coverage import (
    CareCheck,
    CareMiss,
    HouseholdVersion,
    Levels,
    Visit,
)
from gridplus.evaluation.domain.hotspots import PetitionPoint, periods_ending
from gridplus.evaluation.domain.periods import PeriodKind
from gridplus.evaluation.domain.scorecard import (
    PetitionHistory,
    Scorecard,
    StatusChange,
    Subject,
    SubjectKind,
    Window,
)
from gridplus.evaluation.domain.trends import RisingRule

MONDAY = datetime(2025, 3, 3, tzinfo=UTC)
WEEK = Window(date(2025, 3, 3), date(2025, 3, 10))
A: Levels = ("G1", "G1-1", "G1-1-A")
B: Levels = ("G1", "G1-1", "G1-1-B")
C: Levels = ("G2", "G2-1", "G2-1-C")
DAY = timedelta(days=1)


def household(
    hid: str, grids: Levels, *, version: int = 1, at: datetime = MONDAY - 30 * DAY, **kw: object
) -> HouseholdVersion:
    return HouseholdVersion(
        household_id=hid,
        version=version,
        grid_code=str(grids[2]),
        grids=grids,
        changed_at=at,
        removed=bool(kw.get("removed", False)),
        care_member_ids=frozenset(kw.get("care", ())),  # type: ignore[call-overload]
    )


def visit(vid: str, hid: str, grids: Levels, worker: str, at: datetime) -> Visit:
    return Visit(vid, hid, str(grids[2]), grids, worker, at)


def register() -> list[HouseholdVersion]:
    return [
        household("h1", A, care={"m1"}),
        household("h2", A),
        household("h3", A),
        household("h4", B),
        # h5 moved from A to C during the week: at the week's end it is C's.
        household("h5", A),
        household("h5", C, version=2, at=MONDAY + 2 * DAY),
        # h6 moved away during the week: it no longer counts (removed at its change time).
        household("h6", B),
        household("h6", B, version=2, at=MONDAY + 3 * DAY, removed=True),
        # h7 registered after the week: not yet there.
        household("h7", B, at=MONDAY + 8 * DAY),
    ]


def test_households_at_a_time_follow_the_newest_version_and_leave_when_removed() -> None:
    registered = coverage.registered_at(register(), WEEK.end_at)
    assert sorted(registered) == ["h1", "h2", "h3", "h4", "h5"]
    assert registered["h5"].grid_code == "G2-1-C"
    # Versions arriving in another order give the same state (newest version wins).
    assert coverage.registered_at(reversed(register()), WEEK.end_at) == registered
    before = coverage.registered_at(register(), MONDAY + DAY)
    assert sorted(before) == ["h1", "h2", "h3", "h4", "h5", "h6"]
    assert before["h5"].grid_code == "G1-1-A"


def test_coverage_per_grid_level_city_and_worker() -> None:
    registered = coverage.registered_at(register(), WEEK.end_at)
    visits = [
        visit("v1", "h1", A, "w-a", MONDAY + DAY),
        visit("v2", "h1", A, "w-a", MONDAY + 2 * DAY),  # the same household twice: once
        visit("v3", "h2", A, "w-b", MONDAY + DAY),
        visit("v4", "h6", B, "w-b", MONDAY + DAY),  # removed later in the week: not counted
        visit("v5", "h4", B, "w-b", MONDAY - DAY),  # the week before
    ]
    by_l3 = coverage.area_coverage(registered, visits, WEEK, lambda g: g[2])
    assert by_l3 == {"G1-1-A": (3, 2), "G1-1-B": (1, 0), "G2-1-C": (1, 0)}
    by_l1 = coverage.area_coverage(registered, visits, WEEK, lambda g: g[0])
    assert by_l1 == {"G1": (4, 2), "G2": (1, 0)}
    assert coverage.area_coverage(registered, visits, WEEK, lambda g: "city") == {"city": (5, 2)}
    # A worker: the households of the grids they visited, and those they visited themselves.
    by_worker = coverage.worker_coverage(registered, visits, WEEK)
    assert by_worker == {"w-a": (3, 1), "w-b": (4, 1)}


def check(member: str, due: datetime, on_time: bool, worker: str, at: datetime) -> CareCheck:
    return CareCheck(member, due, on_time, at, worker, A)


def test_a_care_visit_counts_at_its_due_time_and_a_missed_one_as_due_and_late() -> None:
    due1, due2, due3 = MONDAY + DAY, MONDAY + 3 * DAY, MONDAY + 5 * DAY
    checks = [
        check("m1", MONDAY - 6 * DAY, True, "w-a", MONDAY - 7 * DAY),  # the week before
        check("m1", due1, True, "w-a", due1 - timedelta(hours=2)),  # on time
        check("m2", due2, False, "w-b", due2 + DAY),  # late, after its overdue
    ]
    misses = [
        CareMiss("m2", due2, "h2", A),  # then visited late: one due, late
        CareMiss("m3", due3, "h3", A),  # never visited
        CareMiss("m1", due3, "h1", A),  # never visited: the previous visit's worker
    ]
    dues = coverage.care_dues(checks, misses)
    in_week = [d for d in dues if WEEK.holds(d.due_at)]
    assert [(d.member_id, d.on_time, d.worker_id) for d in in_week] == [
        ("m1", True, "w-a"),
        ("m1", False, "w-a"),
        ("m2", False, "w-b"),
        ("m3", False, None),
    ]
    assert coverage.care_tally(dues, WEEK, lambda d: d.grids[0]) == {"G1": (4, 1)}
    assert coverage.care_tally(dues, WEEK, lambda d: d.worker_id) == {"w-a": (2, 1), "w-b": (1, 0)}
    # The same facts in another order: the same dues.
    assert coverage.care_dues(reversed(checks), reversed(misses)) == dues


def test_care_visits_overdue_at_an_instant() -> None:
    versions = [
        household("h1", A, care={"m1"}),
        household("h2", A, care={"m2"}),
        household("h3", A, care={"m3"}),
        household("h3", A, version=2, at=MONDAY + 4 * DAY, care=set()),  # left the care group
    ]
    misses = [
        CareMiss("m1", MONDAY + DAY, "h1", A),
        CareMiss("m2", MONDAY + DAY, "h2", A),
        CareMiss("m3", MONDAY + DAY, "h3", A),
        CareMiss("m4", MONDAY + 2 * DAY, "h-unknown", B),  # household never seen: counts
    ]
    checks = [check("m2", MONDAY + DAY, False, "w-a", MONDAY + 2 * DAY)]  # visited late
    at_end = coverage.overdue_at(misses, checks, versions, WEEK.end_at)
    assert [m.member_id for m in at_end] == ["m1", "m4"]
    at_tuesday = coverage.overdue_at(misses, checks, versions, MONDAY + DAY + timedelta(hours=1))
    assert [m.member_id for m in at_tuesday] == ["m1", "m2", "m3"]


def card(**counts: int) -> Scorecard:
    result = Scorecard(Subject(SubjectKind.GRID, "G1"), WEEK)
    for name, value in counts.items():
        setattr(result, name, value)
    return result


def test_star_rule_counts_coverage_and_care_only_for_subjects_that_have_them() -> None:
    base = dict(satisfied=9, unsatisfied=1, resolved=10, on_time=8)  # 90 and 80
    without = stars.rate(card(**base), [70.0])
    assert without.points == round((90 * 40 + 80 * 30 + 70 * 30) / 100, 2)  # 81.0, not penalised
    with_households = stars.rate(card(**base, households=10, households_visited=5), [70.0])
    assert with_households.points == round((90 * 40 + 80 * 30 + 70 * 30 + 50 * 20) / 120, 2)
    full = stars.rate(
        card(**base, households=10, households_visited=10, care_visits_due=4,
             care_visits_on_time=4),
        [70.0],
    )  # fmt: skip
    assert full.points == round((90 * 40 + 80 * 30 + 70 * 30 + 100 * 20 + 100 * 20) / 140, 2)
    assert (without.stars, with_households.stars, full.stars) == (4, 3, 4)
    # Coverage alone rates a subject that has nothing else.
    assert stars.rate(card(households=4, households_visited=4), []).points == 100.0
    rule = stars.RULE.describe()
    assert "visit coverage x100 (weight 20" in rule and "on-time rate x100 (weight 20" in rule
    assert "renormalised" in rule and "not penalised" in rule


def point(
    pid: str, category: str, at: datetime, grids: Levels = A, lat: float = 0.0
) -> PetitionPoint:
    path = tuple(code for code in grids if code)
    return PetitionPoint(pid, 40.75 + lat, -73.98, category, path, at, "SUBMITTED")


def test_the_digest_of_a_grid_holds_its_subtree_week() -> None:
    rule = RisingRule()
    weeks = periods_ending(PeriodKind.WEEK, WEEK.start, rule.baseline + 1)
    points = [point(f"n{i}", "NOISE", MONDAY + timedelta(hours=i)) for i in range(6)]  # rising
    points += [point(f"r{w}", "ROADS", MONDAY - w * 7 * DAY + DAY, lat=w) for w in range(9)]
    points += [point(f"t{i}", "TREES", MONDAY + DAY, C, lat=i) for i in range(2)]
    points += [point("u", "", MONDAY + DAY)]  # uncategorised: not a top category
    histories = [
        (
            p.grid_path + (None,) * (3 - len(p.grid_path)),
            PetitionHistory(p.petition_id, submitted_at=p.submitted_at),
        )
        for p in points
        if WEEK.holds(p.submitted_at)
    ]
    closed = PetitionHistory(
        "old", submitted_at=MONDAY - 20 * DAY,
        changes=(StatusChange(MONDAY + DAY, "RESOLVED", "CLOSED"),),
    )  # fmt: skip
    histories.append((A, closed))
    versions = [household("h1", A), household("h2", A), household("h3", C)]
    facts = digest.DigestFacts(
        week=WEEK,
        weeks=weeks,
        histories=histories,
        points=points,
        versions=versions,
        visits=[visit("v1", "h1", A, "w-a", MONDAY + DAY)],
        dues=[],
        overdue=[CareMiss("m9", MONDAY + DAY, "h2", A)],
    )
    g1 = digest.build(facts, "G1", rule)
    assert (g1.submitted, g1.closed, g1.repeat_locations) == (8, 1, 1)  # six NOISE at one point
    assert [(c.category, c.count, c.previous, c.rising) for c in g1.top_categories] == [
        ("NOISE", 6, 0, True),
        ("ROADS", 1, 1, False),
    ]
    assert g1.visit_coverage == 0.5 and g1.care_on_time == -1.0 and g1.care_overdue == 1
    g2 = digest.build(facts, "G2", rule)
    assert (g2.submitted, g2.visit_coverage, g2.care_overdue) == (2, 0.0, 0)
    assert [c.category for c in g2.top_categories] == ["TREES"]
    assert {"G1", "G1-1", "G1-1-A", "G2", "G2-1", "G2-1-C"} <= facts.grids()
    quiet = digest.build(facts, "G3", rule)
    assert not quiet.active and quiet.top_categories == ()


def test_the_last_complete_week_is_the_iso_week_before_today() -> None:
    assert digest.last_complete_week(date(2025, 3, 10)) == WEEK  # a Monday
    assert digest.last_complete_week(date(2025, 3, 16)) == WEEK  # the Sunday after
    assert digest.week_of(date(2025, 3, 9)) == WEEK
