"""The `chromium` fixture: one headless Debian chromium per test worker, through Playwright.

Test modules import the fixture (`from tests.support.browser_fixtures import chromium`), so
each module holds its own session-scoped definition. Playwright's sync API allows one running
instance per thread: every definition therefore shares one browser, started by the first and
closed when the last is torn down."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, sync_playwright

from tests.support.browser import chromium_path

_shared: dict[str, Any] = {"users": 0}


@pytest.fixture(scope="session")
def chromium() -> Iterator[Browser]:
    if _shared["users"] == 0:
        playwright = sync_playwright().start()
        _shared["playwright"] = playwright
        _shared["browser"] = playwright.chromium.launch(
            executable_path=chromium_path(),
            headless=True,
            args=["--no-sandbox", "--disable-dev-shm-usage"],
        )
    _shared["users"] += 1
    try:
        yield _shared["browser"]
    finally:
        _shared["users"] -= 1
        if _shared["users"] == 0:
            _shared.pop("browser").close()
            _shared.pop("playwright").stop()
