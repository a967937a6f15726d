"""The real process: `python -m gridplus.grid_registry load-demo`, then `serve` — health, locate,
metrics, the GridSetImported event on Kafka, and a clean exit on SIGTERM."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from kafka import KafkaConsumer

from gridplus.api.events.v1 import events_pb2
from gridplus.api.grid.v1 import grid_pb2, grid_pb2_grpc
from gridplus.kit.events import decode
from tests.integration.grid_registry.registry import (
    RESIDENT,
    ROOT,
    TIMES_SQUARE,
    run_command,
    service_env,
)
from tests.support.broker import Broker
from tests.support.eventually import eventually
from tests.support.ports import free_port

pytestmark = pytest.mark.integration


def wait_serving(port: int, timeout: float = 60.0) -> None:
    # Returns as soon as it serves; a fresh process importing and migrating on a loaded 2-core
    # CI machine has taken over 20 s.
    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        health = health_pb2_grpc.HealthStub(channel)
        eventually(
            lambda: (
                health.Check(health_pb2.HealthCheckRequest(), timeout=1).status
                == health_pb2.HealthCheckResponse.SERVING
            ),
            f"grid-registry SERVING on {port}",
            timeout=timeout,
            interval=0.02,
            ignore=(grpc.RpcError,),
        )


def grid_events(broker: Broker) -> list[events_pb2.GridSetImported]:
    consumer = KafkaConsumer(
        "gridplus.grid.events.v1",
        bootstrap_servers=broker.bootstrap,
        auto_offset_reset="earliest",
        consumer_timeout_ms=15000,
    )
    try:
        for record in consumer:
            event = decode(record.key, record.value, record.headers)
            return [event.payload]  # type: ignore[list-item]
    finally:
        consumer.close()
    return []


def test_load_demo_then_serve_as_real_processes(broker: Broker, tmp_path: Path) -> None:
    grpc_port, metrics_port = free_port(), free_port()
    env = service_env(
        f"sqlite:///{tmp_path}/grid_registry.db",
        GRIDPLUS_GRID_REGISTRY_GRPC_PORT=str(grpc_port),
        GRIDPLUS_GRID_REGISTRY_METRICS_PORT=str(metrics_port),
        GRIDPLUS_KAFKA_BOOTSTRAP_SERVERS=broker.bootstrap,
        GRIDPLUS_VAR_DIR=str(tmp_path),
        GRIDPLUS_SHUTDOWN_GRACE_SECONDS="5",
    )
    started = time.monotonic()
    # The operator command reads only the database settings: no JWT secret needed.
    without_secret = {k: v for k, v in env.items() if k != "GRIDPLUS_JWT_SECRET"}
    said = run_command("gridplus.grid_registry", "load-demo", without_secret)
    load_seconds = time.monotonic() - started
    assert "imported grid set version 1" in said

    started = time.monotonic()
    process = subprocess.Popen(
        [sys.executable, "-m", "gridplus.grid_registry", "serve"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_serving(grpc_port)
        serving_seconds = time.monotonic() - started
        lat, lon = TIMES_SQUARE
        with grpc.insecure_channel(f"127.0.0.1:{grpc_port}") as channel:
            located = grid_pb2_grpc.GridRegistryServiceStub(channel).LocateGrid(
                grid_pb2.LocateGridRequest(lat=lat, lon=lon), metadata=RESIDENT, timeout=5
            )
        first_locate_seconds = time.monotonic() - started
        assert list(located.grid.path) == ["1", "MN05", "MN0502"]
        print(
            f"\nload-demo {load_seconds:.2f} s; serve: SERVING after {serving_seconds:.2f} s, "
            f"first LocateGrid answered after {first_locate_seconds:.2f} s"
        )
        with urllib.request.urlopen(f"http://127.0.0.1:{metrics_port}/metrics", timeout=5) as r:
            exposed = r.read().decode()
        assert 'gridplus_grids{level="3"} 262.0' in exposed
        assert 'gridplus_grid_locate_total{outcome="found"} 1.0' in exposed
        # The import's outbox row, written by load-demo, is published by the serving process.
        [event] = grid_events(broker)
        assert (event.grid_set_version, event.grid_count) == (1, 338)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            code = process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            raise
    assert code == 0, process.stderr.read() if process.stderr else ""
