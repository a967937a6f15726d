"""The headline alert, proven end to end on the real clock: the five services run as processes,
a real Prometheus scrapes their /metrics with the shipped rules (deploy/prometheus/rules), a
petition whose category has a very short time limit (GRIDPLUS_DISPATCH_SLA_OVERRIDE) goes
overdue, PetitionOverdue fires in Prometheus's /api/v1/alerts, and once the petition is verified
and resolved through petition's staff API the alert clears."""

from __future__ import annotations

import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from gridplus.api.petition.v1 import petition_pb2, petition_pb2_grpc
from tests.e2e.client import TIMES_SQUARE, channel, grpc_metadata, submit, wait_for_status
from tests.support.ports import free_port
from tools.stack import ROUTE_EVERYTHING, START_ORDER, LocalStack, Ports

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "deploy/prometheus/rules/gridplus-alerts.yaml"
CATEGORY = "nyc.noise_residential"
VERIFY_SECONDS = 4  # the petition turns red this long after it is assigned
HANDLE_SECONDS = 3600  # once verified the handling clock is green again


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    ports = Ports(
        grpc={package: free_port() for package in START_ORDER},
        metrics={package: free_port() for package in START_ORDER},
        http=free_port(),
        broker=free_port(),
    )
    running = LocalStack(
        tmp_path_factory.mktemp("alert-stack"),
        ports,
        extra_env={
            **ROUTE_EVERYTHING,
            "GRIDPLUS_DISPATCH_SLA_OVERRIDE": f"{CATEGORY}={VERIFY_SECONDS}:{HANDLE_SECONDS}",
            "GRIDPLUS_DISPATCH_SCAN_SECONDS": "0.5",
            "GRIDPLUS_DISPATCH_LIGHTS_SECONDS": "0.5",
        },
    )
    running.start(timeout=120)
    yield running
    running.stop()


@pytest.fixture(scope="module")
def prometheus(stack: LocalStack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    binary = shutil.which("prometheus")
    if binary is None:
        pytest.fail("prometheus is not installed: run tools/install-prometheus.sh")
    home = tmp_path_factory.mktemp("prometheus")
    jobs = "\n".join(
        f"  - job_name: gridplus-{package.replace('_', '-')}\n"
        f"    static_configs:\n"
        f"      - targets: ['127.0.0.1:{stack.ports.metrics[package]}']"
        for package in START_ORDER
    )
    # The shipped rules as they are; only the intervals are short, for a test on the real clock.
    (home / "prometheus.yml").write_text(
        "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
        f"rule_files:\n  - {RULES}\nscrape_configs:\n{jobs}\n"
    )
    port = free_port()
    with open(home / "prometheus.log", "wb") as log:
        process = subprocess.Popen(
            [
                binary,
                f"--config.file={home / 'prometheus.yml'}",
                f"--storage.tsdb.path={home / 'data'}",
                f"--web.listen-address=127.0.0.1:{port}",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _until(lambda: _ready(url), 30, "Prometheus did not become ready")
        yield url
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _ready(url: str) -> bool:
    try:
        return requests.get(f"{url}/-/ready", timeout=1).status_code == 200
    except requests.RequestException:
        return False


def _until(check: Any, seconds: float, message: str) -> Any:
    deadline = time.monotonic() + seconds
    while True:
        found = check()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(message)
        time.sleep(0.25)


def _firing(url: str, name: str) -> list[dict[str, Any]]:
    alerts = requests.get(f"{url}/api/v1/alerts", timeout=5).json()["data"]["alerts"]
    return [a for a in alerts if a["labels"]["alertname"] == name and a["state"] == "firing"]


def _targets_up(url: str) -> bool:
    targets = requests.get(f"{url}/api/v1/targets", timeout=5).json()["data"]["activeTargets"]
    return len(targets) == len(START_ORDER) and all(t["health"] == "up" for t in targets)


def test_an_overdue_petition_fires_the_alert_and_resolving_it_clears_it(
    stack: LocalStack, prometheus: str
) -> None:
    _until(lambda: _targets_up(prometheus), 30, "Prometheus does not scrape all five services")
    assert _firing(prometheus, "PetitionOverdue") == []

    petition_id = submit(
        stack,
        {"title": "Loud party", "description": "music all night", "category": CATEGORY}
        | TIMES_SQUARE,
    )
    assigned = wait_for_status(stack, petition_id, "ASSIGNED", timeout=15)
    assert assigned["category"] == CATEGORY

    firing = _until(
        lambda: _firing(prometheus, "PetitionOverdue"),
        VERIFY_SECONDS + 30,
        "PetitionOverdue did not fire",
    )
    [alert] = firing
    assert alert["labels"]["grid_level1"] == "1"
    assert alert["labels"]["grid_level2"] == "MN05"
    assert "overdue petition(s) in grid MN05" in alert["annotations"]["summary"]

    petitions = petition_pb2_grpc.PetitionServiceStub(channel(stack, "petition"))
    admin = grpc_metadata(stack)
    petitions.VerifyPetition(
        petition_pb2.VerifyPetitionRequest(request_id=str(uuid.uuid4()), id=petition_id),
        metadata=admin,
        timeout=10,
    )
    petitions.ResolvePetition(
        petition_pb2.ResolvePetitionRequest(
            request_id=str(uuid.uuid4()), id=petition_id, note="the party is over"
        ),
        metadata=admin,
        timeout=10,
    )
    wait_for_status(stack, petition_id, "RESOLVED", timeout=15)
    _until(
        lambda: not _firing(prometheus, "PetitionOverdue"),
        30,
        "PetitionOverdue still fires after the petition was resolved",
    )
