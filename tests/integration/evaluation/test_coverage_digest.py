"""Households, visits and care visits fed as grid-registry and dispatch would publish them, read
back over a real gRPC server on SQLite and PostgreSQL: coverage and on-time care visits on
scorecards, rankings and the export; the weekly digest job publishing once per grid and week
however often and on however many replicas it runs; GetGridDigest equal to what was published,
and refused outside the caller's grids; the coverage CSV command."""

from __future__ import annotations

import csv
import io
import threading
from datetime import UTC, datetime, timedelta

import grpc
import pytest
from google.protobuf.message import Message
from sqlalchemy import select

from gridplus.api.common.v1 import common_pb2
from gridplus.api.evaluation.v1 import evaluation_pb2 as pb
from gridplus.api.events.v1 import events_pb2
from gridplus.evaluation import cli
from gridplus.evaluation.domain.digest import week_of
from gridplus.evaluation.handlers import digests
from gridplus.evaluation.jobs.grid_digests import GridDigests
from gridplus.kit.auth import Role
from gridplus.kit.db import transaction
from gridplus.kit.lease import Lease
from gridplus.kit.outbox import Outbox
from gridplus.kit.tables import outbox_messages
from gridplus.kit.topology import events_topic
from tests.integration.evaluation.conftest import Evaluation, as_caller, stamp

pytestmark = pytest.mark.integration

MONDAY = datetime(2025, 3, 3, tzinfo=UTC)  # the week of conftest's START
NEXT_WEEK = MONDAY + timedelta(days=8, hours=6)
H, D = timedelta(hours=1), timedelta(days=1)
A = ["G-01", "G-01-01", "G-01-01-01"]
B = ["G-01", "G-01-01", "G-01-01-02"]
C = ["G-02", "G-02-01", "G-02-01-01"]
ADMIN = as_caller("admin-1", Role.ADMIN)
DIGEST_TYPE = events_pb2.GridDigestReady.DESCRIPTOR.full_name


def household(
    hid: str, path: list[str], version: int = 1, care: tuple[str, ...] = (), removed: bool = False
) -> events_pb2.HouseholdChanged:
    at = MONDAY - 20 * D if version == 1 else MONDAY + 3 * D
    return events_pb2.HouseholdChanged(
        household_id=hid,
        grid_code=path[-1],
        place_code=f"{path[-1]}-B1",
        care_members=[
            events_pb2.CareMemberRef(
                member_id=m, care_groups=["ELDERLY_ALONE"], visit_interval_days=7
            )
            for m in care
        ],
        member_count=2,
        removed=removed,
        changed_at=stamp(at),
        version=version,
    )


def visited(
    vid: str, hid: str, path: list[str], worker: str, at: datetime, *checks: tuple[str, datetime]
) -> events_pb2.VisitRecorded:
    return events_pb2.VisitRecorded(
        visit_id=vid,
        household_id=hid,
        grid_code=path[-1],
        worker_id=worker,
        visited_at=stamp(at),
        care_visits=[
            events_pb2.CareVisitCheck(member_id=m, due_at=stamp(due), on_time=at <= due)
            for m, due in checks
        ],
    )


def petition(pid: str, path: list[str], at: datetime, category: str) -> list[Message]:
    return [
        events_pb2.PetitionSubmitted(
            petition_id=pid,
            category=category,
            location=common_pb2.GeoPoint(lat=40.75, lon=-73.98),
            submitted_at=stamp(at),
        ),
        events_pb2.PetitionAssigned(
            petition_id=pid,
            grid=common_pb2.GridRef(code=path[-1], level=3, path=path),
            assignee_id="w-a",
            department_code="D-ROADS",
            category=category,
            assigned_at=stamp(at + H),
        ),
    ]


