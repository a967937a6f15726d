"""The resident page's sign-in against a real OpenID Connect provider (oidc-provider-mock on
loopback): in real Chromium a resident goes to the provider's authorize form, comes back with a
code, the page exchanges it (with its PKCE verifier) through petition, reports a petition on the
map and sees it in My petitions. Petition's HTTP API runs on a real server, configured with the
provider as its issuer, so the provider's opaque access token is what the API accepts."""

from __future__ import annotations

import io
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import requests
from PIL import Image
from playwright.sync_api import Page
from shapely.geometry import Point, box, mapping
from werkzeug.serving import BaseWSGIServer, make_server

from gridplus.kit.config import JwtSettings, OidcSettings
from gridplus.petition.api import resident_page
from gridplus.petition.api.http import create_app
from gridplus.petition.api.resident_signin import SignInSettings
from gridplus.petition.ports import GridMap, GridOutline, GridOutlines, PlaceFound
from tests.conftest import JWT_SECRET
from tests.integration.petition.conftest import CATEGORIES, Store
from tests.support.browser import DESKTOP, PHONE, check_page, open_page, problems_of
from tests.support.browser_fixtures import chromium  # noqa: F401
from tests.support.oidc import OidcProvider, oidc_provider  # noqa: F401
from tests.support.ports import free_port

pytestmark = pytest.mark.integration

CLIENT_ID = "gridplus-resident"
CITY = box(-74.0, 40.70, -73.90, 40.80)  # one square grid: lon/lat
INSIDE = (40.758, -73.9855)


class SquareCity(GridMap):
    """A city of one grid, for the page's map and its point check."""

    def outlines(self, *, level: int, simplify_m: float) -> GridOutlines:
        outline = GridOutline("G1", "Square City", level, json.dumps(mapping(CITY)))
        return GridOutlines(version=1, outlines=[outline])

    def locate(self, *, lat: float, lon: float) -> PlaceFound | None:
        return PlaceFound("G1", ["Square City"]) if CITY.contains(Point(lon, lat)) else None


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path}/test.db"  # the browser journey once; storage is tested elsewhere


@dataclass
class Site:
    url: str
    tiles_served: list[str]


def tile_server() -> tuple[ThreadingHTTPServer, list[str]]:
    """A deployment's own map tiles: every path a plain 256 px PNG; the paths asked are kept."""
    out = io.BytesIO()
    Image.new("RGB", (256, 256), (230, 236, 240)).save(out, format="PNG")
    png, asked = out.getvalue(), []

    class Tiles(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            asked.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header("Content-Length", str(len(png)))
            self.end_headers()
            self.wfile.write(png)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Tiles)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, asked


@pytest.fixture
def site(store: Store, oidc_provider: OidcProvider) -> Iterator[Site]:  # noqa: F811
    port = free_port()
    jwt = JwtSettings(
        JWT_SECRET, "gridplus", oidc=OidcSettings(issuer=oidc_provider.issuer, audience=CLIENT_ID)
    )
    app = create_app(sessions=store.sessions, deps=store.deps, jwt=jwt, categories=CATEGORIES)
    sign_in = SignInSettings(
        issuer=oidc_provider.issuer, client_id=CLIENT_ID, client_secret="any-secret"
    )
    tiles, asked = tile_server()
    resident_page.configure(
        app,
        resident_page.ResidentPage(
            sign_in=sign_in,
            grid_map=SquareCity(),
            categories=CATEGORIES,
            tile_url=f"http://127.0.0.1:{tiles.server_port}/{{z}}/{{x}}/{{y}}.png",
            tile_attribution="© Square City GIS",
        ),
    )
    server: BaseWSGIServer = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Site(f"http://127.0.0.1:{port}", asked)
    finally:
        server.shutdown()
        tiles.shutdown()
        thread.join(timeout=5)


def forget_the_providers_page(page: Page, provider: OidcProvider) -> None:
    """The mock provider's own form loads a stylesheet from a CDN (unreachable here) and has no
    favicon: its console errors are not the resident page's."""
    errors = problems_of(page).errors
    ours = [e for e in errors if provider.issuer not in e and "cdn.jsdelivr.net" not in e]
    errors[:] = ours


