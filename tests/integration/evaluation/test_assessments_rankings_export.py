"""Assessments reach the outbox for the worker and grid chief; stars follow the published rule;
rankings per level; scorecards export as CSV and JSON (RPC and command); the rate gauges."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta

import grpc
import pytest
from prometheus_client import REGISTRY
from sqlalchemy import select

from gridplus.api.common.v1 import common_pb2
from gridplus.api.evaluation.v1 import evaluation_pb2 as pb
from gridplus.api.events.v1 import events_pb2
from gridplus.api.petition.v1 import petition_pb2
from gridplus.evaluation.jobs.rate_gauges import RateGauges
from gridplus.kit.auth import Role
from gridplus.kit.db import transaction
from gridplus.kit.tables import outbox_messages
from tests.integration.evaluation.conftest import START, Evaluation, as_caller, stamp

pytestmark = pytest.mark.integration

S = petition_pb2.PetitionStatus
INSPECTOR = as_caller("insp-1", Role.INSPECTOR)
STAFF = as_caller("head-1", Role.DEPARTMENT_HEAD)
MONTH = pb.PeriodSelector(kind=pb.PERIOD_KIND_MONTH)


def handled(evaluation: Evaluation, n: int, worker: str, grid: list[str], rating: int) -> None:
    """A petition routed to `worker`, resolved after 2 h and rated."""
    pid, at = f"p-{worker}-{n}", START + timedelta(minutes=n)
    evaluation.apply(
        events_pb2.PetitionSubmitted(
            petition_id=pid, reporter_id=f"r-{pid}", submitted_at=stamp(at)
        )
    )
    evaluation.apply(
        events_pb2.PetitionAssigned(
            petition_id=pid,
            grid=common_pb2.GridRef(code=grid[-1], level=3, path=grid),
            assignee_id=worker,
            department_code="D-ROADS",
            assigned_at=stamp(at),
            deadline=stamp(at + timedelta(hours=1)),
        )
    )
    for old, new, hours in (
        (S.PETITION_STATUS_ASSIGNED, S.PETITION_STATUS_VERIFIED, 0.5),
        (S.PETITION_STATUS_VERIFIED, S.PETITION_STATUS_RESOLVED, 2),
    ):
        evaluation.apply(
            events_pb2.PetitionStatusChanged(
                petition_id=pid,
                from_status=old,
                to_status=new,
                changed_at=stamp(at + timedelta(hours=hours)),  # type: ignore[arg-type]
            )
        )
    evaluation.clock.set(at + timedelta(hours=3))
    evaluation.api.RateFollowUp(
        pb.RateFollowUpRequest(petition_id=pid, rating=rating),
        metadata=as_caller(f"r-{pid}", Role.RESIDENT),
    )


GRID_A = ["G-01", "G-01-01", "G-01-01-01"]
GRID_B = ["G-02", "G-02-01", "G-02-01-01"]


def seed(evaluation: Evaluation) -> None:
    for n in range(4):
        handled(evaluation, n, "w-good", GRID_A, 5)
    for n in range(4):
        handled(evaluation, n, "w-mixed", GRID_B, 5 if n < 3 else 1)
    handled(evaluation, 9, "w-poor", GRID_B, 2)


def test_an_assessment_is_weighted_and_published_for_worker_and_chief(
    evaluation: Evaluation,
) -> None:
    recorded = evaluation.api.RecordAssessment(
        pb.RecordAssessmentRequest(
            worker_id="w-good",
            grid_code="G-01-01-01",
            listen_score=90,
            evaluate_score=80,
            look_score=70,
            discuss_score=60,
            secret=True,
            note="暗访",
        ),
        metadata=INSPECTOR,
    )
    assert recorded.score == 75.0  # equal weights by default
    with transaction(evaluation.sessions) as session:
        (row,) = session.execute(
            select(outbox_messages.c.key, outbox_messages.c.payload).where(
                outbox_messages.c.ce_type == "gridplus.events.v1.AssessmentRecorded"
            )
        ).all()
    event = events_pb2.AssessmentRecorded.FromString(row.payload)
    assert row.key == event.assessment_id == recorded.assessment_id
    assert (event.worker_id, event.grid_code, event.inspector_id, event.score, event.secret) == (
        "w-good",
        "G-01-01-01",
        "insp-1",
        75.0,
        True,
    )
    for forbidden in (Role.GRID_WORKER, Role.RESIDENT):
        with pytest.raises(grpc.RpcError) as refused:
            evaluation.api.RecordAssessment(
                pb.RecordAssessmentRequest(worker_id="w", grid_code="g"),
                metadata=as_caller("x", forbidden),
            )
        assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED
    with pytest.raises(grpc.RpcError) as invalid:
        evaluation.api.RecordAssessment(
            pb.RecordAssessmentRequest(worker_id="w", grid_code="g", listen_score=120),
            metadata=INSPECTOR,
        )
    assert invalid.value.code() == grpc.StatusCode.INVALID_ARGUMENT


def test_rankings_show_stars_by_the_visible_rule_per_level(evaluation: Evaluation) -> None:
    seed(evaluation)
    evaluation.api.RecordAssessment(
        pb.RecordAssessmentRequest(
            worker_id="w-mixed",
            grid_code=GRID_B[-1],
            listen_score=60,
            evaluate_score=60,
            look_score=60,
            discuss_score=60,
        ),
        metadata=INSPECTOR,
    )
    rule = evaluation.api.GetStarRule(
        pb.GetStarRuleRequest(), metadata=as_caller("r-1", Role.RESIDENT)
    ).rule
    assert "satisfaction rate" in rule and "5 from 90 points" in rule

    workers = evaluation.api.ListRankings(
        pb.ListRankingsRequest(kind=pb.SUBJECT_KIND_WORKER, period=MONTH), metadata=STAFF
    )
    assert workers.rule == rule
    ranked = [(e.rank, e.subject_id, e.stars, e.points) for e in workers.entries]
    # w-good: satisfaction 100, on time 100 -> 100 points. w-mixed: 75 x40 + 100 x30 + 60 x30
    # = 78 points. w-poor: 0 x40 + 100 x30 -> 42.86 points.
    assert ranked == [(1, "w-good", 5, 100.0), (2, "w-mixed", 3, 78.0), (3, "w-poor", 1, 42.86)]
    assert workers.excellent_ratio == pytest.approx(1 / 3)
    assert workers.entries[1].assessment_score == 60.0

    level1 = evaluation.api.ListRankings(
        pb.ListRankingsRequest(kind=pb.SUBJECT_KIND_GRID, grid_level=1, period=MONTH),
        metadata=STAFF,
    )
    assert [(e.subject_id, e.scorecard.satisfied_count) for e in level1.entries] == [
        ("G-01", 4),
        ("G-02", 3),
    ]
    with pytest.raises(grpc.RpcError) as no_level:
        evaluation.api.ListRankings(
            pb.ListRankingsRequest(kind=pb.SUBJECT_KIND_GRID, period=MONTH), metadata=STAFF
        )
    assert no_level.value.code() == grpc.StatusCode.INVALID_ARGUMENT


def test_a_periods_scorecards_export_as_csv_and_json(evaluation: Evaluation) -> None:
    seed(evaluation)
    exported = evaluation.api.ExportScorecards(
        pb.ExportScorecardsRequest(
            kind=pb.SUBJECT_KIND_GRID, grid_level=3, period=MONTH, format=pb.EXPORT_FORMAT_CSV
        ),
        metadata=STAFF,
    )
    assert exported.content_type == "text/csv"
    assert exported.file_name == "scorecards-grid-2025-03-01-2025-04-01.csv"
    rows = list(csv.DictReader(io.StringIO(exported.content.decode())))
    assert [(r["subject_id"], r["satisfied"], r["unsatisfied"]) for r in rows] == [
        ("G-01-01-01", "4", "0"),
        ("G-02-01-01", "3", "2"),
    ]
    assert rows[1]["satisfaction_rate"] == "0.6"
    as_json = evaluation.api.ExportScorecards(
        pb.ExportScorecardsRequest(
            kind=pb.SUBJECT_KIND_WORKER, period=MONTH, format=pb.EXPORT_FORMAT_JSON
        ),
        metadata=STAFF,
    )
    records = json.loads(as_json.content)
    assert [(r["subject_id"], r["resolved"], r["on_time_rate"]) for r in records] == [
        ("w-good", 4, 1.0),
        ("w-mixed", 4, 1.0),
        ("w-poor", 1, 1.0),
    ]
    with pytest.raises(grpc.RpcError) as resident:
        evaluation.api.ExportScorecards(
            pb.ExportScorecardsRequest(
                kind=pb.SUBJECT_KIND_CITY, period=MONTH, format=pb.EXPORT_FORMAT_CSV
            ),
            metadata=as_caller("r-1", Role.RESIDENT),
        )
    assert resident.value.code() == grpc.StatusCode.PERMISSION_DENIED


def test_gauges_carry_satisfaction_and_on_time_per_level1_grid_and_department(
    evaluation: Evaluation,
) -> None:
    seed(evaluation)
    RateGauges(evaluation.sessions, evaluation.clock, interval_seconds=60).refresh()

    def gauge(name: str, kind: str, subject: str) -> float | None:
        return REGISTRY.get_sample_value(name, {"kind": kind, "subject": subject})

    assert gauge("gridplus_evaluation_satisfaction_rate", "grid", "G-01") == 1.0
    assert gauge("gridplus_evaluation_satisfaction_rate", "grid", "G-02") == 0.6
    assert gauge("gridplus_evaluation_on_time_rate", "department", "D-ROADS") == 1.0
    assert gauge("gridplus_evaluation_answered_follow_ups", "department", "D-ROADS") == 9
