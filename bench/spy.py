"""py-spy on the services while the bench loads them: one recorder per process, its samples
written as speedscope JSON (open at speedscope.app) and as folded stacks (flamegraph.pl's input,
one `frame;frame;frame count` line per stack), and each service's top frames by own and by
cumulative time, in % of that process's samples.

py-spy counts only samples where a thread is running Python or native code (idle threads
waiting on a lock or a socket are left out), so the percentages are shares of CPU time, not of
wall time. The parsing below is pure and unit-tested (tests/unit/test_bench_spy.py).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SAMPLES_PER_SECOND = 100

# Innermost frames where a thread waits (a lock, a queue, a socket, a gRPC reply). py-spy leaves
# out threads the kernel has asleep, but on a loaded 2-core machine a woken thread stays runnable
# in these frames until it gets a CPU (or the GIL): those samples are waiting, not work.
WAIT_FRAMES = frozenset(
    {
        "Condition.wait (stdlib/threading.py)",
        "Event.wait (stdlib/threading.py)",
        "_worker (stdlib/concurrent/futures/thread.py)",
        "EpollSelector.select (stdlib/selectors.py)",
        "_PollLikeSelector.select (stdlib/selectors.py)",
        "_UnaryUnaryMultiCallable._blocking (grpc/_channel.py)",
        "_status (grpc/_server.py)",
        "_serve (grpc/_server.py)",
        "handler_thread (waitress/task.py)",
        "Connection.wait (psycopg/connection.py)",  # PostgreSQL's answer to a statement
    }
)
# Frames on nearly every stack (thread start-up, the service runner's loop): true but no help
# in a cumulative ranking.
PLUMBING = frozenset(
    {
        "Thread.run (stdlib/threading.py)",
        "Thread._bootstrap (stdlib/threading.py)",
        "Thread._bootstrap_inner (stdlib/threading.py)",
        "ServiceRunner.supervise.<locals>.run (gridplus/kit/runner.py)",
    }
)


@dataclass
class Profile:
    samples: int
    own: Counter[str]  # frame → samples where it was the innermost frame
    cumulative: Counter[str]  # frame → samples where it was anywhere on the stack
    folded: Counter[str]  # "outer;…;inner" → samples

    def top(self, by: str, count: int = 15) -> list[tuple[str, float]]:
        """The `count` frames with the most own or cumulative samples, with their % of all
        samples; waiting frames (own) and start-up plumbing (cumulative) left out."""
        counter = self.own if by == "own" else self.cumulative
        skip = WAIT_FRAMES if by == "own" else PLUMBING
        ranked = [(f, n) for f, n in counter.most_common() if f not in skip][:count]
        return [(frame, 100 * n / max(1, self.samples)) for frame, n in ranked]

    @property
    def waiting(self) -> float:
        """% of samples whose innermost frame is a wait (see WAIT_FRAMES)."""
        return 100 * sum(self.own[f] for f in WAIT_FRAMES) / max(1, self.samples)

    def by_package(self) -> list[tuple[str, float]]:
        """Own time by the library (or Grid+ package) the innermost frame is in, waits apart."""
        shares: Counter[str] = Counter()
        for frame, n in self.own.items():
            shares["(waiting)" if frame in WAIT_FRAMES else package_of(frame)] += n
        return [(p, 100 * n / max(1, self.samples)) for p, n in shares.most_common()]


def frame_label(frame: dict[str, Any]) -> str:
    """`function (module/file.py)`: the line left out, so a function's samples add up over its
    lines; the path shortened to where the code lives (site-packages or this checkout)."""
    return f"{frame.get('name', '?')} ({short_path(str(frame.get('file', '')))})"


def short_path(path: str) -> str:
    for marker in ("site-packages/", "services/"):
        if marker in path:
            return path.split(marker, 1)[1]
    if "/lib/python3" in path:  # the standard library: /…/lib/python3.11/threading.py
        return "stdlib/" + path.split("/lib/python3", 1)[1].split("/", 1)[-1]
    return path


def parse_speedscope(document: dict[str, Any]) -> Profile:
    """Every thread's samples of one py-spy speedscope file, added up (stacks root first).

    Each sample counts once: py-spy's weights are its sampling interval in seconds."""
    labels = [frame_label(f) for f in document["shared"]["frames"]]
    own: Counter[str] = Counter()
    cumulative: Counter[str] = Counter()
    folded: Counter[str] = Counter()
    total = 0
    for profile in document.get("profiles", []):
        for stack in profile.get("samples", []):
            if not stack:
                continue
            names = [labels[i] for i in stack]
            total += 1
            own[names[-1]] += 1
            for name in set(names):
                cumulative[name] += 1
            folded[";".join(names)] += 1
    return Profile(total, own, cumulative, folded)


