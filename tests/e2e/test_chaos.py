"""Chaos, bounded: two replicas of every service on PostgreSQL; during a load of petitions one
replica of each service is killed (kill -9) in turn and restarted by the stack, the broker
restarts once; then nothing is lost or doubled, and every photo (in moto's S3 server) reads
through every petition replica (bench/chaos.py; `make chaos` runs 10,000)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.chaos import CHAOS_ENV, Chaos, report, s3_photo_store, scattered_replicas
from tests.support.eventually import eventually
from tests.support.ports import free_port
from tools.scaled_stack import ScaledStack

pytestmark = pytest.mark.e2e

PETITIONS = 300


@pytest.fixture(scope="module")
def scaled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ScaledStack]:
    """Two replicas of everything on PostgreSQL; photos in moto's S3 server on loopback."""
    with s3_photo_store() as photo_env:
        running = ScaledStack(
            tmp_path_factory.mktemp("scaled"),
            scattered_replicas(2),
            broker_port=free_port(),
            webhook_receiver=free_port(),
            database_prefix=f"gridplus_e2e_{uuid.uuid4().hex[:8]}",
            extra_env={**CHAOS_ENV, **photo_env},
        )
        try:
            running.start(timeout=120)
            yield running
        finally:
            running.stop()
            running.drop_databases()


def test_the_stack_restarts_a_killed_replica_and_rewrites_stack_json(scaled: ScaledStack) -> None:
    state = scaled.state()["processes"]
    services = {(p["service"], p["replica"]) for p in state}
    assert {s for s, _ in services} == {
        "grid-registry",
        "petition",
        "dispatch",
        "notification",
        "evaluation",
        "broker",
    }
    assert len(state) == 11 and all(p["pid"] for p in state)
    assert [p["http"] for p in state if "http" in p] == [
        int(url.rsplit(":", 1)[1]) for url in scaled.http_urls()
    ]
    before = next(p for p in state if p["service"] == "notification" and p["replica"] == 1)
    old = scaled.kill_replica("notification", 1)
    assert old == before["pid"]

    def restarted() -> dict | None:
        now = scaled.state()["processes"]
        entry = next(p for p in now if p["service"] == "notification" and p["replica"] == 1)
        return entry if entry["pid"] != old else None

    eventually(restarted, "notification[1] restarted under a new pid in stack.json", timeout=30)
    scaled.wait_ready(["notification"])
    assert ("notification.1", -9) in scaled.restarts
    assert "notification[1]" in (Path(scaled.var_dir) / "logs" / "stack.log").read_text()


def test_chaos_nothing_lost_nothing_doubled(scaled: ScaledStack) -> None:
    figures = Chaos(scaled, PETITIONS, workers=6).run()
    print(report(figures))
    # The photos are in the bucket, none in the shared directory that would hide a lost one.
    assert not [f for f in (scaled.var_dir / "photos").rglob("*") if f.is_file()]
    assert figures.submitted == PETITIONS
    assert len(figures.kills) == 6  # five services' replicas and the broker
    assert figures.problems() == [], report(figures)
