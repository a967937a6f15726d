"""Crashes and outages: no petition is lost, none is assigned twice."""

from __future__ import annotations

import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from kafka import KafkaConsumer

from gridplus.kit.auth import Role
from gridplus.kit.topology import events_topic
from tests.e2e.client import TIMES_SQUARE, get, submit
from tools.stack import LocalStack

pytestmark = pytest.mark.e2e


def wait_all_assigned(stack: LocalStack, ids: list[str], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    pending = set(ids)
    while pending:
        pending = {i for i in pending if get(stack, i)["status"] != "ASSIGNED"}
        if pending and time.monotonic() > deadline:
            raise AssertionError(f"{len(pending)} of {len(ids)} petitions never got ASSIGNED")
        time.sleep(0.2)


def history(stack: LocalStack, petition_id: str) -> list[dict]:
    response = requests.get(
        f"{stack.http_url}/api/v1/petitions/{petition_id}/history",
        headers={"Authorization": f"Bearer {stack.token(Role.RESIDENT)}"},
        timeout=10,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    return list(body["entries"] if isinstance(body, dict) else body)


def assignment_event_ids(stack: LocalStack, petition_ids: set[str]) -> Counter[str]:
    """Distinct PetitionAssigned event ids per petition on the dispatch topic."""
    consumer = KafkaConsumer(
        events_topic("dispatch"),
        bootstrap_servers=f"127.0.0.1:{stack.ports.broker}",
        auto_offset_reset="earliest",
        consumer_timeout_ms=3000,
    )
    seen: dict[str, set[str]] = {}
    for record in consumer:
        headers = dict(record.headers)
        key = record.key.decode()
        if key in petition_ids and headers["ce_type"].endswith(b"PetitionAssigned"):
            seen.setdefault(key, set()).add(headers["ce_id"].decode())
    consumer.close()
    return Counter({key: len(ids) for key, ids in seen.items()})


def test_kill_dispatch_mid_load_then_every_petition_is_assigned_exactly_once(
    stack: LocalStack,
) -> None:
    body = {"title": "积水", "description": "路面积水严重", **TIMES_SQUARE}
    ids: list[str] = []
    lock = threading.Lock()

    def one(_: int) -> None:
        petition_id = submit(stack, body)
        with lock:
            ids.append(petition_id)

    with ThreadPoolExecutor(max_workers=8) as pool:
        futures = [pool.submit(one, n) for n in range(500)]
        while len(ids) < 150:
            time.sleep(0.01)
        stack.kill("dispatch")  # kill -9 while petitions keep arriving
        time.sleep(1.0)
        stack.start_service("dispatch")
        for future in futures:
            future.result()
    stack.wait_ready(["dispatch"])

    assert len(ids) == 500
    wait_all_assigned(stack, ids, timeout=120)
    for petition_id in ids[::25]:
        assigned = [e for e in history(stack, petition_id) if e["to_status"] == "ASSIGNED"]
        assert len(assigned) == 1, petition_id
    per_petition = assignment_event_ids(stack, set(ids))
    assert set(per_petition) == set(ids)
    assert max(per_petition.values()) == 1, "a petition was assigned twice"


def test_intake_keeps_working_while_the_broker_is_down(stack: LocalStack) -> None:
    stack.broker("stop")
    try:
        started = time.monotonic()
        ids = [
            submit(stack, {"title": f"broker down {n}", "description": "x", **TIMES_SQUARE})
            for n in range(20)
        ]
        assert time.monotonic() - started < 10, "intake was blocked by the broker outage"
        assert all(get(stack, i)["status"] == "SUBMITTED" for i in ids)
    finally:
        stack.broker("start")
    wait_all_assigned(stack, ids, timeout=90)


def test_sigterm_drains_and_exits_cleanly_within_the_grace_period(stack: LocalStack) -> None:
    started = time.monotonic()
    exit_code = stack.stop_service("notification")
    elapsed = time.monotonic() - started
    stack.start_service("notification")
    stack.wait_ready(["notification"])
    assert exit_code == 0
    assert elapsed < 10, f"took {elapsed:.1f} s to stop"
