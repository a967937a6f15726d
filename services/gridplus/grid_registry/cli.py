"""gridctl: operator commands on the grid-registry database (same settings as the service).

gridctl load-demo
gridctl import --layer path=boroughs.geojson,level=1,code=BoroCode,name=BoroName \\
               --layer path=cdta.geojson,level=2,code=CDTA2020,name=CDTAName \\
               [--refuse-invalid] [--dry-run]
gridctl validate [--layer ...]        coverage of the stored grid set, or of the files given
gridctl locate LAT LON [--tolerance M]
gridctl list [--level N] [--parent CODE]
gridctl import-households FILE.csv [--dry-run]   one row per person (domain/household_rows.py)
gridctl generate-households [--per-unit N] [--seed S] [--out FILE.csv]
                                      a demo register: written to FILE, or imported at once

A layer without `parent=PROPERTY` finds each grid's parent in the layer above by containment.
Only the database settings are read (GRIDPLUS_GRID_REGISTRY_DATABASE_URL, GRIDPLUS_VAR_DIR):
no JWT secret or broker is needed, events wait in the outbox for the service's relay.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from sqlalchemy import Engine

from gridplus.grid_registry.api import household_cli
from gridplus.grid_registry.config import GridRegistryConfig
from gridplus.grid_registry.domain.coverage import check_coverage
from gridplus.grid_registry.domain.geojson_layers import LayerSource, OnInvalid
from gridplus.grid_registry.domain.grids import GridError, GridSpec
from gridplus.grid_registry.domain.listing import GridQuery
from gridplus.grid_registry.handlers import grids, imports
from gridplus.grid_registry.handlers.imports import ImportOutcome
from gridplus.grid_registry.handlers.reference import sync_reference_data
from gridplus.grid_registry.handlers.snapshots import NO_GRID_SET, GridSetSnapshot, load_current
from gridplus.grid_registry.storage import MIGRATIONS
from gridplus.grid_registry.storage.geojson_files import read_layers
from gridplus.kit.clock import SystemClock
from gridplus.kit.config import ConfigError, Env
from gridplus.kit.db import SessionFactory, create_database_engine, create_session_factory
from gridplus.kit.db import transaction as unit_of_work
from gridplus.kit.errors import FailedPrecondition, GridPlusError
from gridplus.kit.migrations import migrate
from gridplus.kit.outbox import Outbox
from gridplus.kit.topology import SERVICES, events_topic

PACKAGE = "grid_registry"
# The commands `python -m gridplus.grid_registry` hands to gridctl.
COMMANDS = ("load-demo", *household_cli.COMMANDS)
LAYER_KEYS = {"path", "level", "code", "name", "parent"}


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        env = Env()
        engine = create_database_engine(database_url(env))
        try:
            _run(args, env, create_session_factory(engine), engine)
        finally:
            engine.dispose()
    except (GridPlusError, GridError, ConfigError, OSError, ValueError) as exc:
        print(f"gridctl: {exc}", file=sys.stderr)
        return 1
    return 0


def database_url(env: Env) -> str:
    """The service's database URL, as kit ServiceSettings derives it, without its other needs."""
    var_dir = Path(env.text("GRIDPLUS_VAR_DIR", "var"))
    prefix = SERVICES[PACKAGE].env_prefix
    return env.text(f"{prefix}_DATABASE_URL", f"sqlite:///{var_dir}/{PACKAGE}.db")


def _run(args: argparse.Namespace, env: Env, sessions: SessionFactory, engine: Engine) -> None:
    if args.command in ("load-demo", "import", *household_cli.COMMANDS):
        migrate(engine, MIGRATIONS)
    clock = SystemClock()
    outbox = Outbox(topic=events_topic("grid"), source=f"/gridplus/{PACKAGE}", clock=clock)
    if args.command == "load-demo":
        directory = GridRegistryConfig.from_env(env).demo_dir
        print(
            describe(imports.load_demo(sessions, directory=directory, outbox=outbox, clock=clock))
        )
    elif args.command == "import":
        _import(sessions, args, outbox, clock)
    elif args.command in household_cli.COMMANDS:
        household_cli.run(args, env, sessions, _snapshot(sessions), outbox, clock)
    elif args.command == "validate":
        _validate(sessions, args)
    elif args.command == "locate":
        _locate(_snapshot(sessions), args.lat, args.lon, args.tolerance)
    else:
        _list(_snapshot(sessions), GridQuery(args.parent, args.level))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="gridctl", description="Grid+ grid-registry operator tool."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("load-demo", help="import the NYC demo grids (does nothing if unchanged)")
    importing = commands.add_parser("import", help="import GeoJSON layers as a new grid set")
    _layer_options(importing, required=True)
    importing.add_argument(
        "--dry-run", action="store_true", help="validate and report, change nothing"
    )
    validate = commands.add_parser("validate", help="coverage report: stored grid set or files")
    _layer_options(validate, required=False)
    locate = commands.add_parser("locate", help="the smallest grid containing a point")
    locate.add_argument("lat", type=float)
    locate.add_argument("lon", type=float)
    locate.add_argument("--tolerance", type=float, default=0.0, metavar="M", help="snap metres")
    listing = commands.add_parser("list", help="list grids")
    listing.add_argument("--level", type=int, choices=(1, 2, 3))
    listing.add_argument("--parent", metavar="CODE")
    household_cli.add_commands(commands)
    return parser


