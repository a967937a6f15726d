"""Operator commands beside serve and migrate.

    python -m gridplus.evaluation export --kind grid --level 1 --period month --date 2025-03-04 \
        --format csv [--output FILE]
    python -m gridplus.evaluation rebuild

`export` writes a period's scorecards (every subject of the kind) as CSV or JSON to stdout or a
file. `rebuild` migrates the configured database and replays the petition, dispatch and
evaluation topics from the start into it (stop the service first; see messaging/replay.py).
"""

from __future__ import annotations

import argparse
import sys
import uuid
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from gridplus.evaluation.api import convert
from gridplus.evaluation.domain.periods import PeriodKind, period_range
from gridplus.evaluation.domain.scorecard import SubjectKind, Window
from gridplus.evaluation.handlers import scorecards
from gridplus.evaluation.messaging.consumers import REBUILD_HANDLERS, REBUILD_TOPICS
from gridplus.evaluation.messaging.replay import replay
from gridplus.kit import kafka
from gridplus.kit.db import transaction
from gridplus.kit.service import ServiceApp

COMMANDS = ("export", "rebuild")


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
    return parser


def run(app: ServiceApp, argv: Sequence[str]) -> None:
    args = _parser().parse_args(argv)
    if args.command == "rebuild":
        rebuild(app)
    else:
        export(app, args)


def export(app: ServiceApp, args: argparse.Namespace) -> None:
    if args.start or args.end:
        if not (args.start and args.end) or args.end <= args.start:
            raise SystemExit("--from and --to go together, and --to must be after --from")
        window = Window(args.start, args.end)
    else:
        anchor = args.date or app.clock.now().date()
        window = Window(*period_range(PeriodKind(args.period), anchor))
    kind = SubjectKind(args.kind)
    with transaction(app.sessions) as session:
        cards = scorecards.scorecards(session, kind, window, grid_level=args.level)
    text = convert.to_csv(cards) if args.format == "csv" else convert.to_json(cards)
    if args.output:
        args.output.write_text(text, encoding="utf-8")
        print(f"wrote {len(cards)} scorecard(s) to {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(text)


def rebuild(app: ServiceApp) -> None:
    app.migrate()
    consumer = kafka.create_consumer(
        app.settings.kafka, f"evaluation-rebuild-{uuid.uuid4().hex[:8]}", "evaluation-rebuild"
    )
    try:
        count = replay(
            consumer,
            app.sessions,
            REBUILD_TOPICS,
            REBUILD_HANDLERS,  # type: ignore[arg-type]
            consumer_name=app.settings.spec.name,
            clock=app.clock,
        )
    finally:
        consumer.close(autocommit=False)
    print(f"replayed {count.read} event(s): {count.applied} applied, {count.skipped} skipped")
