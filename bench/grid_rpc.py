"""grid-registry over gRPC, against the real service process: LocateGrid latency with concurrent
callers, and the LocateGrids batch stream's end-to-end throughput.

`make bench` calls `report` on its running stack; `python -m bench.grid_rpc` starts just the broker
and grid-registry (with the demo city) and reports the same figures.
"""

from __future__ import annotations

import multiprocessing
import os
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Barrier
from pathlib import Path

import grpc
import numpy as np

from bench.figures import percentile
from bench.locate import NYC_BBOX, sample_points
from gridplus.api.grid.v1 import grid_pb2, grid_pb2_grpc
from gridplus.kit.auth import Role
from tests.support.ports import free_port
from tools.stack import ROUTE_EVERYTHING, START_ORDER, LocalStack, Ports

CALLERS = 8
CALLS_PER_CALLER = 500
BATCH_POINTS = 10_000
BATCHES = 50


@dataclass
class Latency:
    callers: int
    calls: int
    rate: float  # calls/s
    p50: float  # seconds
    p99: float
    caller_cpu: float = 0.0  # seconds of CPU per call in the callers (process time, all callers)

    def line(self) -> str:
        return (
            f"LocateGrid, {self.callers} concurrent caller(s), {self.calls:,} calls: "
            f"{self.rate:,.0f} calls/s, p50 {self.p50 * 1e3:.2f} ms, "
            f"p99 {self.p99 * 1e3:.2f} ms (target < 5 ms)"
        )


def locate_latency(address: str, token: str, callers: int = CALLERS) -> str:
    return measure_locate(address, token, callers).line()


def measure_locate(
    address: str, token: str, callers: int = CALLERS, calls_per_caller: int = CALLS_PER_CALLER
) -> Latency:
    """`callers` processes (spawned, each with its own channel: no GIL shared with the others, as
    separate clients would be), started together by a barrier, calling LocateGrid back to back;
    each sends its latencies back to this process."""
    points = sample_points(callers * calls_per_caller)
    spawn = multiprocessing.get_context("spawn")
    ready = spawn.Barrier(callers + 1)
    results: Queue[tuple[list[float], float]] = spawn.Queue()
    processes = [
        spawn.Process(
            target=_caller,
            args=(
                address,
                token,
                points[n * calls_per_caller : (n + 1) * calls_per_caller],
                ready,
                results,
            ),
            daemon=True,
        )
        for n in range(callers)
    ]
    for process in processes:
        process.start()
    try:
        ready.wait(timeout=120)  # every caller connected and warmed up
        began = time.perf_counter()
        answers = [results.get(timeout=600) for _ in processes]
        seconds = time.perf_counter() - began
    finally:
        for process in processes:
            process.join(timeout=10)
            if process.is_alive():
                process.terminate()
    every = [latency for own, _ in answers for latency in own]
    return Latency(
        callers,
        len(every),
        len(every) / seconds,
        percentile(every, 50),
        percentile(every, 99),
        sum(cpu for _, cpu in answers) / len(every),
    )


def _caller(
    address: str,
    token: str,
    points: list[tuple[float, float]],
    ready: Barrier,
    results: Queue[tuple[list[float], float]],
) -> None:
    """One caller process: connect and warm up, wait for the others, then call back to back."""
    metadata = (("authorization", f"Bearer {token}"),)
    latencies: list[float] = []
    with grpc.insecure_channel(address) as channel:
        stub = grid_pb2_grpc.GridRegistryServiceStub(channel)
        for lat, lon in points[:20]:
            stub.LocateGrid(grid_pb2.LocateGridRequest(lat=lat, lon=lon), metadata=metadata)
        ready.wait(timeout=120)
        cpu = time.process_time()
        for lat, lon in points:
            began = time.perf_counter()
            stub.LocateGrid(
                grid_pb2.LocateGridRequest(lat=lat, lon=lon), metadata=metadata, timeout=5
            )
            latencies.append(time.perf_counter() - began)
        cpu = time.process_time() - cpu
    results.put((latencies, cpu))


def batch_throughput(address: str, token: str) -> str:
    return (
        f"LocateGrids stream, {BATCHES} messages × {BATCH_POINTS:,} points: "
        f"{measure_batch(address, token):,.0f} points/s end to end (target ≥ 100,000)"
    )


def measure_batch(address: str, token: str) -> float:
    """Points/s through one LocateGrids stream of BATCHES messages of BATCH_POINTS random
    points each."""
    metadata = (("authorization", f"Bearer {token}"),)
    rng = np.random.default_rng(3)
    lons = rng.uniform(NYC_BBOX[0], NYC_BBOX[2], BATCH_POINTS).tolist()
    lats = rng.uniform(NYC_BBOX[1], NYC_BBOX[3], BATCH_POINTS).tolist()

    def requests(count: int) -> Iterator[grid_pb2.LocateGridsRequest]:
        for _ in range(count):
            yield grid_pb2.LocateGridsRequest(lats=lats, lons=lons)

    with grpc.insecure_channel(
        address, options=[("grpc.max_receive_message_length", 64 * 1024 * 1024)]
    ) as channel:
        stub = grid_pb2_grpc.GridRegistryServiceStub(channel)
        for _ in stub.LocateGrids(requests(2), metadata=metadata, timeout=60):
            pass  # warm-up
        began = time.perf_counter()
        located = sum(
            len(answer.grid_codes)
            for answer in stub.LocateGrids(requests(BATCHES), metadata=metadata, timeout=120)
        )
        seconds = time.perf_counter() - began
    return located / seconds


def report(address: str, token: str) -> None:
    print(locate_latency(address, token, callers=1))
    print(locate_latency(address, token))
    print(batch_throughput(address, token))


def _cpu_seconds(pid: int) -> float:
    """User + system CPU of process `pid` and its children so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(f) for f in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="gridplus-bench-grid-") as tmp:
        ports = Ports(
            grpc={p: free_port() for p in START_ORDER},
            metrics={p: free_port() for p in START_ORDER},
            http=free_port(),
            broker=free_port(),
        )
        stack = LocalStack(Path(tmp) / "var", ports, ROUTE_EVERYTHING)
        stack.broker("start")
        try:
            stack.load_demo()
            stack.start_service("grid_registry")
            stack.wait_ready(["grid_registry"], timeout=90)
            print("== grid-registry over gRPC (one process, SQLite) ==")
            address = f"127.0.0.1:{ports.grpc['grid_registry']}"
            token = stack.token(Role.SERVICE)
            print(locate_latency(address, token, callers=1))
            pid = stack.processes["grid_registry"].pid
            cpu = _cpu_seconds(pid)
            latency = measure_locate(address, token)
            cpu = _cpu_seconds(pid) - cpu
            print(latency.line())
            print(
                f"  CPU per call: grid-registry {cpu * 1e6 / latency.calls:,.0f} µs (warm-ups "
                f"included), callers {latency.caller_cpu * 1e6:,.0f} µs; "
                f"load average {os.getloadavg()[0]:.2f}"
            )
            print(batch_throughput(address, token))
        finally:
            stack.stop()


if __name__ == "__main__":
    main()
