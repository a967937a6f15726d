"""The pure parts of `make bench`: a run's figures kept as JSON and read back, two runs compared
with B/A, nearest-rank percentiles, and the phase progress lines (no timed assertion: the clock
is a fake that moves by hand)."""

from __future__ import annotations

import io
import json
import math
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bench.figures import Figures, Progress, compare, default_json_path, percentile, ratio
from tools.stack import ROOT


def test_percentile_is_a_value_that_was_seen_nearest_rank() -> None:
    latencies = [float(n) for n in range(1, 101)]  # 1..100
    assert percentile(latencies, 50) == 50.0
    assert percentile(latencies, 99) == 99.0
    assert percentile(latencies, 100) == 100.0
    assert percentile(reversed(latencies), 0) == 1.0  # order of arrival does not matter
    assert percentile([7.0], 99) == 7.0
    assert math.isnan(percentile([], 50))


def test_percentile_outside_0_to_100_is_refused_naming_it() -> None:
    with pytest.raises(ValueError, match=r"percentile p must be within 0\.\.100, got 101"):
        percentile([1.0, 2.0], 101)


def test_figures_survive_a_round_trip_through_json(tmp_path: Path) -> None:
    run = Figures(meta={"commit": "abc123", "load_average": [0.5, 0.4, 0.3], "db": "sqlite"})
    run.add("path.closed.rate", 23.7, "petitions/s")
    run.add("done.missing", 0, "petitions")
    run.add("done.lag_zero_after", math.nan, "s")  # not measured: null in JSON
    path = run.write(tmp_path / "var" / "bench" / "a.json")

    data = json.loads(path.read_text())
    assert data["meta"]["commit"] == "abc123"
    assert data["figures"]["path.closed.rate"] == {"value": 23.7, "unit": "petitions/s"}
    assert data["figures"]["done.lag_zero_after"]["value"] is None

    back = Figures.read(path)
    assert back.meta == run.meta
    assert back.get("path.closed.rate") == 23.7
    assert back.get("done.missing") == 0.0
    assert math.isnan(back.get("done.lag_zero_after") or 0.0)
    assert back.get("not.there") is None


def test_a_file_that_is_not_a_bench_run_is_refused_clearly() -> None:
    with pytest.raises(ValueError, match=r"not a bench run: no .figures. object"):
        Figures.from_json('{"meta": {}}')


def test_ratio_is_b_over_a_and_absent_when_meaningless() -> None:
    assert ratio(12.0, 150.0) == pytest.approx(12.5)
    assert ratio(0.0, 5.0) is None
    assert ratio(None, 5.0) is None
    assert ratio(5.0, math.nan) is None


def test_compare_prints_every_figure_of_both_runs_with_b_over_a() -> None:
    a, b = Figures(), Figures()
    a.add("path.closed.rate", 12.0, "petitions/s")
    a.add("cpu_per_petition.total", 109.0, "ms")
    a.add("only.in.a", 1.0, "s")
    b.add("path.closed.rate", 150.0, "petitions/s")
    b.add("cpu_per_petition.total", 10.9, "ms")
    b.add("only.in.b", 2.0, "s")

    lines = compare(a, b)

    rows = {line.split()[0]: line.split() for line in lines[1:]}
    assert rows["path.closed.rate"][1:] == ["12", "150", "12.50", "petitions/s"]
    assert rows["cpu_per_petition.total"][1:] == ["109", "10.9", "0.10", "ms"]
    assert rows["only.in.a"][1:] == ["1", "-", "-", "s"]
    assert rows["only.in.b"][1:] == ["-", "2", "-", "s"]
    assert list(rows) == ["path.closed.rate", "cpu_per_petition.total", "only.in.a", "only.in.b"]


def test_python_m_bench_compare_reads_two_runs(tmp_path: Path) -> None:
    a, b = Figures(), Figures()
    a.add("path.closed.rate", 10.0, "petitions/s")
    b.add("path.closed.rate", 25.0, "petitions/s")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench",
            "compare",
            str(a.write(tmp_path / "a.json")),
            str(b.write(tmp_path / "b.json")),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONPATH": f"{ROOT / 'services'}:{ROOT}", "PATH": "/usr/bin:/bin"},
    )
    assert "path.closed.rate" in done.stdout
    assert "2.50" in done.stdout


def test_progress_prints_a_line_as_each_phase_starts_and_ends_with_its_seconds() -> None:
    now = [100.0]
    out = io.StringIO()
    progress = Progress(out, clock=lambda: now[0])

    with progress.phase("raw broker rates"):
        now[0] += 2.5
    progress.skip("LocateGrids stream", "QUICK")
    with pytest.raises(RuntimeError), progress.phase("closed loop"):
        now[0] += 1.0
        raise RuntimeError("broker away")

    assert out.getvalue().splitlines() == [
        "[   0.0 s] ▶ raw broker rates",
        "[   2.5 s] ■ raw broker rates: done in 2.5 s",
        "[   2.5 s] · LocateGrids stream: skipped (QUICK)",
        "[   2.5 s] ▶ closed loop",
        "[   3.5 s] ■ closed loop: failed in 1.0 s",
    ]
    assert progress.seconds == {"raw broker rates": 2.5, "closed loop": 1.0}


def test_default_json_path_is_var_bench_utc_timestamp() -> None:
    at = datetime(2026, 12, 4, 3, 21, 40, tzinfo=UTC)
    assert default_json_path(Path("/repo"), at) == Path("/repo/var/bench/20261204T032140Z.json")
