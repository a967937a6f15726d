"""The staff console in this test process, pointed at a running stack's gRPC ports, and signed-in
browser pages for any token (a department's, another grid's chief): the session cookie is made
with the console's own session secret, as its sign-in would make it."""

from __future__ import annotations

import secrets
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from flask import Flask
from flask.sessions import SecureCookieSessionInterface
from playwright.sync_api import Browser, Page
from werkzeug.serving import make_server

from gridplus.console.app import create_app
from gridplus.console.config import ConsoleSettings
from gridplus.kit.auth import Role, mint_token
from gridplus.kit.config import JwtSettings
from gridplus.kit.topology import SERVICES
from tests.support.browser import AXE, DESKTOP, Viewport, open_page
from tools.stack import LocalStack


@dataclass
class Console:
    url: str
    app: Flask
    jwt: JwtSettings

    def token(
        self,
        role: Role,
        subject: str,
        *,
        grids: tuple[str, ...] = (),
        department: str | None = None,
    ) -> str:
        return mint_token(
            self.jwt, subject=subject, role=role, grid_codes=grids, department=department
        )

    def session_cookie(self, token: str) -> dict[str, Any]:
        interface = self.app.session_interface
        assert isinstance(interface, SecureCookieSessionInterface)
        serializer = interface.get_signing_serializer(self.app)
        assert serializer is not None
        value = serializer.dumps({"token": token, "csrf": secrets.token_urlsafe(32)})
        return {
            "name": self.app.config["SESSION_COOKIE_NAME"],
            "value": value,
            "url": self.url,
            "httpOnly": True,
            "sameSite": "Lax",
        }

    def open(
        self,
        browser: Browser,
        token: str,
        path: str,
        viewport: Viewport = DESKTOP,
        *,
        locale: str = "en-US",
    ) -> Page:
        """A fresh browser context signed in with `token`, at `path`. axe-core comes in as an
        init script: the console's CSP (script-src 'self') refuses it as an inline tag."""
        state = {"cookies": [self.session_cookie(token)], "origins": []}
        page = open_page(browser, "about:blank", viewport, locale=locale, storage_state=state)
        page.context.add_init_script(path=str(AXE))
        page.goto(self.url + path)
        return page


@contextmanager
def running_console(
    stack: LocalStack, config: Mapping[str, object] | None = None, *, tile_url: str | None = None
) -> Iterator[Console]:
    jwt = JwtSettings(secret=stack.credentials["jwt_secret"], issuer="gridplus")
    settings = ConsoleSettings(
        http_port=0,
        addresses={p: f"127.0.0.1:{stack.ports.grpc[p]}" for p in SERVICES},
        session_secret=secrets.token_urlsafe(48),
        dev_login=False,
        tile_url=tile_url,
        jwt=jwt,
    )
    app = create_app(settings)
    app.config.update(config or {})
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="console", daemon=True)
    thread.start()
    try:
        yield Console(f"http://127.0.0.1:{server.server_port}", app, jwt)
    finally:
        server.shutdown()
        thread.join(timeout=10)
