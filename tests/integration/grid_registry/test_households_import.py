"""Issue 16: `gridctl import-households` — a CSV register applied all or nothing, bad rows named
by line and column, a re-import applied once (household_key), events as the RPCs publish them;
and the generated demo register. Real SQLite and PostgreSQL; the CLI as a real process."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import func, select

from gridplus.api.events.v1 import events_pb2
from gridplus.grid_registry.config import DEFAULT_CARE_GROUPS
from gridplus.grid_registry.domain.demo_households import demo_household_rows
from gridplus.grid_registry.domain.demo_workers import DemoMember, demo_places
from gridplus.grid_registry.domain.grids import GridSpec
from gridplus.grid_registry.domain.household_rows import COLUMNS, RowsRefused
from gridplus.grid_registry.handlers import imports
from gridplus.grid_registry.handlers.household_imports import HouseholdImport, import_households
from gridplus.grid_registry.handlers.households import HouseholdDeps
from gridplus.grid_registry.handlers.snapshots import GridSetSnapshot, load_current
from gridplus.grid_registry.storage import MIGRATIONS, repository
from gridplus.grid_registry.storage import households as store
from gridplus.grid_registry.storage.household_csv import read_rows
from gridplus.grid_registry.storage.households import Sealing
from gridplus.grid_registry.storage.models import HouseholdRow
from gridplus.grid_registry.storage.seed_files import read_care_groups
from gridplus.kit.clock import ManualClock
from gridplus.kit.db import (
    SessionFactory,
    create_database_engine,
    create_session_factory,
    transaction,
)
from gridplus.kit.migrations import migrate
from gridplus.kit.outbox import Outbox
from gridplus.kit.pii import KeyRing
from gridplus.kit.tables import outbox_messages
from gridplus.kit.topology import events_topic
from tests.integration.grid_registry.conftest import IMPORTED_AT
from tests.integration.grid_registry.registry import ROOT, database
from tests.integration.grid_registry.test_households import table_dump
from tests.support.postgres import drop_database

pytestmark = pytest.mark.integration

ROWS = [
    [
        "h-1",
        "MN0101-B1-U1",
        "12 Pearl St",
        "1-01",
        "王秀英",
        "13812345678",
        "110101194501011234",
        "1945",
        "ELDERLY_ALONE",
    ],
    [
        "h-2",
        "MN0101-B1-U2",
        "14 Pearl St",
        "2-02",
        "Maria Lopez",
        "+1-212-555-0111",
        "",
        "1980",
        "",
    ],
    [
        "h-2",
        "MN0101-B1-U2",
        "14 Pearl St",
        "2-02",
        "Luis Lopez",
        "",
        "",
        "2014",
        "LEFT_BEHIND_CHILD",
    ],
    [
        "h-3",
        "BK0101-B1",
        "9 Ocean Ave",
        "",
        "李娜",
        "13900001111",
        "",
        "1970",
        "SUBSISTENCE;IN_DIFFICULTY",
    ],
]


@dataclass
class Register:
    sessions: SessionFactory
    deps: HouseholdDeps
    snapshot: GridSetSnapshot
    url: str


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def register(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    demo_specs: list[GridSpec],
    demo_members: list[DemoMember],
) -> Iterator[Register]:
    url, pg_name = database(request.param, tmp_path_factory.mktemp("household-import"))
    engine = create_database_engine(url)
    migrate(engine, MIGRATIONS)
    sessions = create_session_factory(engine)
    clock = ManualClock(IMPORTED_AT)
    outbox = Outbox(topic=events_topic("grid"), source="/test", clock=clock)
    with transaction(sessions) as session:
        imports.import_grid_set(
            session,
            demo_specs,
            demo_members,
            places=demo_places(demo_specs),
            source="test",
            outbox=outbox,
            clock=clock,
        )
        snapshot = load_current(session)
    assert snapshot is not None
    deps = HouseholdDeps(
        Sealing(KeyRing([("k1", os.urandom(32))]), os.urandom(32)),
        read_care_groups(DEFAULT_CARE_GROUPS),
        outbox,
        clock,
    )
    try:
        yield Register(sessions, deps, snapshot, url)
    finally:
        engine.dispose()
        if pg_name:
            drop_database(pg_name)


def write(path: Path, rows: list[list[str]]) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        writer.writerows(rows)
    return path


def apply(register: Register, path: Path) -> HouseholdImport:
    return import_households(register.sessions, register.deps, register.snapshot, read_rows(path))


def counts(register: Register) -> tuple[int, int]:
    with transaction(register.sessions) as session:
        households = session.scalar(select(func.count()).select_from(HouseholdRow))
        events = session.scalar(
            select(func.count())
            .select_from(outbox_messages)
            .where(outbox_messages.c.ce_type == "gridplus.events.v1.HouseholdChanged")
        )
    return int(households or 0), int(events or 0)


def test_a_file_is_imported_once_and_changes_are_applied_with_member_ids_kept(
    register: Register, tmp_path: Path
) -> None:
    before = counts(register)
    path = write(tmp_path / "register.csv", ROWS)
    assert apply(register, path) == HouseholdImport(created=3, changed=0, unchanged=0)
    assert counts(register) == (before[0] + 3, before[1] + 3)
    assert apply(register, path) == HouseholdImport(created=0, changed=0, unchanged=3)
    assert counts(register) == (before[0] + 3, before[1] + 3)

    with transaction(register.sessions) as session:
        household_id, _ = store.get_by_import_key(session, import_key="h-2") or ("", False)
        first = store.get(session, household_id=household_id, sealing=register.deps.sealing)
    assert first is not None and first.grid_code == "MN0101" and len(first.members) == 2
    changed = [row.copy() for row in ROWS]
    changed[1][5] = "+1-212-555-0199"
    assert apply(register, write(tmp_path / "changed.csv", changed)).changed == 1
    with transaction(register.sessions) as session:
        second = store.get(session, household_id=household_id, sealing=register.deps.sealing)
        payloads = session.scalars(
            select(outbox_messages.c.payload)
            .where(outbox_messages.c.key == household_id)
            .order_by(outbox_messages.c.id)
        ).all()
    assert second is not None and second.members[0].phone == "+1-212-555-0199"
    assert [m.member_id for m in second.members] == [m.member_id for m in first.members]
    events = [events_pb2.HouseholdChanged.FromString(payload) for payload in payloads]
    assert [e.version for e in events] == [1, 2]
    assert [(m.member_id, m.visit_interval_days) for m in events[1].care_members] == [
        (first.members[1].member_id, 14)
    ]
    dump = table_dump(register.url)
    assert [
        s for s in ("王秀英", "13812345678", "110101194501011234", "12 Pearl St") if s in dump
    ] == []


def test_bad_rows_are_named_by_line_and_column_and_nothing_is_imported(
    register: Register, tmp_path: Path
) -> None:
    before = counts(register)
    rows = [
        ["ok-1", "MN0101-B1-U1", "1 Pearl St", "", "Good Row", "", "", "1960", ""],
        ["bad-1", "MN0101-B1-U1", "1 Pearl St", "", "Old", "", "", "18x0", ""],
        ["bad-2", "MN0101-B1-U1", "1 Pearl St", "", "Astro", "", "", "1960", "ASTRONAUT"],
        ["bad-3", "NOWHERE-B1", "1 Pearl St", "", "Lost", "", "", "1960", ""],
        ["bad-4", "MN0101-B1-U1", "1 Pearl St", "", "", "555", "", "1960", ""],
    ]
    with pytest.raises(RowsRefused) as refused:
        apply(register, write(tmp_path / "bad.csv", rows))
    found = {(e.line, e.column) for e in refused.value.errors}
    assert {(3, "birth_year"), (4, "care_groups"), (6, "name"), (6, "phone")} <= found
    # Place errors show only when writing: the file's good household is rolled back with them.
    with pytest.raises(RowsRefused) as late:
        apply(register, write(tmp_path / "late.csv", [rows[0], rows[3]]))
    assert [(e.line, e.column) for e in late.value.errors] == [(3, "place_code")]
    assert counts(register) == before
    # The same person twice in one file: the second line is named.
    twice = [
        ["t-1", "MN0101-B1-U1", "1 Pearl St", "", "A", "", "110101199001011111", "1990", ""],
        ["t-2", "MN0101-B1-U2", "2 Pearl St", "", "B", "", "110101199001011111", "1990", ""],
    ]
    with pytest.raises(RowsRefused) as duplicate:
        apply(register, write(tmp_path / "twice.csv", twice))
    assert [(e.line, e.column) for e in duplicate.value.errors] == [(3, "id_number")]
    assert counts(register) == before


def test_the_demo_register_is_deterministic_with_care_members_in_every_borough(
    register: Register,
) -> None:
    with transaction(register.sessions) as session:
        places = [
            place
            for spec in register.snapshot.grids
            for place in repository.get_places(
                session, version=register.snapshot.version, grid_code=spec.code
            )
        ]
    rows = demo_household_rows(places, per_unit=1, seed=16)
    assert rows == demo_household_rows(places, per_unit=1, seed=16)
    keys = {row["household_key"] for row in rows}
    care = {row["place_code"][:2] for row in rows if row["care_groups"]}
    assert len(keys) == len([p for p in places if p.kind.value == "unit"])
    assert care >= {"MN", "BK", "QN", "BX", "SI"}
    ids = [row["id_number"] for row in rows if row["id_number"]]
    assert len(ids) == len(set(ids))


def test_gridctl_reports_bad_lines_and_a_dry_run_writes_nothing(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT / "services"),
        "GRIDPLUS_VAR_DIR": str(tmp_path / "var"),
        "GRIDPLUS_GRID_REGISTRY_DATABASE_URL": f"sqlite:///{tmp_path}/registry.db",
        "GRIDPLUS_LOG_LEVEL": "WARNING",
    }

    def gridctl(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "gridplus.grid_registry.cli", *args],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    assert gridctl("load-demo").returncode == 0
    bad = write(tmp_path / "bad.csv", [ROWS[0], [*ROWS[1][:7], "year", ""]])
    done = gridctl("import-households", str(bad))
    assert done.returncode == 1 and "line 3, column birth_year" in done.stderr
    good = write(tmp_path / "good.csv", ROWS)
    dry = gridctl("import-households", str(good), "--dry-run")
    assert (
        dry.returncode == 0 and "dry run" in dry.stdout and "3 households registered" in dry.stdout
    )
    real = gridctl("import-households", str(good))
    assert real.returncode == 0 and "3 households registered" in real.stdout, real.stderr
    again = gridctl("import-households", str(good))
    assert "0 households registered, 0 changed, 3 unchanged" in again.stdout
