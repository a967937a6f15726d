"""The resident page: served with its assets, a strict CSP, no external URLs, and its script
calls only routes the Flask app has (a renamed route fails here)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import grpc
import pytest
from flask import Flask
from werkzeug.exceptions import MethodNotAllowed, NotFound

from gridplus.petition.api import resident_page
from gridplus.petition.api.http import create_app
from gridplus.petition.api.open311 import Open311Settings
from gridplus.petition.clients import FollowUpClient
from tests.integration.petition.conftest import CATEGORIES, JWT, Store

pytestmark = pytest.mark.integration

ASSET_URLS = {
    "/": "text/html",
    "/page/app.js": "text/javascript",
    "/page/page.css": "text/css",
}
API_PATH = re.compile(r"""["'`](/(?:api/v1|open311/v2)/[^"'`?]*)["'`]""")


@pytest.fixture
def app(store: Store) -> Iterator[Flask]:
    """Every optional part on (Open311, rating), so every route the page may call exists."""
    channel = grpc.insecure_channel("127.0.0.1:9")  # never dialled: no rating is sent here
    try:
        yield create_app(
            sessions=store.sessions,
            deps=store.deps,
            jwt=JWT,
            wake=store.wake,
            categories=CATEGORIES,
            open311_settings=Open311Settings(),
            follow_ups=FollowUpClient(channel),
        )
    finally:
        channel.close()


@pytest.mark.parametrize(("url", "mimetype"), sorted(ASSET_URLS.items()))
def test_the_page_and_its_assets_are_served_without_a_token_under_a_strict_csp(
    app: Flask, url: str, mimetype: str
) -> None:
    response = app.test_client().get(url)

    assert response.status_code == 200
    assert response.mimetype == mimetype
    assert response.mimetype_params.get("charset") == "utf-8"
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "default-src 'none'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_an_unknown_asset_is_a_404_problem(app: Flask) -> None:
    response = app.test_client().get("/page/secrets.py")

    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"


def test_the_page_is_bilingual_and_has_no_inline_script_or_style(app: Flask) -> None:
    html = app.test_client().get("/").get_data(as_text=True)

    assert '<script src="/page/app.js"' in html
    assert re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html) is None, "no inline script"
    assert "<style" not in html and " style=" not in html and " on" + "click=" not in html
    assert "我的诉求" in html and "My petitions" in html
    assert "dev-credentials.json" in html  # tells a developer where a token comes from


def test_the_script_never_writes_html_from_data(app: Flask) -> None:
    script = app.test_client().get("/page/app.js").get_data(as_text=True)

    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
        assert sink not in script
    assert "sessionStorage" in script and "localStorage" not in script
    assert "Idempotency-Key" in script and "randomUUID" in script


def test_every_api_path_in_the_script_is_a_route_of_the_app(app: Flask) -> None:
    script = app.test_client().get("/page/app.js").get_data(as_text=True)
    paths = set(API_PATH.findall(script))
    assert {"/api/v1/petitions", "/open311/v2/services.json"} <= paths
    assert any(p.endswith("/rating") for p in paths) and any("/history" in p for p in paths)

    adapter = app.url_map.bind("localhost")
    for path in sorted(paths):
        concrete = re.sub(r"\{\w+\}", "1", path)
        try:
            adapter.match(concrete, method="GET")
        except MethodNotAllowed:
            pass  # the route exists for another method (POST .../rating)
        except NotFound:
            pytest.fail(f"app.js calls {path}, which is no route of the Flask app")


def test_the_page_assets_load_nothing_from_outside() -> None:
    for name in ("index.html", *resident_page.ASSETS):
        text = resident_page._read(name).decode("utf-8")
        assert re.search(r"https?://", text) is None, name
        assert "//" + "cdn" not in text, name


def test_every_element_the_script_looks_up_is_on_the_page(app: Flask) -> None:
    client = app.test_client()
    html = client.get("/").get_data(as_text=True)
    script = client.get("/page/app.js").get_data(as_text=True)
    ids = set(re.findall(r'\bid="([\w-]+)"', html))

    looked_up = set(re.findall(r'\$\("([\w-]+)"\)', script))

    assert looked_up and looked_up <= ids, sorted(looked_up - ids)
