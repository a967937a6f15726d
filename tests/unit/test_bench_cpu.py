"""The open loop's CPU accounting in `make bench`: the machine's busy time read from /proc/stat
and the line that says how much of the machine an open loop used (pure: no processes)."""

from __future__ import annotations

import os

import pytest

from bench.figures import Figures
from bench.memory import machine_busy_seconds
from bench.run import CpuUse, open_cpu_line, summary_lines
from tools.stack import START_ORDER

TICK = os.sysconf("SC_CLK_TCK")


def test_machine_busy_time_leaves_out_idle_and_iowait() -> None:
    # user nice system idle iowait irq softirq steal guest guest_nice
    stat = "cpu  100 20 30 5000 400 5 6 7 0 0\ncpu0 50 10 15 2500 200 2 3 3 0 0\n"
    assert machine_busy_seconds(stat) == pytest.approx((100 + 20 + 30 + 5 + 6 + 7) / TICK)


def test_machine_busy_time_refuses_a_file_that_is_not_proc_stat() -> None:
    with pytest.raises(ValueError, match="should start with the cpu line, got 'intr'"):
        machine_busy_seconds("intr 1 2 3\n")


def test_the_real_proc_stat_moves_forward() -> None:
    before = machine_busy_seconds()
    sum(n * n for n in range(200_000))  # some CPU of our own
    assert machine_busy_seconds() >= before > 0


def test_open_loop_cpu_line_gives_each_service_per_petition_and_the_cores_used() -> None:
    before = CpuUse(
        wall=100.0,
        services=dict.fromkeys(START_ORDER, 10.0),
        load_generator=1.0,
        machine=50.0,
    )
    after = CpuUse(
        wall=110.0,  # 10 s of open loop
        services={name: 10.0 + 0.5 * (i + 1) for i, name in enumerate(START_ORDER)},
        load_generator=4.0,
        machine=70.0,
    )
    figures = Figures()
    line = open_cpu_line(after.since(before), 500, figures)

    # 500 petitions: 0.5 s of a service's CPU is 1 ms per petition, 2.5 s is 5 ms
    assert figures.get(f"path.open.cpu_per_petition.{START_ORDER[0]}") == pytest.approx(1.0)
    assert figures.get(f"path.open.cpu_per_petition.{START_ORDER[-1]}") == pytest.approx(5.0)
    assert figures.get("path.open.cpu_per_petition.total") == pytest.approx(15.0)
    assert figures.get("path.open.cores.services") == pytest.approx(0.75)
    assert figures.get("path.open.cores.load_generator") == pytest.approx(0.3)
    assert figures.get("path.open.cores.machine") == pytest.approx(2.0)
    assert "= 15.00 ms" in line
    assert f"open loop: busy 2.00 of {os.cpu_count()} cores" in line
    assert "load generator 0.30" in line
    assert "the rest 0.95" in line


def test_the_summary_gives_latencies_in_raw_transactions_but_not_cpu_times() -> None:
    figures = Figures()
    figures.add("raw.db_tx", 2000.0, "tx/s")
    figures.add("raw.broker_produce", 10000.0, "msg/s")
    figures.add("path.open.p50", 100.0, "ms")
    figures.add("path.open.cpu_per_petition.total", 13.6, "ms")

    lines = {line.split()[0]: line for line in summary_lines(figures)}

    assert lines["path.open.p50"].endswith("= 200 DB tx, 1,000 produces")
    assert "DB tx" not in lines["path.open.cpu_per_petition.total"]
