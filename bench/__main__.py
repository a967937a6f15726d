"""`make bench`: one run prints every figure (nothing here is asserted).

- the whole path: petitions/s submit→ASSIGNED under a fixed concurrent load, p50/p99 latency;
- for scale, measured in the same run: raw broker produce/consume and raw database insert rates;
- each service's resident memory idle and at peak under load;
- grid location on the 262 NYC level-3 grids: batch and per point, beside shapely's own STRtree;
- grid-registry over gRPC: LocateGrid p50/p99 with 8 concurrent callers, LocateGrids points/s;
- dispatch's text classifier (cross-validated accuracy) and one deadline scan tick over 1,000,000
  open assignments.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from bench import classifier, dispatch_scan, grid_rpc, locate, memory, path, raw
from gridplus.kit.auth import Role
from tests.support.ports import free_port
from tools.stack import ROUTE_EVERYTHING, START_ORDER, LocalStack, Ports


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--petitions", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()

    print("== grid location (in process) ==")
    locate.report()
    print("== dispatch: text classifier (cross-validated) ==")
    classifier.report()
    print("== dispatch: deadline scanner over 1,000,000 open assignments ==")
    dispatch_scan.report()

    with tempfile.TemporaryDirectory(prefix="gridplus-bench-") as tmp:
        ports = Ports(
            grpc={p: free_port() for p in START_ORDER},
            metrics={p: free_port() for p in START_ORDER},
            http=free_port(),
            broker=free_port(),
        )
        stack = LocalStack(Path(tmp) / "var", ports, ROUTE_EVERYTHING)
        stack.start(timeout=90)
        try:
            pids = {name: process.pid for name, process in stack.processes.items()}
            idle = {name: memory.rss_mb(pid) for name, pid in pids.items()}
            # Raw rates first, while the services idle, so the path's load does not skew them.
            produce, consume = raw.broker_rates(f"127.0.0.1:{ports.broker}")
            inserts = raw.database_insert_rate(Path(tmp))
            grid_address = f"127.0.0.1:{ports.grpc['grid_registry']}"
            grid_lines = [
                grid_rpc.locate_latency(grid_address, stack.token(Role.SERVICE)),
                grid_rpc.batch_throughput(grid_address, stack.token(Role.SERVICE)),
            ]
            points = locate.sample_points(200)
            path.run_load(stack, points, petitions=200, concurrency=args.concurrency)  # warm-up
            cpu_before = {name: memory.cpu_seconds(pid) for name, pid in pids.items()}
            with memory.PeakSampler(pids) as sampler:
                result = path.run_load(stack, points, args.petitions, args.concurrency)
            cpu_used = {n: memory.cpu_seconds(p) - cpu_before[n] for n, p in pids.items()}
            print("== whole path (5 processes, SQLite, local broker) ==")
            print("closed loop, as fast as the clients go:", path.summary(result))
            paced_rate = max(1.0, round(result.rate * 0.5))
            paced = path.run_load(
                stack, points, int(paced_rate * 20), args.concurrency, rate=paced_rate
            )
            print(f"open loop at {paced_rate:.0f}/s (half that):", path.summary(paced))
        finally:
            stack.stop()

    print("== grid-registry over gRPC (measured while the stack idled) ==")
    print("\n".join(grid_lines))
    print("== raw rates in the same run, for scale ==")
    print(f"broker: produce {produce:,.0f} msg/s (acks=all), consume {consume:,.0f} msg/s")
    print(f"database: {inserts:,.0f} single-row transactions/s (SQLite, WAL)")
    print(
        f"ratios: path/produce {result.rate / produce:.3f}, path/consume "
        f"{result.rate / consume:.3f}, path/db-insert {result.rate / inserts:.3f}"
    )
    print("== per service: resident memory (MB) idle → peak; CPU per petition under load ==")
    for name in START_ORDER:
        per_petition_ms = cpu_used[name] / max(1, result.petitions) * 1e3
        print(
            f"{name:>14}: {idle[name]:6.1f} → {sampler.peak[name]:6.1f} MB, "
            f"{per_petition_ms:5.1f} ms CPU per petition"
        )


if __name__ == "__main__":
    main()