def package_of(label: str) -> str:
    """`gridplus/kit` or `gridplus/<service>` for Grid+ code, the top module otherwise."""
    path = label.rsplit(" (", 1)[-1].rstrip(")")
    parts = path.split("/")
    if parts[0] == "gridplus" and len(parts) > 2:
        return "/".join(parts[:2])
    if parts[0] == "stdlib" and len(parts) > 2:
        return "/".join(parts[:2])
    return parts[0] if len(parts) > 1 else path


def folded_text(profile: Profile) -> str:
    return "".join(f"{stack} {n}\n" for stack, n in sorted(profile.folded.items()))


def py_spy() -> str:
    """The venv's py-spy (a dev dependency), else one on PATH."""
    beside = Path(sys.executable).with_name("py-spy")
    found = str(beside) if beside.exists() else shutil.which("py-spy")
    if not found:
        raise RuntimeError("py-spy is not installed: make install (it is a dev dependency)")
    return found


class Recorders:
    """One `py-spy record` per service process, started now, stopped (SIGINT: py-spy then
    writes its file) by `stop`."""

    def __init__(self, pids: dict[str, int], directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.directory = directory
        self.files = {name: directory / f"{name}.speedscope.json" for name in pids}
        self._logs = {name: open(directory / f"{name}.py-spy.log", "wb") for name in pids}  # noqa: SIM115
        self._processes = {
            name: subprocess.Popen(
                [
                    py_spy(),
                    "record",
                    "--pid",
                    str(pid),
                    "--rate",
                    str(SAMPLES_PER_SECOND),
                    # Read the process's memory while it runs instead of pausing it per
                    # sample: the services keep their pace on a busy 2-core machine.
                    "--nonblocking",
                    "--format",
                    "speedscope",
                    "--output",
                    str(self.files[name]),
                ],
                stdout=subprocess.DEVNULL,
                stderr=self._logs[name],
            )
            for name, pid in pids.items()
        }

    def stop(self, timeout: float = 60) -> dict[str, Profile]:
        for process in self._processes.values():
            if process.poll() is None:
                os.kill(process.pid, signal.SIGINT)
        profiles: dict[str, Profile] = {}
        for name, process in self._processes.items():
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            self._logs[name].close()
            path = self.files[name]
            if not path.exists():
                continue  # py-spy could not attach (see its log)
            profile = parse_speedscope(json.loads(path.read_text()))
            path.with_suffix("").with_suffix(".folded").write_text(folded_text(profile))
            profiles[name] = profile
        return profiles


def report(name: str, profile: Profile, count: int = 15) -> list[str]:
    lines = [f"-- {name}: {profile.samples:,} samples, {profile.waiting:.1f}% waiting --"]
    packages = ", ".join(f"{p} {share:.1f}%" for p, share in profile.by_package()[:8])
    lines.append(f"  own time by package: {packages}")
    for by in ("own", "cumulative"):
        lines.append(f"  top {count} by {by} time:")
        lines += [f"    {share:5.1f}%  {frame}" for frame, share in profile.top(by, count)]
    return lines


def report_directory(directory: Path, count: int = 15) -> list[str]:
    """The report of a profile run's files again (python -m bench.spy DIR)."""
    lines: list[str] = []
    for path in sorted(directory.glob("*.speedscope.json")):
        name = path.name.removesuffix(".speedscope.json")
        lines += report(name, parse_speedscope(json.loads(path.read_text())), count)
    return lines


if __name__ == "__main__":
    print("\n".join(report_directory(Path(sys.argv[1]))))
