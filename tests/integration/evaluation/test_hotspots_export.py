"""The hot-spot exports, `python -m gridplus.evaluation hotspots|repeats`, on a migrated
database filled by the consumer's own handlers: the real NYC 311 rows of 2025-10-13 (every
request as PetitionSubmitted + PetitionAssigned) give their repeat addresses as CSV, a planted
rise comes out in `hotspots --rising`, and bad parameters end with exit code 1 naming them."""

from __future__ import annotations

import csv
import io
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from google.protobuf.message import Message

from gridplus.api.common.v1 import common_pb2
from gridplus.api.events.v1 import events_pb2
from gridplus.evaluation import cli
from gridplus.evaluation.messaging.consumers import HANDLERS
from gridplus.kit.clock import ManualClock
from gridplus.kit.db import SessionFactory, transaction
from gridplus.kit.events import Event
from tests.integration.evaluation.conftest import MIGRATIONS, stamp
from tests.support.store import migrated_store

pytestmark = pytest.mark.integration

NYC = Path("/work/shared/data/nyc311_2025-10-13_mohrum12.csv")
NOW = datetime(2025, 10, 14, 12, tzinfo=UTC)


@pytest.fixture
def database(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    """Only the database setting, as an operator's shell would have."""
    for name in list(os.environ):
        if name.startswith("GRIDPLUS_"):
            monkeypatch.delenv(name)
    url = f"sqlite:///{tmp_path}/evaluation.db"
    monkeypatch.setenv("GRIDPLUS_EVALUATION_DATABASE_URL", url)
    return url


def apply(sessions: SessionFactory, payloads: list[tuple[str, Message]]) -> None:
    with transaction(sessions) as session:
        for key, payload in payloads:
            event = Event.create(payload, key=key, source="/test", time=NOW)
            HANDLERS[event.type](session, event)  # type: ignore[operator]


def submitted(
    pid: str, at: datetime, lat: float, lon: float, path: list[str], category: str
) -> list[tuple[str, Message]]:
    return [
        (
            pid,
            events_pb2.PetitionSubmitted(
                petition_id=pid,
                category=category,
                location=common_pb2.GeoPoint(lat=lat, lon=lon),
                submitted_at=stamp(at),
            ),
        ),
        (
            pid,
            events_pb2.PetitionAssigned(
                petition_id=pid,
                grid=common_pb2.GridRef(code=path[-1], level=len(path), path=path),
                assignee_id="w-1",
                category=category,
                assigned_at=stamp(at + timedelta(minutes=1)),
            ),
        ),
    ]


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = cli.main(argv, clock=ManualClock(NOW))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_repeats_exports_the_nyc_311_repeat_addresses(
    database: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    if not NYC.exists():
        pytest.skip(f"{NYC} is not on this machine")
    addresses: dict[str, str] = {}
    streets: dict[str, str] = {}
    payloads: list[tuple[str, Message]] = []
    with NYC.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if not row["latitude"] or not row["longitude"]:
                continue
            pid = row["unique_key"]
            addresses[pid] = row["incident_address"].strip().upper()
            streets[pid] = row["street_name"].strip().upper()
            at = datetime.fromisoformat(row["created_date"]).replace(tzinfo=UTC)
            path = [row["borough"], row["community_board"]]
            lat, lon = float(row["latitude"]), float(row["longitude"])
            payloads += submitted(pid, at, lat, lon, path, row["complaint_type"])
    with migrated_store(database, MIGRATIONS) as store:
        apply(store.sessions, payloads)

    out = tmp_path / "repeats.csv"
    code, _, err = run(["repeats", "--radius", "50", "--output", str(out)], capsys)
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    print(f"\n{err.strip()}")
    for row in rows[:5]:
        ids = row["petition_ids"].split()
        print(f"  {row['size']:>4} at {row['latitude']},{row['longitude']} {row['categories']}")
        # The largest ones are each one street (two thirds of their rows name it, as in the
        # unit test on these rows).
        named = [streets[i] for i in ids]
        commonest = max(set(named), key=named.count)
        assert named.count(commonest) >= 2 / 3 * len(named), named
    assert "among 989 petition(s)" in err
    top = rows[0]
    assert (top["size"], top["categories"], top["grid_codes"]) == (
        "249",
        "Noise - Residential: 249",
        "12 BRONX",
    )
    assert {addresses[i] for i in top["petition_ids"].split()} == {"655 EAST  230 STREET"}


def test_hotspots_exports_a_planted_rise_and_refuses_bad_parameters(
    database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path = ["G-01", "G-01-01", "G-01-01-01"]
    monday = datetime(2025, 10, 13, tzinfo=UTC)
    payloads: list[tuple[str, Message]] = []
    for week in range(9):
        count = 12 if week == 8 else 2
        start = monday - timedelta(days=7 * (8 - week))
        for n in range(count):
            at = start + timedelta(hours=n)
            payloads += submitted(f"p-{week}-{n}", at, 31.2, 121.4 + week / 100, path, "noise")
        payloads += submitted(f"r-{week}", start, 31.3, 121.5, path, "litter")
    with migrated_store(database, MIGRATIONS) as store:
        apply(store.sessions, payloads)

    code, out, err = run(["hotspots", "--date", "2025-10-14", "--level", "2"], capsys)
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [(r["grid_code"], r["category"], r["count"], r["rising"]) for r in rows] == [
        ("G-01-01", "noise", "12", "yes"),
        ("G-01-01", "litter", "1", "no"),
    ]
    assert rows[0]["counts"] == "2 2 2 2 2 2 2 2 12" and rows[0]["start"] == "2025-10-13"
    code, out, _ = run(["hotspots", "--date", "2025-10-14", "--rising"], capsys)
    assert [r["category"] for r in csv.DictReader(io.StringIO(out))] == ["noise"]

    for argv, field in (
        (["hotspots", "--level", "5"], "grid_level"),
        (["hotspots", "--alpha", "2"], "alpha"),
        (["repeats", "--radius", "1"], "radius_m"),
        (["repeats", "--min-points", "1"], "min_points"),
    ):
        code, out, err = run(argv, capsys)
        assert (code, out) == (1, ""), argv
        assert field in err, (argv, err)


def test_imported_history_gives_the_trend_its_past(
    database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """History imported from a 311 export (PetitionSubmitted with `imported`, no dispatch event,
    closed long ago) counts for the grid it was located in: eight weeks of it are the baseline
    this week's petitions are judged against; closed, it is a repeat location only while
    recent."""
    path = ["BX", "BX12", "BX1201"]
    grid = common_pb2.GridRef(code=path[-1], level=3, path=path)
    monday = datetime(2025, 10, 13, tzinfo=UTC)
    payloads: list[tuple[str, Message]] = []
    for week in range(1, 9):
        for n in range(4):
            pid = f"h-{week}-{n}"
            at = monday - timedelta(days=7 * week) + timedelta(hours=n)
            history = events_pb2.PetitionSubmitted(
                petition_id=pid,
                category="noise",
                location=common_pb2.GeoPoint(lat=40.8919, lon=-73.8602),
                submitted_at=stamp(at),
                imported=events_pb2.HistoryImport(
                    source="nyc311-csv", source_request_id=pid, grid=grid
                ),
            )
            closed = events_pb2.PetitionStatusChanged(
                petition_id=pid,
                from_status=1,  # type: ignore[arg-type]
                to_status=5,  # type: ignore[arg-type]
                changed_at=stamp(at + timedelta(hours=2)),
                category="noise",
                imported=True,
            )
            payloads += [(pid, history), (pid, closed)]
    for n in range(5):  # this week, filed in Grid+: as many as usual, nothing rising
        payloads += submitted(f"p-{n}", monday + timedelta(hours=n), 40.7, -73.9 - n, path, "noise")
    with migrated_store(database, MIGRATIONS) as store:
        apply(store.sessions, payloads)

    code, out, err = run(["hotspots", "--date", "2025-10-14"], capsys)
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [(r["grid_code"], r["counts"], r["rising"]) for r in rows] == [
        ("BX1201", "4 4 4 4 4 4 4 4 5", "no")
    ]
    code, out, err = run(["repeats"], capsys)  # the last 30 days: four weeks of four
    assert code == 0, err
    assert [(r["size"], r["open"]) for r in csv.DictReader(io.StringIO(out))] == [("16", "0")]
    code, out, err = run(["repeats", "--recent-days", "7"], capsys)
    assert code == 0 and list(csv.DictReader(io.StringIO(out))) == [], err
