"""The triage queue in the browser: a petition the classifier is unsure of waits in triage; a
grid chief sees it with the classifier's likeliest categories, sets the category in one action
(a suggestion's button, or the search), and dispatch routes it (ASSIGNED in petition's API).

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


def submitted(stack: LocalStack, title: str, description: str) -> str:
    answer = requests.post(
        f"{stack.http_url}/api/v1/petitions",
        json={"title": title, "description": description, **TIMES_SQUARE},
        headers={"Authorization": f"Bearer {stack.token(Role.RESIDENT)}"},
        timeout=10,
    )
    assert answer.status_code == 201, answer.text
    return str(answer.json()["id"])


def routed(stack: LocalStack, petition_id: str) -> dispatch_pb2.Assignment:
    deadline = time.monotonic() + 20
    while (status := get(stack, petition_id)["status"]) != "ASSIGNED":
        assert time.monotonic() < deadline, f"still {status}"
        time.sleep(0.2)
    stub = dispatch_pb2_grpc.DispatchServiceStub(channel(stack, "dispatch"))
    return stub.GetAssignment(
        dispatch_pb2.GetAssignmentRequest(petition_id=petition_id),
        metadata=grpc_metadata(stack),
        timeout=5,
    ).assignment


def test_a_chief_categorises_a_triaged_petition_and_it_is_routed(
    chromium: Browser,  # noqa: F811
    triage_stack: LocalStack,
) -> None:
    stack = triage_stack
    petition_id = submitted(stack, "zxqv blorp", "mmm hrrm")
    item = in_triage(stack, petition_id)
    assert get(stack, petition_id)["status"] == "SUBMITTED"

    page = console_page(
        chromium, f"{stack.console_url}/dev-login?role=grid_chief&next=/triage", VIEWPORTS[0]
    )
    card = page.locator(f"article[data-petition-id='{petition_id}']")
    assert card.count() == 1
    if item.suggestions:
        assert "suggestions" in (card.text_content() or "")
        assert card.locator("form.suggestion button").count() == len(item.suggestions)
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

    assignment = routed(stack, petition_id)
    assert assignment.category == STREET_LIGHT and assignment.grid.code == "MN0502"
    page.context.close()


def test_one_click_on_a_suggestion_routes_the_petition_with_it(
    chromium: Browser,  # noqa: F811
    triage_stack: LocalStack,
) -> None:
    stack = triage_stack
    # The classifier is unsure which noise this is (about 11%, 9% and 7% for three of them).
    petition_id = submitted(stack, "Noise and smell", "loud music and a bad smell")
    item = in_triage(stack, petition_id)
    offered = list(item.suggestions)
    assert len(offered) >= 2, offered
    probabilities = [s.probability for s in offered]
    assert probabilities == sorted(probabilities, reverse=True)
    chosen = offered[1]  # not the best guess: a person knows better

    page = console_page(
        chromium, f"{stack.console_url}/dev-login?role=grid_chief&next=/triage", VIEWPORTS[0]
    )
    card = page.locator(f"article[data-petition-id='{petition_id}']")
    buttons = card.locator("form.suggestion button")
    assert buttons.count() == len(offered)
    labels = [text.strip() for text in buttons.all_text_contents()]
    assert labels[0].startswith(offered[0].name_en or offered[0].category_code), labels
    assert labels[1] == f"{chosen.name_en} · {round(chosen.probability * 100)}%"
    check_page(page, "console-triage-suggestions-desktop")
    phone = console_page(
        chromium, f"{stack.console_url}/triage", VIEWPORTS[1], cookies=page.context.cookies()
    )
    check_page(phone, "console-triage-suggestions-phone")
    phone.context.close()

    card.locator(f"button.use-suggestion[data-category='{chosen.category_code}']").click()
    page.wait_for_selector("#triage-done")
    assert "MN0502" in (page.text_content("#triage-done") or "")
    assert page.locator(f"article[data-petition-id='{petition_id}']").count() == 0

    assignment = routed(stack, petition_id)
    assert (assignment.category, assignment.category_source) == (chosen.category_code, "triage")
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
