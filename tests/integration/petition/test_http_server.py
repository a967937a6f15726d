"""The real waitress loop: serves on its port and, when the stop event is set, refuses new
connections but lets the request in flight finish."""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import requests

from gridplus.kit.clock import ManualClock
from gridplus.kit.db import create_database_engine, create_session_factory
from gridplus.kit.migrations import migrate
from gridplus.kit.outbox import Outbox
from gridplus.petition.api.http import create_app
from gridplus.petition.api.http_server import http_loop
from gridplus.petition.handlers.deps import Deps
from gridplus.petition.storage.blobs import MemoryBlobStore
from tests.integration.petition.conftest import JWT, KEYS, MIGRATIONS, T0, Store, bearer
from tests.support.eventually import eventually
from tests.support.ports import free_port, wait_for_port

pytestmark = pytest.mark.integration


def refuses_connections(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
    except ConnectionRefusedError:
        return True
    return False


def test_stop_drains_the_request_in_flight(tmp_path: Path) -> None:
    engine = create_database_engine(f"sqlite:///{tmp_path}/petition.db")
    migrate(engine, MIGRATIONS)
    clock = ManualClock(T0)
    outbox = Outbox("gridplus.petition.events.v1", "/gridplus/petition", clock)
    deps = Deps(outbox=outbox, clock=clock, keys=KEYS, blobs=MemoryBlobStore())
    store = Store(create_session_factory(engine), outbox, clock, [], deps)
    web = create_app(sessions=store.sessions, deps=deps, jwt=JWT)
    entered, release = threading.Event(), threading.Event()

    def slow_submit(environ: dict[str, Any], start_response: Any) -> Any:
        if environ["REQUEST_METHOD"] == "POST":
            entered.set()
            release.wait(10)  # the request is in flight until the test lets it go
        return web(environ, start_response)

    port = free_port()
    stop = threading.Event()
    loop = threading.Thread(
        target=http_loop(slow_submit, port=port, host="127.0.0.1", grace_seconds=10), args=(stop,)
    )
    loop.start()
    wait_for_port(port)
    assert requests.get(f"http://127.0.0.1:{port}/healthz", timeout=5).json() == {"status": "ok"}
    answers: list[requests.Response] = []
    body = {"title": "噪音扰民", "lat": 39.9, "lon": 116.4}
    client = threading.Thread(
        target=lambda: answers.append(
            requests.post(
                f"http://127.0.0.1:{port}/api/v1/petitions",
                json=body,
                headers=bearer("resident-a"),
                timeout=10,
            )
        )
    )
    try:
        client.start()
        assert entered.wait(5)

        stop.set()

        eventually(
            lambda: refuses_connections(port), "the listener closes once stop is set", timeout=3
        )
        time.sleep(1.5)  # longer than waitress waits for its worker threads on its own
        assert loop.is_alive(), "the loop waits for the request in flight"
        release.set()
        client.join(10)
        loop.join(10)
    finally:
        release.set()
        stop.set()
        engine.dispose()
    assert not loop.is_alive()
    [answer] = answers
    assert answer.status_code == 201
    assert store.petition_count() == 1
