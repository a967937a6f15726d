"""The stack a bench run drives: the broker and the five services, one process each, on free
ports, on SQLite files (the default) or with every service on its own PostgreSQL database.

PostgreSQL: databases `gridplus_bench_<random>_<service>` on tools/scaled_stack.py's admin URL
(GRIDPLUS_POSTGRES_ADMIN_URL, default the machine's 127.0.0.1:5432), created and migrated before
the services start (as the chart's migration Job does), dropped when the run ends. No broker
proxy (the scaled stack's, for broker restarts): the bench measures the services, not the proxy.
"""

from __future__ import annotations

import subprocess
import sys
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from gridplus.kit.topology import SERVICES
from tests.support.ports import free_port
from tools.scaled_stack import drop_database, ensure_database
from tools.stack import ROOT, ROUTE_EVERYTHING, START_ORDER, LocalStack, Ports


@dataclass
class BenchStack:
    stack: LocalStack
    database_urls: dict[str, str]  # per service package

    @property
    def pids(self) -> dict[str, int]:
        return {name: process.pid for name, process in self.stack.processes.items()}

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.stack.ports.broker}"


@contextmanager
def running_stack(var_dir: Path, db: str, *, timeout: float = 120) -> Iterator[BenchStack]:
    ports = Ports(
        grpc={p: free_port() for p in START_ORDER},
        metrics={p: free_port() for p in START_ORDER},
        http=free_port(),
        broker=free_port(),
        console=free_port(),
        webhook_receiver=free_port(),
    )
    names: dict[str, str] = {}
    urls = {p: f"sqlite:///{var_dir.resolve()}/{p}.db" for p in START_ORDER}
    env = dict(ROUTE_EVERYTHING)
    stack = LocalStack(var_dir, ports, env)
    try:
        if db == "postgresql":
            prefix = f"gridplus_bench_{uuid.uuid4().hex[:8]}"
            names = {p: f"{prefix}_{p}" for p in START_ORDER}
            urls = {p: ensure_database(name) for p, name in names.items()}
            stack.extra_env.update(
                {f"{SERVICES[p].env_prefix}_DATABASE_URL": url for p, url in urls.items()}
            )
            _migrate(stack)
        try:
            stack.start(timeout=timeout)
        except Exception:
            _print_logs(var_dir / "logs")  # the temporary directory goes with the run
            raise
        yield BenchStack(stack, urls)
    finally:
        stack.stop()
        with ThreadPoolExecutor(len(START_ORDER)) as pool:
            list(pool.map(drop_database, names.values()))


def _migrate(stack: LocalStack) -> None:
    """Each service's database migrated once before anything uses it (load-demo included),
    the five side by side."""

    def migrate(package: str) -> None:
        done = subprocess.run(
            [sys.executable, "-m", f"gridplus.{package}", "migrate"],
            env=stack.env(),
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            raise RuntimeError(f"{package} migrate failed: {done.stderr[-2000:]}")

    with ThreadPoolExecutor(len(START_ORDER)) as pool:
        list(pool.map(migrate, START_ORDER))


@contextmanager
def scratch_database(db: str, var_dir: Path) -> Iterator[str]:
    """A database for the raw insert rate, of the same kind as the services'."""
    if db != "postgresql":
        yield f"sqlite:///{var_dir.resolve()}/raw.db"
        return
    name = f"gridplus_bench_raw_{uuid.uuid4().hex[:8]}"
    try:
        yield ensure_database(name)
    finally:
        drop_database(name)


def _print_logs(logs: Path, lines: int = 25) -> None:
    for log in sorted(logs.glob("*.log")):
        tail = log.read_text(errors="replace").splitlines()[-lines:]
        print(f"-- last lines of {log.name} --", *tail, sep="\n", flush=True)