def feed(evaluation: Evaluation) -> None:
    """A's four households (one moved away), B's two, C's one; w-a visits two in A (m1 on
    time), w-b one in B (m2 late); m3 in C is never visited (CareVisitOverdue)."""
    events: list[Message] = [
        *petition("p-1", A, MONDAY + 9 * H, "NOISE"),
        *petition("p-2", B, MONDAY + 10 * H, "NOISE"),
        *petition("p-3", C, MONDAY + 11 * H, "ROADS"),
        household("hA1", A, care=("m1",)),
        household("hA2", A),
        household("hA3", A),
        household("hA4", A),
        household("hA4", A, version=2, removed=True),
        household("hB1", B, care=("m2",)),
        household("hB2", B),
        household("hC1", C, care=("m3",)),
        visited("v1", "hA1", A, "w-a", MONDAY + D, ("m1", MONDAY + 2 * D)),
        visited("v2", "hA2", A, "w-a", MONDAY + D + H),
        visited("v3", "hB1", B, "w-b", MONDAY + 3 * D, ("m2", MONDAY + 2 * D)),
        events_pb2.CareVisitOverdue(
            member_id="m3",
            household_id="hC1",
            grid_code=C[-1],
            care_groups=["ELDERLY_ALONE"],
            due_at=stamp(MONDAY + 2 * D),
            detected_at=stamp(MONDAY + 2 * D + H),
        ),
    ]
    for payload in events:
        evaluation.apply(payload)


def card(evaluation: Evaluation, kind: int, subject: str, metadata: list = ADMIN) -> pb.Scorecard:
    request = pb.GetScorecardRequest(
        kind=kind,
        subject_id=subject,
        period=pb.PeriodSelector(kind=pb.PERIOD_KIND_WEEK, anchor_time=stamp(MONDAY)),
    )
    return evaluation.api.GetScorecard(request, metadata=metadata).scorecard


def numbers(found: pb.Scorecard) -> tuple[int, int, float, int, int, float]:
    return (
        found.households_count,
        found.households_visited_count,
        round(found.visit_coverage, 4),
        found.care_visits_due_count,
        found.care_visits_on_time_count,
        found.care_visit_on_time_rate,
    )


def test_scorecards_show_coverage_and_on_time_care_visits(evaluation: Evaluation) -> None:
    feed(evaluation)
    grid, worker = pb.SUBJECT_KIND_GRID, pb.SUBJECT_KIND_WORKER
    assert numbers(card(evaluation, grid, A[-1])) == (3, 2, 0.6667, 1, 1, 1.0)
    assert numbers(card(evaluation, grid, B[-1])) == (2, 1, 0.5, 1, 0, 0.0)
    assert numbers(card(evaluation, grid, "G-01")) == (5, 3, 0.6, 2, 1, 0.5)
    assert numbers(card(evaluation, grid, C[-1])) == (1, 0, 0.0, 1, 0, 0.0)
    assert numbers(card(evaluation, pb.SUBJECT_KIND_CITY, "")) == (6, 3, 0.5, 3, 1, 1 / 3)
    assert numbers(card(evaluation, worker, "w-a")) == (3, 2, 0.6667, 1, 1, 1.0)
    assert numbers(card(evaluation, worker, "w-b")) == (2, 1, 0.5, 1, 0, 0.0)
    assert numbers(card(evaluation, pb.SUBJECT_KIND_DEPARTMENT, "D-ROADS")) == (0,) * 5 + (0.0,)
    # The grid chief of G-01 reads w-b's card: w-b visits households under G-01.
    chief = as_caller("chief-1", Role.GRID_CHIEF, ("G-01",))
    assert card(evaluation, worker, "w-b", chief).households_count == 2

    period = pb.PeriodSelector(kind=pb.PERIOD_KIND_WEEK, anchor_time=stamp(MONDAY))
    ranking = evaluation.api.ListRankings(
        pb.ListRankingsRequest(kind=grid, grid_level=3, period=period), metadata=ADMIN
    )
    points = {e.subject_id: (e.points, e.stars) for e in ranking.entries}
    # Nothing else rated: coverage (weight 20) and care on time (weight 20) alone.
    assert points[A[-1]] == (round((200 / 3 * 20 + 100 * 20) / 40, 2), 4)
    assert points[C[-1]] == (0.0, 1)  # households never visited, a care visit missed
    assert "visit coverage" in ranking.rule

    export = evaluation.api.ExportScorecards(
        pb.ExportScorecardsRequest(
            kind=grid, grid_level=1, period=period, format=pb.EXPORT_FORMAT_CSV
        ),
        metadata=ADMIN,
    )
    rows = {r["subject_id"]: r for r in csv.DictReader(io.StringIO(export.content.decode()))}
    assert rows["G-01"]["households"] == "5" and rows["G-01"]["visit_coverage"] == "0.6"
    assert rows["G-02"]["care_visits_due"] == "1" and rows["G-02"]["care_visits_on_time"] == "0"


