"""The operator commands: `python -m gridplus.evaluation export ...` and `rebuild`, which read
only the settings they use (export: the database's; rebuild: the database's and the broker's)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from gridplus.api.common.v1 import common_pb2
from gridplus.api.events.v1 import events_pb2
from gridplus.evaluation.__main__ import main
from gridplus.evaluation.messaging.consumers import HANDLERS
from gridplus.kit.db import transaction
from gridplus.kit.events import Event
from tests.integration.evaluation.conftest import MIGRATIONS, stamp
from tests.support.broker import Broker
from tests.support.store import migrated_store

pytestmark = pytest.mark.integration

AT = datetime(2025, 3, 4, 9, tzinfo=UTC)


def without_gridplus_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("GRIDPLUS_"):
            monkeypatch.delenv(name)


@pytest.fixture
def database(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    """Only the database setting: no JWT secret, no broker, no ports."""
    without_gridplus_settings(monkeypatch)
    url = f"sqlite:///{tmp_path}/evaluation.db"
    monkeypatch.setenv("GRIDPLUS_EVALUATION_DATABASE_URL", url)
    return url


@pytest.fixture
def env(database: str, monkeypatch: pytest.MonkeyPatch, broker: Broker) -> str:
    """The database and the broker: what rebuild reads (still no JWT secret)."""
    monkeypatch.setenv("GRIDPLUS_KAFKA_BOOTSTRAP_SERVERS", broker.bootstrap)
    return database


def test_export_writes_a_periods_scorecards(
    database: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with migrated_store(database, MIGRATIONS) as store, transaction(store.sessions) as session:
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


def test_export_runs_as_the_readme_writes_it_with_only_the_database_setting(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path}/evaluation.db"
    with migrated_store(url, MIGRATIONS):
        pass
    env = {k: v for k, v in os.environ.items() if not k.startswith("GRIDPLUS_")}
    env["GRIDPLUS_EVALUATION_DATABASE_URL"] = url
    services = str(Path(__file__).resolve().parents[3] / "services")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [services, env.get("PYTHONPATH")]))
    command = [sys.executable, "-m", "gridplus.evaluation", "export", "--kind", "grid"]
    command += ["--level", "1", "--period", "month", "--date", "2025-03-04", "--format", "json"]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == []


def test_a_command_names_what_went_wrong(
    database: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as unmigrated:
        main(["export", "--kind", "city"])
    assert unmigrated.value.code == 1
    assert "evaluation: database: no such table" in capsys.readouterr().err
    with migrated_store(database, MIGRATIONS):
        pass
    with pytest.raises(SystemExit) as unwritable:
        main(["export", "--kind", "city", "--output", str(tmp_path / "missing" / "x.csv")])
    assert unwritable.value.code == 1
    assert "No such file or directory" in capsys.readouterr().err
