"""`python -m gridplus.petition import-history` against the running platform: a slice of the
2013 NYC 311 file becomes closed petitions in the demo city, their events reach evaluation (its
city scorecard counts them at their 311 times), and dispatch and notification consume them
without routing, clocks, inbox items or deliveries."""

from __future__ import annotations

import csv
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from google.protobuf.timestamp_pb2 import Timestamp
from sqlalchemy import create_engine, text

from gridplus.api.evaluation.v1 import evaluation_pb2, evaluation_pb2_grpc
from gridplus.api.petition.v1 import petition_pb2, petition_pb2_grpc
from gridplus.petition.domain.history_import import petition_id_for
from tests.e2e.client import channel, grpc_metadata
from tests.support.eventually import eventually
from tools.stack import LocalStack

pytestmark = pytest.mark.e2e

SOURCE = Path("/work/shared/data/nyc311_2013-12-25_nikeiubel.csv")
ROWS = 60  # a slice: the shared stack's other tests keep their own numbers


def stamp(at: datetime) -> Timestamp:
    result = Timestamp()
    result.FromDatetime(at)
    return result


def rows(database: Path, sql: str, **params: object) -> list[tuple[object, ...]]:
    engine = create_engine(f"sqlite:///{database}")
    try:
        with engine.connect() as connection:
            return [tuple(row) for row in connection.execute(text(sql), params)]
    finally:
        engine.dispose()


@pytest.mark.skipif(not SOURCE.exists(), reason="../shared/data is not on this machine")
def test_imported_history_is_counted_by_evaluation_and_starts_no_work(
    stack: LocalStack, tmp_path: Path
) -> None:
    with SOURCE.open(newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        head = [next(reader) for _ in range(ROWS + 1)]
    export = tmp_path / "slice.csv"
    with export.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(head)
    closed = [row[0] for row in head[1:] if row[19] == "Closed" and row[49]]

    command = [sys.executable, "-m", "gridplus.petition", "import-history", str(export)]
    done = subprocess.run(
        [*command, "--progress-every", "20"],
        env=stack.env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    print(done.stdout, done.stderr)
    assert done.returncode in (0, 2), done.stderr
    assert f"{ROWS} rows: {len(closed)} imported, 0 already imported" in done.stdout
    assert "rows/s" in done.stderr  # progress every 20 rows
    again = subprocess.run(command, env=stack.env(), capture_output=True, text=True, timeout=120)
    assert f"0 imported, {len(closed)} already imported" in again.stdout

    ids = [petition_id_for("nyc311", key) for key in closed]
    petitions = petition_pb2_grpc.PetitionServiceStub(channel(stack, "petition"))
    first = petitions.GetPetition(
        petition_pb2.GetPetitionRequest(id=ids[0]), metadata=grpc_metadata(stack), timeout=5
    ).petition
    assert first.status == petition_pb2.PETITION_STATUS_CLOSED
    assert first.created_at.ToDatetime(tzinfo=UTC) == datetime(2013, 12, 26, 4, 59, 8, tzinfo=UTC)
    assert first.grid.code and not first.assignee_id

    card = evaluation_pb2_grpc.EvaluationServiceStub(channel(stack, "evaluation"))
    request = evaluation_pb2.GetScorecardRequest(
        kind=evaluation_pb2.SUBJECT_KIND_CITY,
        start_time=stamp(datetime(2013, 12, 1, tzinfo=UTC)),
        end_time=stamp(datetime(2015, 1, 1, tzinfo=UTC)),  # some closed months later
    )

    def counted() -> evaluation_pb2.Scorecard | None:
        found = card.GetScorecard(request, metadata=grpc_metadata(stack), timeout=5).scorecard
        return found if found.closed_count == len(closed) else None

    scorecard = eventually(counted, "evaluation counting the imported petitions", timeout=60)
    assert scorecard.submitted_count == len(closed)
    assert scorecard.assigned_count == 0  # history is never counted as dispatch's work

    # Every imported event reached dispatch and notification, and neither did anything with it.
    marks = ",".join(f"'{petition_id}'" for petition_id in ids)
    events = {
        str(row[0])
        for row in rows(
            stack.var_dir / "petition.db",
            f"SELECT event_id FROM kit_outbox_messages WHERE key IN ({marks})",
        )
    }
    assert len(events) == 2 * len(closed)
    for service in ("dispatch", "notification"):

        def consumed(service: str = service) -> bool:
            seen = rows(
                stack.var_dir / f"{service}.db", "SELECT event_id FROM kit_processed_events"
            )
            return events <= {str(row[0]) for row in seen}

        eventually(consumed, f"{service} consuming the imported events", timeout=60)
    dispatch_db, notification_db = stack.var_dir / "dispatch.db", stack.var_dir / "notification.db"
    where = f"WHERE petition_id IN ({marks})"
    assert rows(dispatch_db, f"SELECT count(*) FROM assignments {where}") == [(0,)]
    assert rows(dispatch_db, f"SELECT count(*) FROM triage {where}") == [(0,)]
    for table in ("inbox_items", "deliveries"):
        assert rows(notification_db, f"SELECT count(*) FROM {table} {where}") == [(0,)]