def job(evaluation: Evaluation, holder: str) -> GridDigests:
    outbox = Outbox(events_topic("evaluation"), "/gridplus/evaluation", evaluation.clock)
    lease = Lease(
        evaluation.sessions,
        "evaluation-grid-digests",
        holder,
        timedelta(minutes=2),
        evaluation.clock,
    )
    return GridDigests(evaluation.sessions, outbox, evaluation.clock, lease, interval_seconds=60)


def published(evaluation: Evaluation) -> dict[str, list[events_pb2.GridDigestReady]]:
    found: dict[str, list[events_pb2.GridDigestReady]] = {}
    with transaction(evaluation.sessions) as session:
        rows = session.execute(
            select(outbox_messages.c.key, outbox_messages.c.payload).where(
                outbox_messages.c.ce_type == DIGEST_TYPE
            )
        ).all()
    for key, payload in rows:
        found.setdefault(key, []).append(events_pb2.GridDigestReady.FromString(payload))
    return found


def test_the_weekly_digest_is_published_once_per_grid_and_week(evaluation: Evaluation) -> None:
    feed(evaluation)
    evaluation.clock.set(MONDAY + 5 * D)  # the week has not ended: nothing yet
    first = job(evaluation, "replica-a")
    assert first.run_once() == 0 and published(evaluation) == {}
    evaluation.clock.set(MONDAY + 7 * D + timedelta(minutes=30))  # ended, within the grace hour
    assert first.run_once() == 0 and published(evaluation) == {}
    evaluation.clock.set(NEXT_WEEK)
    assert first.run_once() == 7  # every level of A, B and C's paths
    assert first.run_once() == 0  # a second round
    second = job(evaluation, "replica-b")
    assert second.run_once() == 0  # the first replica holds the lease
    evaluation.clock.advance(timedelta(minutes=5))  # the lease expired: a restarted pod
    assert job(evaluation, "replica-c").run_once() == 0  # takes it, finds every digest out
    out = published(evaluation)
    assert sorted(out) == sorted({*A, *B, *C})
    assert all(len(found) == 1 for found in out.values())

    g01 = out["G-01"][0]
    assert (g01.petitions_submitted, g01.petitions_closed, g01.care_visits_overdue) == (2, 0, 0)
    assert [(c.category, c.count, c.previous_count) for c in g01.top_categories] == [
        ("NOISE", 2, 0)
    ]
    assert g01.visit_coverage == 0.6 and g01.care_visits_on_time == 0.5
    assert g01.period_start.ToDatetime(UTC) == MONDAY
    assert out["G-02"][0].care_visits_overdue == 1 and out["G-02"][0].care_visits_on_time == 0.0


def test_a_replica_that_lost_the_lease_publishes_nothing(evaluation: Evaluation) -> None:
    feed(evaluation)
    evaluation.clock.set(NEXT_WEEK)
    stalled = job(evaluation, "replica-a")
    assert stalled._lease.keep()
    evaluation.clock.advance(timedelta(minutes=5))  # it stalled past its ttl
    assert job(evaluation, "replica-b")._lease.keep()  # another replica took the lease
    assert stalled.tick() == 0  # its renewal fails: it stands back
    assert published(evaluation) == {}


