"""The triage queue in the browser: a petition the classifier is unsure of waits in triage; a
grid chief sees it with the classifier's best guess, sets the category in one action, and
dispatch routes it (ASSIGNED in petition's API).

Its own small platform (grid-registry, petition, dispatch and the console): the shared e2e
stack routes everything (ROUTE_EVERYTHING) so that its made-up titles never wait in triage;
here dispatch keeps its production threshold."""

from __future__ import annotations

import time
from collections.abc import Iterator

import grpc
import pytest
import requests
from playwright.sync_api import Browser

from gridplus.api.dispatch.v1 import dispatch_pb2, dispatch_pb2_grpc
from gridplus.kit.auth import Role
from tests.e2e.client import TIMES_SQUARE, channel, get, grpc_metadata
from tests.e2e.console_session import console_page
from tests.support.browser import VIEWPORTS, check_page
from tests.support.browser_fixtures import chromium  # noqa: F401
from tests.support.ports import free_port
from tools.stack import START_ORDER, LocalStack, Ports

pytestmark = pytest.mark.e2e

PACKAGES = ["grid_registry", "petition", "dispatch"]
STREET_LIGHT = "nyc.street_light_condition"


@pytest.fixture(scope="module")
def triage_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    ports = Ports(
        grpc={package: free_port() for package in START_ORDER},
        metrics={package: free_port() for package in START_ORDER},
        http=free_port(),
        broker=free_port(),
        webhook_receiver=free_port(),
        console=free_port(),
    )
    running = LocalStack(tmp_path_factory.mktemp("triage-stack"), ports)
    try:
        running.broker("start")
        running.load_demo()
        for package in PACKAGES:
            running.start_service(package)
        running.start_console()
        running.wait_ready(PACKAGES, timeout=120)
        running.wait_console(timeout=60)
        yield running
    finally:
        running.stop()


def in_triage(
    stack: LocalStack, petition_id: str, timeout: float = 30.0
) -> dispatch_pb2.TriageItem:
    stub = dispatch_pb2_grpc.DispatchServiceStub(channel(stack, "dispatch"))
    deadline = time.monotonic() + timeout
    while True:
        listed = stub.ListTriage(
            dispatch_pb2.ListTriageRequest(page_size=500), metadata=grpc_metadata(stack), timeout=5
        )
        found = [item for item in listed.items if item.petition_id == petition_id]
        if found:
            return found[0]
        assert time.monotonic() < deadline, f"{petition_id} not in triage within {timeout}s"
        time.sleep(0.2)


def test_a_chief_categorises_a_triaged_petition_and_it_is_routed(
    chromium: Browser,  # noqa: F811
    triage_stack: LocalStack,
) -> None:
    stack = triage_stack
    answer = requests.post(
        f"{stack.http_url}/api/v1/petitions",
        json={"title": "zxqv blorp", "description": "mmm hrrm", **TIMES_SQUARE},
        headers={"Authorization": f"Bearer {stack.token(Role.RESIDENT)}"},
        timeout=10,
    )
    assert answer.status_code == 201, answer.text
    petition_id = answer.json()["id"]
    item = in_triage(stack, petition_id)
    assert get(stack, petition_id)["status"] == "SUBMITTED"

    page = console_page(
        chromium, f"{stack.console_url}/dev-login?role=grid_chief&next=/triage", VIEWPORTS[0]
    )
    card = page.locator(f"article[data-petition-id='{petition_id}']")
    assert card.count() == 1
    if item.best_guess:
        assert "best guess" in (card.text_content() or "")
    check_page(page, "console-triage-desktop")
    phone = console_page(
        chromium, f"{stack.console_url}/triage", VIEWPORTS[1], cookies=page.context.cookies()
    )
    check_page(phone, "console-triage-phone")
    phone.context.close()

    card.locator("input[type=search]").fill(STREET_LIGHT)
    card.locator("form.set-category button").click()
    page.wait_for_selector("#triage-done")
    assert "MN0502" in (page.text_content("#triage-done") or "")
    assert page.locator(f"article[data-petition-id='{petition_id}']").count() == 0

    deadline = time.monotonic() + 20
    while (status := get(stack, petition_id)["status"]) != "ASSIGNED":
        assert time.monotonic() < deadline, f"still {status}"
        time.sleep(0.2)
    stub = dispatch_pb2_grpc.DispatchServiceStub(channel(stack, "dispatch"))
    assignment = stub.GetAssignment(
        dispatch_pb2.GetAssignmentRequest(petition_id=petition_id),
        metadata=grpc_metadata(stack),
        timeout=5,
    ).assignment
    assert assignment.category == STREET_LIGHT and assignment.grid.code == "MN0502"
    page.context.close()


def test_a_worker_cannot_open_the_triage_queue(
    chromium: Browser,  # noqa: F811
    triage_stack: LocalStack,
) -> None:
    page = console_page(
        chromium, f"{triage_stack.console_url}/dev-login?role=grid_worker&next=/triage"
    )
    assert page.locator("h1").text_content() == "Not for your role"
    with pytest.raises(grpc.RpcError):  # and dispatch itself refuses the worker too
        dispatch_pb2_grpc.DispatchServiceStub(channel(triage_stack, "dispatch")).ListTriage(
            dispatch_pb2.ListTriageRequest(),
            metadata=grpc_metadata(triage_stack, Role.GRID_WORKER),
            timeout=5,
        )
    page.context.close()
