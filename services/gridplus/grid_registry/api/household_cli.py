"""gridctl's household commands, the operator's edge as api/grpc.py is the RPCs':

gridctl import-households FILE.csv [--dry-run]
gridctl generate-households [--per-unit N] [--seed S] [--out FILE.csv]

An import is all or nothing: bad rows are listed by line and column and nothing is written.
Events wait in the outbox for the service's relay (gridctl needs no broker). The personal-data
keys are the service's (GRIDPLUS_PII_KEY(S), GRIDPLUS_GRID_REGISTRY_ID_HASH_KEY, or the
development keys under GRIDPLUS_VAR_DIR), so the service reads what gridctl wrote.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from gridplus.grid_registry.config import GridRegistryConfig, id_hash_key
from gridplus.grid_registry.domain.demo_households import demo_household_rows
from gridplus.grid_registry.domain.household_rows import RowsRefused
from gridplus.grid_registry.domain.places import Place
from gridplus.grid_registry.handlers.household_imports import HouseholdImport, import_households
from gridplus.grid_registry.handlers.households import HouseholdDeps
from gridplus.grid_registry.handlers.snapshots import GridSetSnapshot
from gridplus.grid_registry.storage import household_csv, repository
from gridplus.grid_registry.storage.households import Sealing
from gridplus.grid_registry.storage.seed_files import read_care_groups
from gridplus.kit.clock import Clock
from gridplus.kit.config import Env
from gridplus.kit.db import SessionFactory, transaction
from gridplus.kit.outbox import Outbox
from gridplus.kit.pii import KeyRing

COMMANDS = ("import-households", "generate-households")


def add_commands(commands: Any) -> None:
    importing = commands.add_parser(
        "import-households", help="import a household register (CSV, one row per person)"
    )
    importing.add_argument("file", type=Path)
    importing.add_argument(
        "--dry-run", action="store_true", help="check the file and report, change nothing"
    )
    generating = commands.add_parser(
        "generate-households", help="a made-up register for the demo city"
    )
    generating.add_argument("--per-unit", type=int, default=2, metavar="N")
    generating.add_argument("--seed", type=int, default=16, metavar="S")
    generating.add_argument(
        "--out", type=Path, metavar="FILE.csv", help="write the CSV instead of importing it"
    )


def run(
    args: argparse.Namespace,
    env: Env,
    sessions: SessionFactory,
    snapshot: GridSetSnapshot,
    outbox: Outbox,
    clock: Clock,
) -> None:
    if args.command == "generate-households":
        if not 1 <= args.per_unit <= 50:
            raise ValueError("--per-unit must be 1 to 50")
        rows = demo_household_rows(
            _places(sessions, snapshot), per_unit=args.per_unit, seed=args.seed
        )
        if args.out:
            count = household_csv.write_rows(args.out, rows)
            print(f"wrote {count} people to {args.out}")
            return
        lines = [(number, row) for number, row in enumerate(rows, start=2)]
        source = "generated register"
    else:
        lines = household_csv.read_rows(args.file)
        source = str(args.file)
    deps = _deps(env, outbox, clock)
    dry_run = bool(getattr(args, "dry_run", False))
    try:
        done = import_households(sessions, deps, snapshot, lines, dry_run=dry_run)
    except RowsRefused as exc:
        raise ValueError(f"{source}: {exc}") from None
    print(("dry run, nothing written: " if dry_run else "") + describe(done, source))


def describe(done: HouseholdImport, source: str) -> str:
    return (
        f"{source}: {done.created} households registered, {done.changed} changed, "
        f"{done.unchanged} unchanged"
    )


def _deps(env: Env, outbox: Outbox, clock: Clock) -> HouseholdDeps:
    var_dir = Path(env.text("GRIDPLUS_VAR_DIR", "var"))
    return HouseholdDeps(
        sealing=Sealing(KeyRing.from_env(env, var_dir), id_hash_key(env, var_dir)),
        care_groups=read_care_groups(GridRegistryConfig.from_env(env).care_groups_file),
        outbox=outbox,
        clock=clock,
    )


def _places(sessions: SessionFactory, snapshot: GridSetSnapshot) -> list[Place]:
    leaves = [spec.code for spec in snapshot.grids if not snapshot.grids.children(spec.code)]
    with transaction(sessions) as session:
        return [
            place
            for code in leaves
            for place in repository.get_places(session, version=snapshot.version, grid_code=code)
        ]
