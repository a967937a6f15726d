"""Signing a browser into the stack's running console as anyone: a session cookie signed with
the console's own session secret (tools/stack.py keeps it in dev-credentials.json), holding a
token minted with the stack's JWT secret, exactly as the console's sign-in would store it. For
people the dev sign-in does not list (another grid's worker, a department)."""

from __future__ import annotations

import secrets
from typing import Any

from flask import Flask
from flask.sessions import SecureCookieSessionInterface
from playwright.sync_api import Browser, Page

from gridplus.kit.auth import Role, mint_token
from gridplus.kit.config import JwtSettings
from tests.support.browser import AXE, DESKTOP, Viewport, open_page
from tools.stack import LocalStack

COOKIE = "gridplus_console"


def token_for(
    stack: LocalStack,
    role: Role,
    subject: str,
    *,
    grids: tuple[str, ...] = (),
    department: str | None = None,
) -> str:
    jwt = JwtSettings(secret=stack.credentials["jwt_secret"], issuer="gridplus")
    return mint_token(jwt, subject=subject, role=role, grid_codes=grids, department=department)


def session_cookie(stack: LocalStack, token: str) -> dict[str, Any]:
    app = Flask(__name__)
    app.secret_key = stack.credentials["console_session_secret"]
    serializer = SecureCookieSessionInterface().get_signing_serializer(app)
    assert serializer is not None
    value = serializer.dumps({"token": token, "csrf": secrets.token_urlsafe(32)})
    return {"name": COOKIE, "value": value, "url": stack.console_url, "httpOnly": True}


def console_page(
    browser: Browser,
    url: str,
    viewport: Viewport = DESKTOP,
    *,
    cookies: list[dict[str, Any]] | None = None,
    locale: str = "en-US",
) -> Page:
    """A fresh context at `url`; axe-core comes in as an init script (the console's CSP refuses
    inline script tags)."""
    state = {"cookies": cookies or [], "origins": []}
    page = open_page(browser, "about:blank", viewport, locale=locale, storage_state=state)
    page.context.add_init_script(path=str(AXE))
    page.goto(url)
    return page
