"""gridctl: operator commands on the grid-registry database (same settings as the service).

gridctl load-demo
gridctl locate LAT LON [--tolerance M]
gridctl list [--level N] [--parent CODE]
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from sqlalchemy import Engine

from gridplus.grid_registry import demo, handlers
from gridplus.grid_registry.config import GridRegistryConfig
from gridplus.grid_registry.current import NO_GRID_SET
from gridplus.grid_registry.domain.grids import GridError
from gridplus.grid_registry.domain.listing import GridQuery
from gridplus.grid_registry.handlers import GridSetSnapshot
from gridplus.grid_registry.storage import MIGRATIONS
from gridplus.kit.clock import SystemClock
from gridplus.kit.config import ConfigError, Env, ServiceSettings
from gridplus.kit.db import SessionFactory, create_database_engine, create_session_factory
from gridplus.kit.db import transaction as unit_of_work
from gridplus.kit.errors import FailedPrecondition, GridPlusError
from gridplus.kit.migrations import migrate
from gridplus.kit.outbox import Outbox
from gridplus.kit.topology import events_topic


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        env = Env()
        settings = ServiceSettings.from_env("grid_registry", env)
        engine = create_database_engine(settings.database_url)
        try:
            _run(args, env, settings, engine)
        finally:
            engine.dispose()
    except (GridPlusError, GridError, ConfigError) as exc:
        print(f"gridctl: {exc}", file=sys.stderr)
        return 1
    return 0


def _run(args: argparse.Namespace, env: Env, settings: ServiceSettings, engine: Engine) -> None:
    sessions = create_session_factory(engine)
    if args.command == "load-demo":
        migrate(engine, MIGRATIONS)
        clock = SystemClock()
        source = f"/gridplus/{settings.spec.name}"
        outbox = Outbox(topic=events_topic("grid"), source=source, clock=clock)
        directory = GridRegistryConfig.from_env(env).demo_dir
        print(
            demo.describe(demo.load_demo(sessions, directory=directory, outbox=outbox, clock=clock))
        )
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
    locate = commands.add_parser("locate", help="the level-3 grid containing a point")
    locate.add_argument("lat", type=float)
    locate.add_argument("lon", type=float)
    locate.add_argument("--tolerance", type=float, default=0.0, metavar="M", help="snap metres")
    listing = commands.add_parser("list", help="list grids")
    listing.add_argument("--level", type=int, choices=(1, 2, 3))
    listing.add_argument("--parent", metavar="CODE")
    return parser


def _snapshot(sessions: SessionFactory) -> GridSetSnapshot:
    with unit_of_work(sessions) as session:
        snapshot = handlers.load_current(session)
    if snapshot is None:
        raise FailedPrecondition(NO_GRID_SET)
    return snapshot


def _locate(snapshot: GridSetSnapshot, lat: float, lon: float, tolerance: float) -> None:
    located = handlers.locate(snapshot, lat=lat, lon=lon, tolerance_m=tolerance)
    snapped = f"  (snapped {located.distance_m:.1f} m)" if located.snapped else ""
    print(f"{located.grid.code}  {located.grid.name}{snapped}")
    print(f"path {' > '.join(located.path)}  (grid set version {located.version})")


def _list(snapshot: GridSetSnapshot, query: GridQuery) -> None:
    page = handlers.list_grids(snapshot, query, after=None, size=len(snapshot.grids))
    for spec in page.grids:
        print(f"{spec.code:<8} {spec.level}  {spec.parent_code or '-':<6} {spec.name}")
    print(f"{len(page.grids)} grids (grid set version {snapshot.version})", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
