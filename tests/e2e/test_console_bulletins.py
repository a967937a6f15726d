"""Bulletins in the console, in real Chromium on the shared stack: a chief tells their grid and
watches the delivery progress; a chief may not tell another grid (notification refuses, the page
says so, nothing is sent); a worker gets the refusal page; a chief sees only their own."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page

from gridplus.kit.auth import Role
from tests.e2e.console_areas import Console, running_console
from tests.support.browser import DESKTOP, PHONE, check_page
from tests.support.browser_fixtures import chromium  # noqa: F401
from tools.stack import LocalStack

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def console(stack: LocalStack) -> Iterator[Console]:
    with running_console(stack) as running:
        yield running


def listed(page: Page) -> list[str]:
    return page.locator("#bulletin-list tbody tr").evaluate_all(
        "rows => rows.map(r => r.dataset.bulletinId)"
    )


def fill(page: Page, grid: str, title: str) -> None:
    page.fill("#field-grid_code", grid)
    page.fill("#field-title_zh", title)
    page.fill("#field-body_zh", "明日 9:00-12:00 停水，请提前储水。")
    page.fill("#field-title_en", "Water cut")
    page.fill("#field-body_en", "No water tomorrow 9:00-12:00.")


def test_a_chief_sends_a_bulletin_and_sees_it_delivered(
    console: Console,
    chromium: Browser,  # noqa: F811
) -> None:
    chief = console.token(Role.GRID_CHIEF, "c-MN0502", grids=("MN0502",))
    page = console.open(chromium, chief, "/bulletins")
    before = listed(page)
    fill(page, "MN0501", "停水通知")  # not this chief's grid
    page.click("#bulletin-form button[type=submit]")
    assert page.locator("#bulletin-error").is_visible()
    assert "own grid subtree" in page.locator("#bulletin-error").inner_text()
    assert listed(page) == before  # nothing sent
    check_page(page, "console-bulletins-refused-desktop")

    page.fill("#field-grid_code", "MN0502")
    form = page.locator("#bulletin-form").evaluate(
        "form => Object.fromEntries(new FormData(form).entries())"
    )
    page.click("#bulletin-form button[type=submit]")
    page.wait_for_selector(".flash")
    assert "Bulletin sent to" in page.locator(".flash").inner_text()
    [new] = [b for b in listed(page) if b not in before]
    # The same form sent again (a double click, a retried POST): its request id sends nothing twice.
    resent = page.request.post(console.url + "/bulletins", form=form)
    assert resent.ok
    page.reload()
    assert [b for b in listed(page) if b not in before] == [new]
    row = page.locator(f"#bulletin-list tr[data-bulletin-id='{new}']")
    assert row.locator("td").nth(1).inner_text() == "MN0502"
    assert int(row.locator("td").nth(2).inner_text()) > 0  # people told
    # The page refreshes the counts in place until nothing is pending.
    page.wait_for_function(
        """id => { const r = document.querySelector(`tr[data-bulletin-id="${id}"]`);
                   return r && Number(r.dataset.total) > 0 && r.dataset.pending === "0"; }""",
        arg=new,
        timeout=20_000,
    )
    assert int(row.get_attribute("data-sent") or 0) + int(
        row.get_attribute("data-failed") or 0
    ) == int(row.get_attribute("data-total") or -1)
    check_page(page, "console-bulletins-desktop")
    page.context.close()

    for viewport in (DESKTOP, PHONE):
        again = console.open(chromium, chief, "/bulletins?lang=zh", viewport, locale="zh-CN")
        assert new in listed(again)
        assert again.locator("h1").inner_text() == "辖区公告"
        check_page(again, f"console-bulletins-zh-{viewport.name}")
        again.context.close()

    neighbour = console.token(Role.GRID_CHIEF, "c-MN0501", grids=("MN0501",))
    other = console.open(chromium, neighbour, "/bulletins")
    assert new not in listed(other)  # one's own bulletins only
    other.context.close()
    admin = console.open(chromium, console.token(Role.ADMIN, "admin-demo"), "/bulletins")
    assert new in listed(admin)
    admin.context.close()


def test_a_worker_gets_the_refusal(console: Console, chromium: Browser) -> None:  # noqa: F811
    worker = console.token(Role.GRID_WORKER, "w-MN0502-1", grids=("MN0502",))
    page = console.open(chromium, worker, "/bulletins")
    assert page.locator("h1").inner_text() == "Not for your role"
    assert page.locator("#bulletin-form").count() == 0
    page.context.close()
