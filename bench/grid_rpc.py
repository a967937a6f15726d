"""grid-registry over gRPC, against the real service process: LocateGrid latency with concurrent
callers, and the LocateGrids batch stream's end-to-end throughput.

`make bench` calls `report` on its running stack; `python -m bench.grid_rpc` starts just the broker
and grid-registry (with the demo city) and reports the same figures.
"""

from __future__ import annotations

import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
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
    """`callers` threads, each with its own channel, calling LocateGrid back to back."""
    metadata = (("authorization", f"Bearer {token}"),)
    points = sample_points(callers * calls_per_caller)
    latencies: list[list[float]] = [[] for _ in range(callers)]
    start = threading.Barrier(callers + 1)

    def caller(number: int) -> None:
        with grpc.insecure_channel(address) as channel:
            stub = grid_pb2_grpc.GridRegistryServiceStub(channel)
            for lat, lon in points[:20]:  # connect and warm up
                stub.LocateGrid(grid_pb2.LocateGridRequest(lat=lat, lon=lon), metadata=metadata)
            start.wait()
            mine = points[number * calls_per_caller : (number + 1) * calls_per_caller]
            for lat, lon in mine:
                began = time.perf_counter()
                stub.LocateGrid(
                    grid_pb2.LocateGridRequest(lat=lat, lon=lon), metadata=metadata, timeout=5
                )
                latencies[number].append(time.perf_counter() - began)

    threads = [threading.Thread(target=caller, args=(n,)) for n in range(callers)]
    for thread in threads:
        thread.start()
    start.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - began
    every = [latency for own in latencies for latency in own]
    return Latency(
        callers, len(every), len(every) / seconds, percentile(every, 50), percentile(every, 99)
    )


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
            report(f"127.0.0.1:{ports.grpc['grid_registry']}", stack.token(Role.SERVICE))
        finally:
            stack.stop()


if __name__ == "__main__":
    main()
