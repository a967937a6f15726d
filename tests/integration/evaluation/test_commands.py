"""The operator commands: `python -m gridplus.evaluation export ...` and `rebuild`."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from gridplus.api.common.v1 import common_pb2
from gridplus.api.events.v1 import events_pb2
from gridplus.evaluation.__main__ import main
from gridplus.evaluation.messaging.consumers import HANDLERS
from gridplus.kit.db import transaction
from gridplus.kit.events import Event
from tests.conftest import JWT_SECRET
from tests.integration.evaluation.conftest import MIGRATIONS, stamp
from tests.support.broker import Broker
from tests.support.store import migrated_store

pytestmark = pytest.mark.integration

AT = datetime(2025, 3, 4, 9, tzinfo=UTC)


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, broker: Broker) -> str:
    url = f"sqlite:///{tmp_path}/evaluation.db"
    monkeypatch.setenv("GRIDPLUS_JWT_SECRET", JWT_SECRET)
    monkeypatch.setenv("GRIDPLUS_EVALUATION_DATABASE_URL", url)
    monkeypatch.setenv("GRIDPLUS_KAFKA_BOOTSTRAP_SERVERS", broker.bootstrap)
    monkeypatch.setenv("GRIDPLUS_VAR_DIR", str(tmp_path))
    return url


def test_export_writes_a_periods_scorecards(
    env: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with migrated_store(env, MIGRATIONS) as store, transaction(store.sessions) as session:
        payload = events_pb2.PetitionAssigned(
            petition_id="p-1",
            grid=common_pb2.GridRef(
                code="G-01-01-01", level=3, path=["G-01", "G-01-01", "G-01-01-01"]
            ),
            assignee_id="w-1",
            assigned_at=stamp(AT),
        )
        HANDLERS[payload.DESCRIPTOR.full_name](
            session, Event.create(payload, key="p-1", source="/t", time=AT)
        )  # type: ignore[operator]

    main(["export", "--kind", "grid", "--level", "1", "--period", "month", "--date", "2025-03-04"])
    csv_text = capsys.readouterr().out
    assert csv_text.splitlines()[0].startswith("kind,subject_id,start,end,submitted,assigned")
    assert csv_text.splitlines()[1].startswith("grid,G-01,2025-03-01,2025-04-01,0,1,")

    out = tmp_path / "workers.json"
    main(
        [
            "export",
            "--kind",
            "worker",
            "--from",
            "2025-03-04",
            "--to",
            "2025-03-05",
            "--format",
            "json",
            "--output",
            str(out),
        ]
    )
    (record,) = json.loads(out.read_text())
    assert (record["subject_id"], record["assigned"], record["start"]) == ("w-1", 1, "2025-03-04")


def test_rebuild_migrates_and_replays_the_topics(
    env: str, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["rebuild"])
    assert capsys.readouterr().out.startswith("replayed ")
    main(["rebuild"])  # again: everything is a duplicate now
    line = capsys.readouterr().out
    assert " 0 applied" in line
