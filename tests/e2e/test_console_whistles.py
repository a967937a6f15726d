"""Whistles (吹哨报到) in the console, in real Chromium on the shared stack: a chief blows one
naming two departments, a department's staff reports in the browser, the chief sees who reported
and who is still owed; other departments and another grid's chief see none of it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page

from gridplus.kit.auth import Role
from tests.e2e.client import TIMES_SQUARE, submit, wait_for_status
from tests.e2e.console_areas import Console, running_console
from tests.support.browser import DESKTOP, PHONE, check_page
from tests.support.browser_fixtures import chromium  # noqa: F401
from tools.stack import LocalStack

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def console(stack: LocalStack) -> Iterator[Console]:
    with running_console(stack) as running:
        yield running


def card(page: Page, petition_id: str) -> str:
    return f"article.whistle[data-petition-id='{petition_id}']"


def report_state(page: Page, petition_id: str, department: str) -> str | None:
    row = page.locator(f"{card(page, petition_id)} tr[data-department='{department}']")
    return row.get_attribute("data-report-state")


def test_a_chief_blows_a_whistle_and_a_department_reports_in_the_browser(
    stack: LocalStack,
    console: Console,
    chromium: Browser,  # noqa: F811
) -> None:
    petition_id = submit(
        stack,
        {"title": "Blocked hydrant", "description": "a car on the hydrant"} | TIMES_SQUARE,
    )
    wait_for_status(stack, petition_id, "ASSIGNED", timeout=15)
    chief_token = console.token(Role.GRID_CHIEF, "c-MN0502", grids=("MN0502",))
    chief = console.open(chromium, chief_token, "/whistles")
    # Nothing named: refused by dispatch, said on the page, nothing blown.
    chief.fill("#field-petition_id", petition_id)
    chief.fill("#field-reason", "the hydrant must be cleared")
    chief.click("#blow-form button[type=submit]")
    assert chief.locator("#whistle-error").is_visible()
    assert "Departments to summon" in chief.locator("#whistle-error").inner_text()
    assert chief.locator(card(chief, petition_id)).count() == 0
    check_page(chief, "console-whistles-error-desktop")

    chief.check("input[name=department_codes][value=DEP]")
    chief.check("input[name=department_codes][value=NYPD]")
    chief.click("#blow-form button[type=submit]")
    chief.wait_for_selector(card(chief, petition_id))
    assert "Whistle blown" in chief.locator(".flash").inner_text()
    assert report_state(chief, petition_id, "DEP") == "waiting"
    assert report_state(chief, petition_id, "NYPD") == "waiting"
    check_page(chief, "console-whistles-chief-desktop")
    chief.context.close()

    staff_token = console.token(Role.DEPARTMENT_STAFF, "dep-staff-1", department="DEP")
    for viewport in (DESKTOP, PHONE):
        staff = console.open(chromium, staff_token, "/whistles", viewport)
        assert staff.locator("#blow-form").count() == 0  # departments report, never blow
        assert staff.locator(f"{card(staff, petition_id)} form.report-form").count() == 1
        check_page(staff, f"console-whistles-department-{viewport.name}")
        if viewport is PHONE:
            staff.fill(f"{card(staff, petition_id)} textarea[name=note]", "crew on its way")
            staff.click(f"{card(staff, petition_id)} form.report-form button")
            staff.wait_for_selector(".flash")
            assert "in time" in staff.locator(".flash").inner_text()
            assert report_state(staff, petition_id, "DEP") == "reported"
            assert staff.locator(f"{card(staff, petition_id)} form.report-form").count() == 0
        staff.context.close()

    chief = console.open(chromium, chief_token, "/whistles?open=1", PHONE)
    assert report_state(chief, petition_id, "DEP") == "reported"
    assert report_state(chief, petition_id, "NYPD") == "waiting"
    check_page(chief, "console-whistles-chief-phone")
    chief.context.close()

    # Not summoned: another department sees nothing of it; nor does another grid's chief.
    for token in (
        console.token(Role.DEPARTMENT_STAFF, "dot-staff-1", department="DOT"),
        console.token(Role.GRID_CHIEF, "c-MN0501", grids=("MN0501",)),
    ):
        other = console.open(chromium, token, "/whistles")
        assert other.locator(card(other, petition_id)).count() == 0
        other.context.close()


def test_a_resident_gets_the_refusal(console: Console, chromium: Browser) -> None:  # noqa: F811
    page = console.open(chromium, console.token(Role.RESIDENT, "resident-demo"), "/whistles")
    assert page.locator("h1").inner_text() == "Not for your role"
    page.context.close()