def test_a_resident_signs_in_at_the_city_provider_reports_and_sees_the_petition(
    chromium: Any,  # noqa: F811
    site: Site,
    oidc_provider: OidcProvider,  # noqa: F811
) -> None:
    oidc_provider.set_claims("resident-ann", {"name": "Ann"})  # no role claim: a resident
    page = open_page(chromium, site.url + "/", DESKTOP)
    page.wait_for_selector("#signin:visible")
    assert page.is_hidden("#token-form"), "no token paste without the development switch"
    check_page(page, "resident-signin-desktop")

    page.click("#signin")
    page.wait_for_url(f"{oidc_provider.issuer}/oauth2/authorize?**")
    sent = dict(
        p.split("=", 1) for p in page.url.split("?", 1)[1].split("&")
    )  # what the page asked the provider for
    assert sent["code_challenge_method"] == "S256" and len(sent["code_challenge"]) == 43
    assert sent["client_id"] == CLIENT_ID and sent["response_type"] == "code"
    page.fill('input[name="sub"]', "resident-ann")
    page.click('button[type="submit"]:has-text("Authorize")')

    page.wait_for_url(site.url + "/")  # back, with the code gone from the address bar
    forget_the_providers_page(page, oidc_provider)
    page.wait_for_selector("#signout:visible")
    assert "Signed in with the city account" in page.inner_text("#signin-status")
    token = page.evaluate("sessionStorage.getItem('gridplus.token')")
    assert token and "." not in token  # the provider's opaque access token, not a JWT

    page.wait_for_selector("#map .leaflet-interactive")
    # The city's own tiles under the outlines, allowed by the page's CSP, credited as text.
    page.wait_for_function(
        "() => [...document.querySelectorAll('#map img.leaflet-tile')]"
        ".some(img => img.complete && img.naturalWidth === 256)"
    )
    assert site.tiles_served and page.inner_text("#map-attribution") == "© Square City GIS"
    point = page.evaluate("([lat, lon]) => map.latLngToContainerPoint([lat, lon])", list(INSIDE))
    frame = page.locator("#map").bounding_box()
    assert frame is not None
    page.mouse.click(frame["x"] + point["x"], frame["y"] + point["y"])
    page.wait_for_selector("#place-status.ok")
    page.fill("#category-search", "manhole")
    assert page.input_value("#category") == "road.manhole"
    page.fill("#title", "Manhole cover missing")
    page.fill("#description", "The cover is gone at the crossing.")
    page.click("#report-submit")
    page.wait_for_selector("#report-status.ok")

    page.click("#tab-mine")
    page.wait_for_selector("#petitions li")
    assert "Manhole cover missing" in page.inner_text("#petitions")
    check_page(page, "resident-signin-my-petitions")
    listed = requests.get(
        f"{site.url}/api/v1/petitions", headers={"Authorization": f"Bearer {token}"}, timeout=5
    ).json()["petitions"]
    assert [p["title"] for p in listed] == ["Manhole cover missing"]

    page.click("#signout")
    page.wait_for_selector("#signin:visible")
    assert page.evaluate("sessionStorage.getItem('gridplus.token')") is None


def test_a_sign_in_refused_by_the_provider_leaves_the_resident_signed_out(
    chromium: Any,  # noqa: F811
    site: Site,
    oidc_provider: OidcProvider,  # noqa: F811
) -> None:
    page = open_page(chromium, site.url + "/", PHONE)
    page.wait_for_selector("#signin:visible")
    page.click("#signin")
    page.wait_for_url(f"{oidc_provider.issuer}/oauth2/authorize?**")
    page.click('button[value="deny"]')
    page.wait_for_url(site.url + "/**")
    forget_the_providers_page(page, oidc_provider)
    page.wait_for_selector("#signin-status.bad")
    assert "did not work" in page.inner_text("#signin-status")
    assert page.evaluate("sessionStorage.getItem('gridplus.token')") is None
    check_page(page, "resident-signin-refused-phone")


def test_the_code_exchange_refuses_a_foreign_redirect_and_a_used_code(
    site: Site,
    oidc_provider: OidcProvider,  # noqa: F811
) -> None:
    exchange = f"{site.url}/api/v1/sign-in/token"
    verifier = "v" * 43
    foreign = requests.post(
        exchange,
        json={"code": "x", "code_verifier": verifier, "redirect_uri": "https://evil.example/"},
        timeout=5,
    )
    assert foreign.status_code == 400
    assert foreign.json()["errors"][0]["field"] == "redirect_uri"
    short = requests.post(
        exchange,
        json={"code": "x", "code_verifier": "short", "redirect_uri": site.url + "/"},
        timeout=5,
    )
    assert short.json()["errors"][0]["field"] == "code_verifier"
    unknown = requests.post(
        exchange,
        json={"code": "no-such-code", "code_verifier": verifier, "redirect_uri": site.url + "/"},
        timeout=5,
    )
    assert unknown.status_code == 400
    assert unknown.json()["errors"][0]["field"] == "code"
    assert "sign in again" in unknown.json()["errors"][0]["detail"]

    config = requests.get(f"{site.url}/api/v1/page-config", timeout=5).json()
    assert config["sign_in"] == {
        "issuer": oidc_provider.issuer,
        "client_id": CLIENT_ID,
        "authorization_endpoint": f"{oidc_provider.issuer}/oauth2/authorize",
        "scope": "openid",
        "code_challenge_method": "S256",
    }
    assert config["dev_token_paste"] is False
    assert "secret" not in json.dumps(config)
