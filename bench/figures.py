"""A bench run's figures: collected by name, printed as each phase goes, kept as JSON, compared.

Pure (no stack, no broker): the unit tests in tests/unit/test_bench_figures.py cover it.

A run's JSON: {"meta": {"commit", "load_average", "started", "db", "quick", …},
"figures": {name: {"value": float, "unit": str}}}. `python -m bench compare A.json B.json` prints
each figure of either run with the ratio B/A.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO


def percentile(values: Iterable[float], p: float) -> float:
    """The nearest-rank percentile (p in 0..100) of `values`; NaN for none.

    Nearest rank, not interpolated: a p99 of 100 latencies is one that was really seen."""
    ordered = sorted(values)
    if not ordered:
        return math.nan
    if not 0 <= p <= 100:
        raise ValueError(f"percentile p must be within 0..100, got {p}")
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


@dataclass
class Figures:
    """Every figure of one run by name, with its unit, and what the run was (meta)."""

    meta: dict[str, Any] = field(default_factory=dict)
    values: dict[str, tuple[float, str]] = field(default_factory=dict)

    def add(self, name: str, value: float, unit: str) -> float:
        self.values[name] = (float(value), unit)
        return float(value)

    def get(self, name: str) -> float | None:
        found = self.values.get(name)
        return found[0] if found else None

    def to_json(self) -> str:
        figures = {name: {"value": _plain(v), "unit": u} for name, (v, u) in self.values.items()}
        return json.dumps({"meta": self.meta, "figures": figures}, indent=2, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> Figures:
        data = json.loads(text)
        if not isinstance(data, dict) or not isinstance(data.get("figures"), dict):
            raise ValueError("not a bench run: no 'figures' object")
        values = {
            name: (math.nan if f["value"] is None else float(f["value"]), str(f.get("unit", "")))
            for name, f in data["figures"].items()
        }
        return cls(meta=dict(data.get("meta") or {}), values=values)

    def write(self, path: Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.to_json() + "\n")
        return path

    @classmethod
    def read(cls, path: Path) -> Figures:
        return cls.from_json(path.read_text())


def _plain(value: float) -> float | None:
    """JSON has no NaN/inf: a figure the run could not measure is null."""
    return None if math.isnan(value) or math.isinf(value) else value


def ratio(a: float | None, b: float | None) -> float | None:
    """B/A, or None when either is missing or A is zero (no meaningful ratio)."""
    if a is None or b is None or math.isnan(a) or math.isnan(b) or a == 0:
        return None
    return b / a


def compare(a: Figures, b: Figures) -> list[str]:
    """One line per figure of either run: name, A, B, B/A (names of A first, then B's new ones)."""
    names = list(a.values) + [n for n in b.values if n not in a.values]
    width = max([len(n) for n in names] + [6])
    lines = [f"{'figure':<{width}}  {'A':>12}  {'B':>12}  {'B/A':>7}  unit"]
    for name in names:
        va, vb = a.get(name), b.get(name)
        unit = (a.values.get(name) or b.values.get(name) or (0.0, ""))[1]
        r = ratio(va, vb)
        lines.append(
            f"{name:<{width}}  {_cell(va):>12}  {_cell(vb):>12}  "
            f"{'-' if r is None else f'{r:.2f}':>7}  {unit}"
        )
    return lines


def _cell(value: float | None) -> str:
    if value is None:
        return "-"
    if math.isnan(value):
        return "n/a"
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}"


class Progress:
    """A line when each phase starts and one when it ends, with its seconds, so a long run shows
    where it is (and a slow phase is named)."""

    def __init__(
        self, out: TextIO | None = None, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._out = out or sys.stdout
        self._clock = clock
        self._started = clock()
        self.seconds: dict[str, float] = {}

    def say(self, line: str) -> None:
        print(line, file=self._out, flush=True)

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        at = self._clock()
        self.say(f"[{at - self._started:6.1f} s] ▶ {name}")
        outcome = "failed"
        try:
            yield
            outcome = "done"
        finally:
            end = self._clock()
            self.seconds[name] = end - at
            self.say(f"[{end - self._started:6.1f} s] ■ {name}: {outcome} in {end - at:.1f} s")

    def skip(self, name: str, why: str) -> None:
        self.say(f"[{self._clock() - self._started:6.1f} s] · {name}: skipped ({why})")


def run_meta(*, db: str, quick: bool, argv: list[str]) -> dict[str, Any]:
    """What a run was: the commit, the machine's load when it started (a busy machine explains a
    slow run), when, on which database, with what arguments."""
    return {
        "commit": _git_commit(),
        "load_average": list(os.getloadavg()),
        "cpus": os.cpu_count(),
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
        "db": db,
        "quick": quick,
        "argv": argv,
    }


def default_json_path(root: Path, now: datetime) -> Path:
    return root / "var" / "bench" / f"{now.astimezone(UTC).strftime('%Y%m%dT%H%M%SZ')}.json"


def _git_commit() -> str:
    """HEAD (+dirty when the tree differs), or GRIDPLUS_BENCH_COMMIT for a run from an exported
    copy of a commit (`git archive`), which has no .git of its own."""
    if os.environ.get("GRIDPLUS_BENCH_COMMIT"):
        return os.environ["GRIDPLUS_BENCH_COMMIT"]
    try:
        done = subprocess.run(
            ["git", "rev-parse", "HEAD"], capture_output=True, text=True, check=True, timeout=10
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    dirty = subprocess.run(["git", "diff", "--quiet", "HEAD"], capture_output=True, timeout=30)
    return done.stdout.strip() + ("+dirty" if dirty.returncode else "")