def test_two_replicas_racing_on_one_grid_publish_it_once(evaluation: Evaluation) -> None:
    feed(evaluation)
    outbox = Outbox(events_topic("evaluation"), "/gridplus/evaluation", evaluation.clock)
    week = week_of(MONDAY.date())
    with transaction(evaluation.sessions) as session:
        found = next(d for d in digests.due_digests(session, week) if d.grid_code == "G-01")
    start = threading.Barrier(2)
    answers: list[bool] = []

    def replica() -> None:
        start.wait()
        with transaction(evaluation.sessions) as session:
            answers.append(digests.publish(session, outbox, found, evaluation.clock.now()))

    threads = [threading.Thread(target=replica) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(answers) == [False, True]
    assert len(published(evaluation)["G-01"]) == 1


def digest_of(evaluation: Evaluation, grid: str, metadata: list, anchor: bool = True) -> Message:
    request = pb.GetGridDigestRequest(grid_code=grid)
    if anchor:
        request.anchor_time.CopyFrom(stamp(MONDAY + 2 * D))
    return evaluation.api.GetGridDigest(request, metadata=metadata).digest


def test_get_grid_digest_equals_the_published_one_in_the_callers_grids(
    evaluation: Evaluation,
) -> None:
    feed(evaluation)
    evaluation.clock.set(NEXT_WEEK)
    job(evaluation, "replica-a").run_once()
    out = published(evaluation)
    for grid in ("G-01", A[-1], C[-1]):
        assert digest_of(evaluation, grid, ADMIN) == out[grid][0]
    # Unset anchor: the last complete week.
    assert digest_of(evaluation, "G-01", ADMIN, anchor=False) == out["G-01"][0]
    # A level-1 chief reads every grid of the subtree; a worker their own grid.
    chief = as_caller("chief-1", Role.GRID_CHIEF, ("G-01",))
    assert digest_of(evaluation, B[-1], chief) == out[B[-1]][0]
    inspector = as_caller("insp-1", Role.INSPECTOR)
    assert digest_of(evaluation, C[-1], inspector) == out[C[-1]][0]
    worker = as_caller("w-a", Role.GRID_WORKER, (A[-1],))
    refused = [
        (worker, C[-1]),
        (worker, "G-01"),  # the grid above theirs
        (chief, C[-1]),
        (as_caller("r-1", Role.RESIDENT), A[-1]),
        (as_caller("d-1", Role.DEPARTMENT_HEAD, department="D-ROADS"), A[-1]),
    ]
    for caller, grid in refused:
        with pytest.raises(grpc.RpcError) as denied:
            digest_of(evaluation, grid, caller)
        assert denied.value.code() is grpc.StatusCode.PERMISSION_DENIED, (grid, caller)
    with pytest.raises(grpc.RpcError) as bad:
        digest_of(evaluation, "", ADMIN)
    assert bad.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert "grid_code" in str(bad.value.details())
    # A quiet grid nothing is known of: zeros, care on time -1 (none due).
    quiet = digest_of(evaluation, "G-09", ADMIN)
    assert quiet.petitions_submitted == 0 and quiet.care_visits_on_time == -1.0


def test_the_coverage_command_writes_csv(
    evaluation: Evaluation,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    feed(evaluation)
    monkeypatch.setenv("GRIDPLUS_EVALUATION_DATABASE_URL", database_url)
    argv = ["coverage", "--kind", "grid", "--level", "3", "--period", "week"]
    assert cli.main([*argv, "--date", "2025-03-05", "--grid", "G-01"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [(r["subject_id"], r["households"], r["households_visited"]) for r in rows] == [
        (A[-1], "3", "2"),
        (B[-1], "2", "1"),
    ]
    assert list(rows[0])[:4] == ["kind", "subject_id", "start", "end"]
    assert (
        cli.main(["coverage", "--kind", "worker", "--from", "2025-03-03", "--to", "2025-03-10"])
        == 0
    )
    workers = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [(r["subject_id"], r["care_visits_on_time"]) for r in workers] == [
        ("w-a", "1"),
        ("w-b", "0"),
    ]
    assert cli.main(["coverage", "--kind", "worker", "--grid", "G-01"]) == 1
    assert "grid" in capsys.readouterr().err
