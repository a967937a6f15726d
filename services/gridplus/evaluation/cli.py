"""Operator commands beside serve and migrate (`gridplus-evaluation` once installed as an entry
point, or the venv's python):

    python -m gridplus.evaluation export --kind grid --level 1 --period month --date 2025-03-04 \
        --format csv [--output FILE]
    python -m gridplus.evaluation rebuild
    python -m gridplus.evaluation hotspots --period week --date 2025-03-04 --level 3 \
        [--grid G] [--rising] [--baseline 8] [--alpha 0.01] [--output FILE]
    python -m gridplus.evaluation repeats [--radius 50] [--min-points 3] [--recent-days 30] \
        [--grid G] [--limit 100] [--output FILE]
    python -m gridplus.evaluation coverage --kind grid|worker [--level 3] [--period week] \
        [--date D | --from D --to D] [--grid G] [--output FILE]

`hotspots` and `repeats` write hot spots (per grid and category: counts, trend, the rising
rule) and repeat locations as CSV, over every petition (an operator's export); `coverage`
households visited and care visits on time per grid or worker as CSV. `export`
writes a period's scorecards (every subject of the kind) as CSV or JSON to stdout or a file.
`rebuild` migrates the configured database and replays the petition, dispatch, grid and evaluation
topics from the start into it (stop the service first; see messaging/replay.py).

A command reads only the settings it uses: export, hotspots, repeats and coverage the database's
(GRIDPLUS_EVALUATION_DATABASE_URL, or GRIDPLUS_VAR_DIR for the SQLite default), rebuild those
and the broker's (GRIDPLUS_KAFKA_*). No JWT secret, no ports.
"""

from __future__ import annotations

import argparse
import sys
import uuid
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError

from gridplus.evaluation.api import convert, hotspot_convert
from gridplus.evaluation.domain.periods import PeriodKind, period_range
from gridplus.evaluation.domain.scorecard import SubjectKind, Window
from gridplus.evaluation.handlers import coverage, hotspots, scorecards
from gridplus.evaluation.messaging.consumers import REBUILD_HANDLERS, REBUILD_TOPICS
from gridplus.evaluation.messaging.replay import replay
from gridplus.kit import kafka
from gridplus.kit.clock import Clock, SystemClock
from gridplus.kit.config import ConfigError, Env, KafkaSettings
from gridplus.kit.db import (
    SessionFactory,
    create_database_engine,
    create_session_factory,
    transaction,
)
from gridplus.kit.errors import GridPlusError
from gridplus.kit.migrations import migrate
from gridplus.kit.topology import SERVICES

PACKAGE = "evaluation"
COMMANDS = ("export", "rebuild", "hotspots", "repeats", "coverage")
MIGRATIONS = Path(__file__).parent / "storage" / "alembic"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m gridplus.evaluation")
    commands = parser.add_subparsers(dest="command", required=True)
    export = commands.add_parser("export", help="a period's scorecards as CSV or JSON")
    export.add_argument("--kind", choices=[k.value for k in SubjectKind], required=True)
    export.add_argument("--level", type=int, default=0, help="grid level 1..3 (grids only)")
    export.add_argument("--period", choices=[p.value for p in PeriodKind], default="month")
    export.add_argument("--date", type=date.fromisoformat, help="a day in the period (UTC)")
    export.add_argument("--from", dest="start", type=date.fromisoformat, help="range start")
    export.add_argument("--to", dest="end", type=date.fromisoformat, help="range end, exclusive")
    export.add_argument("--format", choices=("csv", "json"), default="csv")
    export.add_argument("--output", type=Path, help="file to write; default stdout")
    commands.add_parser("rebuild", help="replay the topics from the start into the database")
    hot = commands.add_parser("hotspots", help="a period's hot spots and trends as CSV")
    hot.add_argument("--period", choices=[p.value for p in PeriodKind], default="week")
    hot.add_argument("--date", type=date.fromisoformat, help="a day in the period (UTC)")
    hot.add_argument("--level", type=int, default=3, help="grid level 1..3")
    hot.add_argument("--grid", default="", help="only this grid's subtree")
    hot.add_argument("--baseline", type=int, default=0, help="previous periods (default 8)")
    hot.add_argument("--alpha", type=float, default=0.0, help="per-series level (0.01)")
    hot.add_argument("--rising", action="store_true", help="only the rising ones")
    hot.add_argument("--output", type=Path, help="file to write; default stdout")
    where = commands.add_parser("repeats", help="repeat locations (clusters) as CSV")
    where.add_argument("--radius", type=float, default=0.0, help="metres (default 50)")
    where.add_argument("--min-points", type=int, default=0, help="per cluster (default 3)")
    where.add_argument("--recent-days", type=int, default=0, help="closed ones (default 30)")
    where.add_argument("--grid", default="", help="only this grid's subtree")
    where.add_argument("--limit", type=int, default=0, help="largest first (default 100)")
    where.add_argument("--output", type=Path, help="file to write; default stdout")
    cover = commands.add_parser("coverage", help="households visited, care visits, as CSV")
    cover.add_argument("--kind", choices=("grid", "worker"), default="grid")
    cover.add_argument("--level", type=int, default=3, help="grid level 1..3 (grids only)")
    cover.add_argument("--period", choices=[p.value for p in PeriodKind], default="week")
    cover.add_argument("--date", type=date.fromisoformat, help="a day in the period (UTC)")
    cover.add_argument("--from", dest="start", type=date.fromisoformat, help="range start")
    cover.add_argument("--to", dest="end", type=date.fromisoformat, help="range end, exclusive")
    cover.add_argument("--grid", default="", help="only grids of this grid's subtree")
    cover.add_argument("--output", type=Path, help="file to write; default stdout")
    return parser