def _layer_options(parser: argparse.ArgumentParser, *, required: bool) -> None:
    parser.add_argument(
        "--layer",
        action="append",
        type=parse_layer_source,
        required=required,
        default=[],
        metavar="path=FILE,level=N,code=PROP,name=PROP[,parent=PROP]",
        help="one GeoJSON layer (repeat per level); no parent= means parent by containment",
    )
    parser.add_argument(
        "--refuse-invalid",
        action="store_true",
        help="refuse invalid geometry instead of repairing it with make_valid",
    )


def parse_layer_source(text: str) -> LayerSource:
    fields = dict(part.split("=", 1) for part in text.split(",") if "=" in part)
    unknown = set(fields) - LAYER_KEYS
    missing = {"path", "level", "code", "name"} - set(fields)
    if (
        unknown
        or missing
        or len(fields) != text.count("=")
        or not fields.get("level", "").isdigit()
    ):
        raise argparse.ArgumentTypeError(
            f"{text!r}: expected path=FILE,level=N,code=PROP,name=PROP[,parent=PROP]"
        )
    return LayerSource(
        Path(fields["path"]),
        int(fields["level"]),
        fields["code"],
        fields["name"],
        fields.get("parent") or None,
    )


def _read(args: argparse.Namespace) -> list[GridSpec]:
    on_invalid = OnInvalid.REFUSE if args.refuse_invalid else OnInvalid.REPAIR
    layers = read_layers(args.layer, on_invalid)
    for layer in layers:
        for repair in layer.repairs:
            print(f"repaired {repair.code}: {repair.problem}", file=sys.stderr)
    return [spec for layer in layers for spec in layer.specs]


def _import(
    sessions: SessionFactory, args: argparse.Namespace, outbox: Outbox, clock: SystemClock
) -> None:
    specs = _read(args)
    if args.dry_run:
        grid_set, _, _ = imports.validate_grid_set(specs, [])
        print("\n".join(check_coverage(grid_set).lines()))
        print(f"dry run: {len(grid_set)} grids are valid; nothing was imported")
        return
    source = "gridctl import: " + ", ".join(str(layer.path) for layer in args.layer)
    with unit_of_work(sessions) as session:
        sync_reference_data(session)
        outcome = imports.import_grid_set(
            session, specs, [], source=source[:500], outbox=outbox, clock=clock
        )
    print(describe(outcome).replace("the demo data", "this data"))


def _validate(sessions: SessionFactory, args: argparse.Namespace) -> None:
    if args.layer:
        grid_set, _, _ = imports.validate_grid_set(_read(args), [])
    else:
        snapshot = _snapshot(sessions)
        grid_set = snapshot.grids
        print(f"grid set version {snapshot.version}:")
    print("\n".join(check_coverage(grid_set).lines()))


def _snapshot(sessions: SessionFactory) -> GridSetSnapshot:
    with unit_of_work(sessions) as session:
        snapshot = load_current(session)
    if snapshot is None:
        raise FailedPrecondition(NO_GRID_SET)
    return snapshot


def _locate(snapshot: GridSetSnapshot, lat: float, lon: float, tolerance: float) -> None:
    located = grids.locate(snapshot, lat=lat, lon=lon, tolerance_m=tolerance)
    snapped = f"  (snapped {located.distance_m:.1f} m)" if located.snapped else ""
    print(f"{located.grid.code}  {located.grid.name}{snapped}")
    print(f"path {' > '.join(located.path)}  (grid set version {located.version})")


def _list(snapshot: GridSetSnapshot, query: GridQuery) -> None:
    page = grids.list_grids(snapshot, query, after=None, size=len(snapshot.grids))
    for spec in page.grids:
        print(f"{spec.code:<8} {spec.level}  {spec.parent_code or '-':<6} {spec.name}")
    print(f"{len(page.grids)} grids (grid set version {snapshot.version})", file=sys.stderr)


def describe(outcome: ImportOutcome) -> str:
    """What an import did, for the operator (load-demo, gridctl import)."""
    if outcome.created:
        coverage = "" if outcome.coverage is None else "\n" + "\n".join(outcome.coverage.lines())
        return (
            f"imported grid set version {outcome.version}: "
            f"{outcome.grid_count} grids, {outcome.member_count} members{coverage}"
        )
    return (
        f"grid set version {outcome.version} already holds the demo data "
        f"({outcome.grid_count} grids, {outcome.member_count} members); nothing to do"
    )


if __name__ == "__main__":
    sys.exit(main())
