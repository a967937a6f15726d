"""Dispatch's deadline scanner at scale: one scan tick over 1,000,000 open assignments (SQLite
file, the scan index), and a recount of the light board over all of them.

Run alone: `python -m bench.dispatch_scan [--assignments N]`. The assignments' deadlines spread
over the next 30 days; `OVERDUE` of them fall due just before the tick, so the tick finds and
reports exactly those (one PetitionOverdue each into the outbox) and escalates them (rung 1).
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from gridplus.dispatch.domain.escalation import DEFAULT_LADDER, parse_ladder
from gridplus.dispatch.domain.places import GridPlace, Member
from gridplus.dispatch.jobs.deadlines import DeadlineScanner
from gridplus.dispatch.ports import GridDirectory
from gridplus.kit.clock import ManualClock
from gridplus.kit.db import create_database_engine, create_session_factory
from gridplus.kit.migrations import migrate
from gridplus.kit.outbox import Outbox

MIGRATIONS = Path(__file__).resolve().parents[1] / "services/gridplus/dispatch/storage/alembic"
NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
OVERDUE = 50  # a 5-second tick of a busy city: far more than fall due in 5 s
CHUNK = 50_000


class _NoDirectory(GridDirectory):
    def locate(self, lat: float, lon: float) -> GridPlace | None:
        return None

    def members(self, grid_code: str) -> list[Member]:
        return []


_COLUMNS = (
    "petition_id, grid_code, grid_level, grid_path, grid_set_version, grid_level1, grid_level2, "
    "assignee_id, assignee_role, category, department_code, step, step_started_at, "
    "limit_seconds, deadline, yellow_at, assigned_at, reasons, status"
)
_INDEXES = {
    "ix_assignments_assignee_status": "assignee_id, status",
    "ix_assignments_status_deadline": "status, deadline, petition_id",
    "ix_assignments_breach_scan": "status, breached, deadline",
    "ix_assignments_escalation_scan": "status, next_escalation_at",
}
_INSERT = f"INSERT INTO assignments ({_COLUMNS}) VALUES ({', '.join('?' * 19)})"


def _sql_time(value: datetime) -> str:
    # How SQLAlchemy stores a DateTime on SQLite (UTC here), so the scanner's queries compare
    # like with like; raw inserts load a million rows in seconds instead of minutes.
    return value.strftime("%Y-%m-%d %H:%M:%S.%f")


def _rows(start: int, count: int, rng: random.Random) -> list[tuple[object, ...]]:
    started = _sql_time(NOW - timedelta(hours=1))
    rows: list[tuple[object, ...]] = []
    for number in range(start, start + count):
        level1 = str(1 + number % 5)
        level2 = f"G{number % 71:02d}"
        level3 = f"{level2}{number % 4:02d}"
        due = NOW + timedelta(seconds=rng.randint(60, 30 * 86400))
        if number < OVERDUE:
            due = NOW - timedelta(seconds=1 + number)
        rows.append(
            (
                f"p-{number:08d}",
                level3,
                3,
                f'["{level1}", "{level2}", "{level3}"]',
                1,
                level1,
                level2,
                f"w-{number % 3000}",
                "grid_worker",
                "nyc.noise_residential",
                f"dep-{number % 36}",
                "verify",
                started,
                86400,
                _sql_time(due),
                _sql_time(due - timedelta(hours=6)),
                started,
                "[]",
                "open",
            )
        )
    return rows


def report(assignments: int = 1_000_000) -> dict[str, tuple[float, str]]:
    with tempfile.TemporaryDirectory(prefix="gridplus-scan-") as tmp:
        engine = create_database_engine(f"sqlite:///{tmp}/dispatch.db")
        migrate(engine, MIGRATIONS)
        sessions = create_session_factory(engine)
        rng = random.Random(5)
        started = time.perf_counter()
        with engine.begin() as connection:
            # Indexes are built once after the load (as a restore would), not row by row.
            for name in _INDEXES:
                connection.exec_driver_sql(f"DROP INDEX {name}")
            for start in range(0, assignments, CHUNK):
                count = min(CHUNK, assignments - start)
                connection.exec_driver_sql(_INSERT, _rows(start, count, rng))
            for name, columns in _INDEXES.items():
                connection.exec_driver_sql(f"CREATE INDEX {name} ON assignments ({columns})")
        loaded = time.perf_counter() - started
        clock = ManualClock(NOW)
        scanner = DeadlineScanner(
            sessions=sessions,
            outbox=Outbox(topic="bench.dispatch", source="/bench", clock=clock),
            clock=clock,
            directory=_NoDirectory(),
            ladder=parse_ladder(DEFAULT_LADDER),
        )
        first = scanner.tick()
        quiet = [scanner.tick().seconds for _ in range(5)]
        started = time.perf_counter()
        scanner.refresh_lights()
        lights = time.perf_counter() - started
        engine.dispose()
    print(f"{assignments:,} open assignments loaded in {loaded:.1f} s (SQLite)")
    print(
        f"scan tick with {first.overdue} newly overdue (+{first.escalated} escalated): "
        f"{first.seconds * 1e3:.0f} ms; quiet tick (nothing new): "
        f"{min(quiet) * 1e3:.1f}-{max(quiet) * 1e3:.1f} ms"
    )
    print(f"light board recount (GROUP BY light x grids x department): {lights:.2f} s")
    return {
        "scan.tick_with_news": (first.seconds * 1e3, "ms"),
        "scan.quiet_tick": (max(quiet) * 1e3, "ms"),
        "scan.light_recount": (lights, "s"),
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench.dispatch_scan")
    parser.add_argument("--assignments", type=int, default=1_000_000)
    report(parser.parse_args().assignments)
