"""Real headless Chromium for page tests: Playwright drives Debian's chromium (make browser).

    from tests.support.browser import VIEWPORTS, check_page, open_page

    def test_page(chromium, tmp_path):
        for viewport in VIEWPORTS:
            page = open_page(chromium, url, viewport)
            ...  # act as the user would
            check_page(page, f"resident-{viewport.name}")

`check_page` asserts what every page owes every user: no horizontal overflow (document width ≤
viewport), no console errors or uncaught exceptions, no serious or critical axe-core violation; it
writes a full-page screenshot under `screenshot_dir()` (var/screenshots/, not committed) so a person
can look at it. The `chromium` fixture is in tests/support/browser_fixtures.py; import it into a
conftest or test module with `from tests.support.browser_fixtures import chromium  # noqa: F401`.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, ConsoleMessage, Page

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "services" / "gridplus" / "web" / "vendor" / "axe-core" / "axe.min.js"


@dataclass(frozen=True)
class Viewport:
    name: str
    width: int
    height: int
    is_mobile: bool = False


DESKTOP = Viewport("desktop", 1280, 800)
PHONE = Viewport("phone", 390, 844, is_mobile=True)
VIEWPORTS = (DESKTOP, PHONE)


def chromium_path() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        raise RuntimeError(
            "chromium is not installed: run tools/install-chromium.sh (make browser)"
        )
    return found


def screenshot_dir() -> Path:
    """Where screenshots go: $GRIDPLUS_SCREENSHOTS or var/screenshots/ (ignored by git)."""
    target = Path(os.environ.get("GRIDPLUS_SCREENSHOTS", ROOT / "var" / "screenshots"))
    target.mkdir(parents=True, exist_ok=True)
    return target


@dataclass
class PageProblems:
    """Console errors and uncaught exceptions seen by a page since it was opened."""

    errors: list[str] = field(default_factory=list)

    def on_console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.errors.append(f"console: {message.text} ({message.location.get('url', '')})")

    def on_page_error(self, error: Exception) -> None:
        self.errors.append(f"uncaught: {error}")


_PROBLEMS_KEY = "_gridplus_problems"


def open_page(
    browser: Browser,
    url: str,
    viewport: Viewport = DESKTOP,
    *,
    locale: str = "en-US",
    timezone_id: str = "America/New_York",
    storage_state: Any = None,
) -> Page:
    """A new context (fresh cookies and storage) and page at `url`, watching for errors."""
    context = browser.new_context(
        viewport={"width": viewport.width, "height": viewport.height},
        is_mobile=viewport.is_mobile,
        has_touch=viewport.is_mobile,
        locale=locale,
        timezone_id=timezone_id,
        storage_state=storage_state,
    )
    page = context.new_page()
    problems = PageProblems()
    page.on("console", problems.on_console)
    page.on("pageerror", problems.on_page_error)
    setattr(page, _PROBLEMS_KEY, problems)
    page.goto(url)
    return page


def problems_of(page: Page) -> PageProblems:
    problems = getattr(page, _PROBLEMS_KEY, None)
    if problems is None:
        raise RuntimeError("open the page with tests.support.browser.open_page")
    return problems


def horizontal_overflow(page: Page) -> int:
    """How many CSS pixels the document is wider than the viewport (0 when it fits)."""
    width = page.evaluate("() => document.documentElement.scrollWidth")
    viewport = page.evaluate("() => window.innerWidth")
    return max(0, int(width) - int(viewport))


def axe_violations(
    page: Page, impacts: frozenset[str] = frozenset({"serious", "critical"})
) -> list[dict[str, Any]]:
    """axe-core's violations of the given impact levels, run inside the page as it is now."""
    if not AXE.is_file():
        raise RuntimeError(f"{AXE} is missing: run `make install` (tools/web_vendor.py)")
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        # Evaluated through the DevTools protocol, which a page's strict CSP (no inline script)
        # does not block; a <script> tag would be.
        page.evaluate(AXE.read_text() + "\n;0")
    result = page.evaluate("async () => await window.axe.run(document)")
    return [v for v in result["violations"] if v.get("impact") in impacts]


def describe_violations(violations: list[dict[str, Any]]) -> str:
    lines = []
    for violation in violations:
        targets = [node.get("target") for node in violation.get("nodes", [])][:5]
        lines.append(
            f"{violation['impact']} {violation['id']}: {violation['help']} at {json.dumps(targets)}"
        )
    return "\n".join(lines)


def check_page(page: Page, name: str) -> Path:
    """Screenshot the page, then assert: fits its width, no console errors, no serious axe finding.

    Returns the screenshot's path. Call it once the page shows what the user came for."""
    shot = screenshot_dir() / f"{name}.png"
    page.screenshot(path=str(shot), full_page=True)
    overflow = horizontal_overflow(page)
    assert overflow == 0, f"{name}: the document is {overflow} px wider than the viewport ({shot})"
    errors = problems_of(page).errors
    assert not errors, f"{name}: console errors:\n" + "\n".join(errors)
    violations = axe_violations(page)
    assert not violations, f"{name}: accessibility:\n{describe_violations(violations)}"
    return shot
