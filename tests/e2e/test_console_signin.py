"""The console beside the running platform (started by the stack, as `make run` starts it):
the development sign-in lists the demo people and signs in as one; each role lands on its area;
a resident gets the refusal page, in the page's language."""

from __future__ import annotations

import pytest
import requests
from playwright.sync_api import Browser, Page

from tests.support.browser import AXE, VIEWPORTS, Viewport, check_page, open_page, problems_of
from tests.support.browser_fixtures import chromium  # noqa: F401
from tools.stack import LocalStack

pytestmark = pytest.mark.e2e


def console_page(browser: Browser, url: str, viewport: Viewport, locale: str = "en-US") -> Page:
    """axe-core comes in as an init script: the console's CSP refuses inline script tags."""
    page = open_page(browser, "about:blank", viewport, locale=locale)
    page.context.add_init_script(path=str(AXE))
    page.goto(url)
    return page


def forget_refusal_status(page: Page, *urls: str) -> None:
    """Chromium logs a page answered 403 as a console error: those pages are the refusal
    pages this test opened on purpose (`urls`); any other error still fails check_page."""
    expected = {f"status of 403 (FORBIDDEN) ({url})" for url in urls}
    errors = problems_of(page).errors
    errors[:] = [e for e in errors if not any(e.endswith(x) for x in expected)]


def test_make_run_prints_and_serves_the_console(stack: LocalStack) -> None:
    health = requests.get(f"{stack.console_url}/healthz", timeout=5)
    assert health.status_code == 200
    assert (
        requests.get(stack.console_url, allow_redirects=False, timeout=5)
        .headers["Location"]
        .endswith("/login")
    )


@pytest.mark.parametrize("viewport", VIEWPORTS, ids=lambda v: v.name)
def test_a_developer_picks_the_grid_worker_and_lands_on_my_work(
    chromium: Browser,  # noqa: F811
    stack: LocalStack,
    viewport: Viewport,
) -> None:
    page = console_page(chromium, f"{stack.console_url}/", viewport)
    assert page.url.endswith("/login")
    page.click("#dev-login")
    check_page(page, f"console-dev-login-{viewport.name}")
    page.click("a[data-role=grid_worker]")
    page.wait_for_url(f"{stack.console_url}/work")
    assert page.locator("h1").text_content() == "My work"
    assert "w-MN0502-1" in (page.text_content("header") or "")
    check_page(page, f"console-work-{viewport.name}")
    page.context.close()


def test_a_resident_cannot_use_the_console(chromium: Browser, stack: LocalStack) -> None:  # noqa: F811
    page = console_page(chromium, f"{stack.console_url}/dev-login?role=resident", VIEWPORTS[0])
    assert page.locator("h1").text_content() == "Not for your role"
    page.goto(f"{stack.console_url}/work?lang=zh")
    assert page.locator("h1").text_content() == "您的角色无权使用此页"
    assert page.locator("header nav").count() == 0  # no area to offer
    forget_refusal_status(page, f"{stack.console_url}/", page.url)
    check_page(page, "console-refusal-zh")
    page.context.close()
