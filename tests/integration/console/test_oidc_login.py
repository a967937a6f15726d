"""Sign-in through a real OpenID Connect provider (oidc-provider-mock on loopback), in real
headless Chromium: the console (its own process) sends the browser to the provider's authorize
form with state, nonce and a PKCE S256 challenge, takes the code back, exchanges it server-side,
checks the ID token and keeps the access token, which the services verify at the provider."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
import requests
from playwright.sync_api import Browser, Page

from tests.conftest import JWT_SECRET
from tests.support.browser import (
    AXE,
    DESKTOP,
    PHONE,
    Viewport,
    check_page,
    open_page,
    problems_of,
)
from tests.support.browser_fixtures import chromium  # noqa: F401
from tests.support.oidc import OidcProvider, oidc_provider  # noqa: F401
from tests.support.ports import free_port
from tools.stack import ROOT, wait_http

CLIENT_ID = "gridplus-console"


@pytest.fixture(scope="module")
def console_url(
    oidc_provider: OidcProvider,  # noqa: F811
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[str]:
    port = free_port()
    log_path = tmp_path_factory.mktemp("console") / "console.log"
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT / "services"),
        "GRIDPLUS_JWT_SECRET": JWT_SECRET,
        "GRIDPLUS_OIDC_ISSUER": oidc_provider.issuer,
        "GRIDPLUS_OIDC_AUDIENCE": CLIENT_ID,
        "GRIDPLUS_OIDC_CLIENT_ID": CLIENT_ID,
        "GRIDPLUS_OIDC_CLIENT_SECRET": "any-secret",
        "GRIDPLUS_CONSOLE_HTTP_PORT": str(port),
        "GRIDPLUS_CONSOLE_SESSION_SECRET": "x" * 48,
    }
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "gridplus.console", "serve"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_http(f"{url}/healthz", "console", lambda: process, Path(log_path), _deadline(30))
        yield url
    finally:
        process.terminate()
        process.wait(10)


def _open(browser: Browser, url: str, viewport: Viewport = DESKTOP) -> Page:
    """axe-core comes in as an init script: the console's CSP refuses inline script tags."""
    page = open_page(browser, "about:blank", viewport)
    page.context.add_init_script(path=str(AXE))
    page.goto(url)
    return page


def forget_foreign_and_refusal_errors(page: Page, console_url: str) -> None:
    """The provider's own page fetches a stylesheet from a CDN (unreachable here) and has no
    favicon; and Chromium logs the refusal page's own 403 status as an error. Neither is a
    fault of the console's pages, whose other errors still fail check_page."""
    refusal = f"status of 403 (FORBIDDEN) ({page.url})"
    errors = problems_of(page).errors
    errors[:] = [e for e in errors if console_url in e and not e.endswith(refusal)]


def _deadline(seconds: float) -> float:
    return time.monotonic() + seconds


def test_a_worker_signs_in_through_the_providers_form(
    chromium: Browser,  # noqa: F811
    oidc_provider: OidcProvider,  # noqa: F811
    console_url: str,
) -> None:
    oidc_provider.set_claims(
        "w-MN0502-2", {"gridplus_role": "grid_worker", "gridplus_grids": ["MN0502"]}
    )
    for viewport in (DESKTOP, PHONE):
        page = _open(chromium, f"{console_url}/login?next=/login", viewport)
        check_page(page, f"console-login-{viewport.name}")
        page.click("#oidc-login")
        page.wait_for_url(f"{oidc_provider.issuer}/**")
        authorize = parse_qs(urlparse(page.url).query)
        assert authorize["code_challenge_method"] == ["S256"]
        assert len(authorize["code_challenge"][0]) == 43 and authorize["state"][0]
        assert authorize["nonce"][0] and authorize["client_id"] == [CLIENT_ID]
        page.fill("input[name=sub]", "w-MN0502-2")
        page.locator("form button, form input[type=submit]").first.click()
        page.wait_for_url(f"{console_url}/login")
        assert "w-MN0502-2" in page.text_content("header")
        assert page.locator("header nav a", has_text="My work").count() == 1
        page.context.close()


def test_a_resident_of_the_provider_gets_the_refusal_page(
    chromium: Browser,  # noqa: F811
    oidc_provider: OidcProvider,  # noqa: F811
    console_url: str,
) -> None:
    oidc_provider.set_claims("resident-7", {"gridplus_role": "resident"})
    page = _open(chromium, f"{console_url}/login/oidc?next=/work")
    page.fill("input[name=sub]", "resident-7")
    page.locator("form button, form input[type=submit]").first.click()
    page.wait_for_url(f"{console_url}/work")
    assert page.locator("h1").text_content() == "Not for your role"
    forget_foreign_and_refusal_errors(page, console_url)
    check_page(page, "console-refusal-resident")
    page.context.close()


def test_a_callback_with_another_sessions_state_signs_nobody_in(
    oidc_provider: OidcProvider,  # noqa: F811
    console_url: str,
) -> None:
    browser = requests.Session()
    started = browser.get(f"{console_url}/login/oidc", allow_redirects=False)
    assert started.status_code == 302
    # The provider's code for this very attempt, but the state of someone else's.
    attempt = parse_qs(urlparse(started.headers["Location"]).query)
    answer = requests.post(
        f"{oidc_provider.issuer}/oauth2/authorize",
        params={k: v[0] for k, v in attempt.items()},
        data={"sub": "w-MN0502-2"},
        allow_redirects=False,
        timeout=5,
    )
    code = parse_qs(urlparse(answer.headers["Location"]).query)["code"][0]
    forged = browser.get(f"{console_url}/login/callback", params={"code": code, "state": "forged"})
    assert forged.status_code == 401
    assert "did not complete" in forged.text
    assert browser.get(f"{console_url}/work", allow_redirects=False).status_code == 302