def main(argv: Sequence[str] | None = None, *, clock: Clock | None = None) -> int:
    """Run one command; 0 when it worked, 1 (the reason on stderr) when it did not."""
    args = _parser().parse_args(argv)
    clock = clock or SystemClock()
    try:
        env = Env()
        engine = create_database_engine(database_url(env))
        try:
            sessions = create_session_factory(engine)
            if args.command == "rebuild":
                migrate(engine, MIGRATIONS)
                rebuild(sessions, KafkaSettings.from_env(env), clock)
            elif args.command in HOT_SPOT_COMMANDS:
                HOT_SPOT_COMMANDS[args.command](sessions, args, clock)
            else:
                export(sessions, args, clock)
        finally:
            engine.dispose()
    except (GridPlusError, ConfigError, OSError) as exc:
        print(f"{PACKAGE}: {exc}", file=sys.stderr)
        return 1
    except SQLAlchemyError as exc:  # e.g. an unmigrated database: "no such table"
        print(f"{PACKAGE}: database: {getattr(exc, 'orig', None) or exc}", file=sys.stderr)
        return 1
    return 0


def database_url(env: Env) -> str:
    """The service's database URL, as kit ServiceSettings derives it, without its other needs."""
    var_dir = Path(env.text("GRIDPLUS_VAR_DIR", "var"))
    return env.text(
        f"{SERVICES[PACKAGE].env_prefix}_DATABASE_URL", f"sqlite:///{var_dir}/{PACKAGE}.db"
    )


def _window(args: argparse.Namespace, clock: Clock) -> Window:
    if args.start or args.end:
        if not (args.start and args.end) or args.end <= args.start:
            raise SystemExit("--from and --to go together, and --to must be after --from")
        return Window(args.start, args.end)
    anchor = args.date or clock.now().date()
    return Window(*period_range(PeriodKind(args.period), anchor))


def export(sessions: SessionFactory, args: argparse.Namespace, clock: Clock) -> None:
    window = _window(args, clock)
    kind = SubjectKind(args.kind)
    with transaction(sessions) as session:
        cards = scorecards.scorecards(session, kind, window, grid_level=args.level)
    text = convert.to_csv(cards) if args.format == "csv" else convert.to_json(cards)
    if args.output:
        args.output.write_text(text, encoding="utf-8")
        print(f"wrote {len(cards)} scorecard(s) to {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(text)


def rebuild(sessions: SessionFactory, settings: KafkaSettings, clock: Clock) -> None:
    consumer = kafka.create_consumer(
        settings, f"evaluation-rebuild-{uuid.uuid4().hex[:8]}", "evaluation-rebuild"
    )
    try:
        count = replay(
            consumer,
            sessions,
            REBUILD_TOPICS,
            REBUILD_HANDLERS,  # type: ignore[arg-type]
            consumer_name=SERVICES[PACKAGE].name,
            clock=clock,
        )
    finally:
        consumer.close(autocommit=False)
    print(f"replayed {count.read} event(s): {count.applied} applied, {count.skipped} skipped")


def hot_spots(sessions: SessionFactory, args: argparse.Namespace, clock: Clock) -> None:
    rule = hotspots.rising_rule(args.baseline, args.alpha)
    anchor = args.date or clock.now().date()
    with transaction(sessions) as session:
        report = hotspots.hot_spots(
            session,
            None,
            PeriodKind(args.period),
            anchor,
            grid_level=args.level,
            grid_code=args.grid,
            rule=rule,
        )
    chosen = report.rising if args.rising else report.spots
    _write(hotspot_convert.hot_spots_csv(report, chosen), args.output, f"{len(chosen)} hot spot(s)")


def repeats(sessions: SessionFactory, args: argparse.Namespace, clock: Clock) -> None:
    settings = hotspots.repeat_settings(args.radius, args.min_points, args.recent_days, args.limit)
    with transaction(sessions) as session:
        found, considered = hotspots.repeat_locations(
            session, None, clock.now(), settings, grid_code=args.grid
        )
    what = f"{len(found)} repeat location(s) among {considered} petition(s)"
    _write(hotspot_convert.repeats_csv(found), args.output, what)


def _write(text: str, output: Path | None, what: str) -> None:
    if output:
        output.write_text(text, encoding="utf-8")
        print(f"wrote {what} to {output}", file=sys.stderr)
    else:
        sys.stdout.write(text)


def coverage_export(sessions: SessionFactory, args: argparse.Namespace, clock: Clock) -> None:
    window = _window(args, clock)
    with transaction(sessions) as session:
        cards = coverage.coverage_cards(
            session, SubjectKind(args.kind), window, grid_level=args.level, within=args.grid
        )
    _write(convert.coverage_csv(cards), args.output, f"coverage of {len(cards)} {args.kind}(s)")


HOT_SPOT_COMMANDS = {"hotspots": hot_spots, "repeats": repeats, "coverage": coverage_export}
