"""Resident memory and CPU time of the service processes and of the whole machine, read from
/proc."""

from __future__ import annotations

import os
import threading
from pathlib import Path


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time the process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_busy_seconds(stat: str | None = None) -> float:
    """CPU time the whole machine has spent busy so far, summed over its cores: everything but
    idle and iowait in /proc/stat's first line (the broker, PostgreSQL and the load generator
    count too, so a run can say how much of the machine was left)."""
    text = Path("/proc/stat").read_text() if stat is None else stat
    first = text.splitlines()[0].split()
    if first[0] != "cpu":
        raise ValueError(f"/proc/stat should start with the cpu line, got {first[0]!r}")
    # user nice system idle iowait irq softirq steal (guest time is inside user already)
    ticks = [int(value) for value in first[1:9]]
    busy = sum(ticks) - ticks[3] - ticks[4]
    return busy / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


class PeakSampler:
    """Highest RSS seen per process while running (sampled every 0.2 s)."""

    def __init__(self, pids: dict[str, int]) -> None:
        self._pids = pids
        self.peak = dict.fromkeys(pids, 0.0)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> PeakSampler:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(0.2):
            for name, pid in self._pids.items():
                try:
                    self.peak[name] = max(self.peak[name], rss_mb(pid))
                except OSError:
                    continue
