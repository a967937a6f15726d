"""`make bench`: one run prints every figure (nothing here is asserted) and keeps them as JSON.

    python -m bench [--quick] [--db sqlite|postgresql] [--json PATH]   a run (make bench)
    python -m bench compare A.json B.json                              figures side by side, B/A
    python -m bench profile [--db …] [--petitions N]                  py-spy on every service

A run: the whole path (HTTP submit → … → ASSIGNED) closed loop and open loop, issue 13's "done"
count, CPU per petition per service, resident memory idle and at peak, the raw broker and
database rates of the same run (and the path as a ratio of them), LocateGrid over gRPC; the full
run also grid location in process, the classifier and the deadline scan (bench/run.py).
"""

from __future__ import annotations

import argparse
import os
import sys
from datetime import UTC, datetime
from pathlib import Path

from bench import run
from bench.figures import Figures, Progress, compare, default_json_path, run_meta
from tools.stack import ROOT


def main(argv: list[str]) -> None:
    if argv[:1] == ["compare"]:
        parser = argparse.ArgumentParser(prog="python -m bench compare")
        parser.add_argument("a", type=Path)
        parser.add_argument("b", type=Path)
        args = parser.parse_args(argv[1:])
        print(f"A: {args.a}\nB: {args.b}")
        print("\n".join(compare(Figures.read(args.a), Figures.read(args.b))))
        return
    profiling = argv[:1] == ["profile"]
    args = _parser(profiling).parse_args(argv[1:] if profiling else argv)
    started = datetime.now(UTC)
    json_path = args.json or default_json_path(ROOT, started)
    settings = _settings(args, profiling, json_path)
    figures = Figures(meta=run_meta(db=args.db, quick=settings.quick, argv=argv))
    load = ", ".join(f"{x:.2f}" for x in figures.meta["load_average"])
    print(f"bench on {args.db}, load average at start {load} ({figures.meta['cpus']} CPUs)")
    progress = Progress()
    try:
        run.run(settings, figures, progress)
    finally:
        figures.meta["phase_seconds"] = progress.seconds
        figures.meta["load_average_end"] = list(os.getloadavg())
        figures.write(json_path)
        print("== figures ==")
        print("\n".join(run.summary_lines(figures)))
        print(f"figures written to {json_path}")
        if settings.profile_dir is not None:
            print(f"profiles (speedscope JSON, folded stacks) in {settings.profile_dir}")


def _parser(profiling: bool) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench" + (" profile" if profiling else ""))
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--quick", action="store_true", help="small counts, ≤ 90 s")
    parser.add_argument("--json", type=Path, help="default var/bench/<utc time>.json")
    parser.add_argument("--petitions", type=int, help="closed loop petitions")
    parser.add_argument("--concurrency", type=int, help="closed loop clients")
    parser.add_argument("--rate", type=float, help="open loop petitions/s")
    parser.add_argument("--seconds", type=float, help="open loop duration")
    return parser


def _settings(args: argparse.Namespace, profiling: bool, json_path: Path) -> run.Settings:
    # A profile loads the path only (QUICK's shape, more petitions for more samples) and keeps
    # its files beside the run's JSON.
    profile_dir = json_path.with_suffix("") if profiling else None
    base = (
        run.Settings.quick_settings(args.db, profile_dir)
        if args.quick or profiling
        else run.Settings(args.db)
    )
    return run.Settings(
        db=args.db,
        quick=base.quick,
        petitions=args.petitions or (600 if profiling else base.petitions),
        concurrency=args.concurrency or base.concurrency,
        open_rate=args.rate or base.open_rate,
        open_seconds=args.seconds if args.seconds is not None else base.open_seconds,
        profile_dir=profile_dir,
        open_loop=not profiling,
    )


if __name__ == "__main__":
    main(sys.argv[1:])
