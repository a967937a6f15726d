"""The resident page: served with its assets, a strict CSP, no external URLs, and its script
calls only routes the Flask app has (a renamed route fails here)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import grpc
import pytest
from flask import Flask
from shapely.geometry import box, mapping
from werkzeug.exceptions import MethodNotAllowed, NotFound

from gridplus.kit.config import ConfigError, Env
from gridplus.petition.api import resident_map, resident_page
from gridplus.petition.api.http import create_app
from gridplus.petition.api.open311 import Open311Settings
from gridplus.petition.api.resident_signin import SignInSettings
from gridplus.petition.clients import FollowUpClient
from gridplus.petition.domain.photos import PhotoLimits
from gridplus.petition.ports import GridMap, GridOutline, GridOutlines, PlaceFound
from tests.integration.petition.conftest import CATEGORIES, JWT, Store

pytestmark = pytest.mark.integration

ASSET_URLS = {
    "/": "text/html",
    "/page/app.js": "text/javascript",
    "/page/i18n.js": "text/javascript",
    "/page/signin.js": "text/javascript",
    "/page/map.js": "text/javascript",
    "/page/page.css": "text/css",
}
SCRIPTS = ("app.js", "i18n.js", "signin.js", "map.js")
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
    words = client_text(app, "/page/i18n.js")
    assert "我的诉求" in html and "我的诉求" in words and "My petitions" in words
    assert "dev-credentials.json" in html  # tells a developer where a token comes from
    assert '<script src="/vendor/leaflet/dist/leaflet.js"' in html


def client_text(app: Flask, url: str) -> str:
    return app.test_client().get(url).get_data(as_text=True)


@pytest.mark.parametrize("name", SCRIPTS)
def test_no_script_writes_html_from_data(app: Flask, name: str) -> None:
    script = client_text(app, f"/page/{name}")

    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
        assert sink not in script
    # The token lives in the tab only; localStorage keeps just the chosen language.
    assert "localStorage.setItem(TOKEN_KEY" not in script
    assert set(re.findall(r"localStorage\.setItem\((\w+)", script)) <= {"LANG_KEY"}


def test_submissions_and_ratings_carry_an_idempotency_key(app: Flask) -> None:
    script = client_text(app, "/page/app.js")
    assert "Idempotency-Key" in script and "randomUUID" in script


def test_every_api_path_in_the_scripts_is_a_route_of_the_app(app: Flask) -> None:
    script = "\n".join(client_text(app, f"/page/{name}") for name in SCRIPTS)
    paths = set(API_PATH.findall(script))
    assert {"/api/v1/petitions", "/api/v1/categories", "/api/v1/map/locate"} <= paths
    assert {"/api/v1/page-config", "/api/v1/sign-in/token"} <= paths
    assert any(p.endswith("/rating") for p in paths) and any("/history" in p for p in paths)

    adapter = app.url_map.bind("localhost")
    for path in sorted(paths):
        concrete = re.sub(r"\{\w+\}", "1", path)
        try:
            adapter.match(concrete, method="GET")
        except MethodNotAllowed:
            pass  # the route exists for another method (POST .../rating)
        except NotFound:
            pytest.fail(f"a script calls {path}, which is no route of the Flask app")


def test_the_page_assets_load_nothing_from_outside() -> None:
    for name in ("index.html", *resident_page.ASSETS):
        text = resident_page._read(name).decode("utf-8")
        assert re.search(r"https?://", text) is None, name
        assert "//" + "cdn" not in text, name


def test_every_element_the_script_looks_up_is_on_the_page(app: Flask) -> None:
    client = app.test_client()
    html = client.get("/").get_data(as_text=True)
    script = "\n".join(client_text(app, f"/page/{name}") for name in SCRIPTS)
    ids = set(re.findall(r'\bid="([\w-]+)"', html))

    looked_up = set(re.findall(r'\$\("([\w-]+)"\)', script))
    looked_up |= set(re.findall(r'getElementById\("([\w-]+)"\)', script))

    assert looked_up and looked_up <= ids, sorted(looked_up - ids)


class TwoGrids(GridMap):
    """A city of two grids side by side (lon/lat squares), counting what it is asked."""

    def __init__(self) -> None:
        self.asked: list[tuple[int, float]] = []
        self.version = 3

    def outlines(self, *, level: int, simplify_m: float) -> GridOutlines:
        self.asked.append((level, simplify_m))
        squares = [("W", box(-74.0, 40.7, -73.95, 40.8)), ("E", box(-73.95, 40.7, -73.9, 40.8))]
        return GridOutlines(
            self.version,
            [
                GridOutline(code, f"Grid {code}", level, json.dumps(mapping(s)))
                for code, s in squares
            ],
        )

    def locate(self, *, lat: float, lon: float) -> PlaceFound | None:
        if not (40.7 <= lat <= 40.8 and -74.0 <= lon <= -73.9):
            return None
        return PlaceFound("W" if lon < -73.95 else "E", ["Level one", "Grid"])


@pytest.fixture
def city(app: Flask) -> TwoGrids:
    grids = TwoGrids()
    resident_page.configure(
        app,
        resident_page.ResidentPage(
            sign_in=SignInSettings(issuer=None, dev_token_paste=True),
            photo_limits=PhotoLimits(max_count=3, max_bytes=2 * 1024 * 1024),
            grid_map=grids,
            categories=CATEGORIES,
        ),
    )
    return grids


def test_the_page_config_tells_the_limits_and_no_secret(app: Flask, city: TwoGrids) -> None:
    config = app.test_client().get("/api/v1/page-config").get_json()

    assert config == {
        "sign_in": None,
        "dev_token_paste": True,
        "photos": {
            "max_count": 3,
            "max_bytes": 2 * 1024 * 1024,
            "types": ["image/jpeg", "image/png", "image/webp"],
        },
        "map": True,
        "tile_url": None,
        "tile_attribution": "",
    }


def test_configured_map_tiles_are_offered_and_allowed_by_the_csp(app: Flask) -> None:
    tiles = resident_map.tile_url("https://{s}.tiles.example.org/{z}/{x}/{y}.png")
    resident_page.configure(
        app, resident_page.ResidentPage(tile_url=tiles, tile_attribution="© Example GIS")
    )
    client = app.test_client()

    config = client.get("/api/v1/page-config").get_json()
    csp = client.get("/").headers["Content-Security-Policy"]

    assert (config["tile_url"], config["tile_attribution"]) == (tiles, "© Example GIS")
    assert "img-src 'self' blob: data: https://*.tiles.example.org;" in csp
    assert "connect-src 'self';" in csp  # tiles are images, nothing else opens up
    with pytest.raises(ConfigError, match="GRIDPLUS_PETITION_TILE_URL"):
        resident_map.tile_url("ftp://tiles.example.org/{z}/{x}/{y}")


def test_without_configuration_there_is_no_token_paste_and_no_map(app: Flask) -> None:
    client = app.test_client()
    config = client.get("/api/v1/page-config").get_json()

    assert (config["dev_token_paste"], config["map"], config["sign_in"]) == (False, False, None)
    assert client.get("/api/v1/map/grids").status_code == 404
    refused = client.post(
        "/api/v1/sign-in/token", json={"code": "c", "code_verifier": "v" * 43, "redirect_uri": "/"}
    )
    assert refused.status_code == 400 and refused.get_json()["errors"][0]["field"] == "code"


def test_grid_outlines_are_geojson_cached_by_version_with_an_etag(
    app: Flask, city: TwoGrids
) -> None:
    client = app.test_client()
    first = client.get("/api/v1/map/grids")
    second = client.get("/api/v1/map/grids", headers={"If-None-Match": first.headers["ETag"]})

    assert first.status_code == 200 and first.mimetype == "application/geo+json"
    collection = first.get_json(force=True)
    assert collection["type"] == "FeatureCollection"
    assert [f["properties"] for f in collection["features"]] == [
        {"code": "W", "name": "Grid W", "level": 1},
        {"code": "E", "name": "Grid E", "level": 1},
    ]
    assert collection["features"][0]["geometry"]["type"] == "Polygon"
    assert "public" in first.headers["Cache-Control"]
    assert second.status_code == 304
    assert city.asked == [(1, 50.0), (1, 50.0)]  # grid-registry's client caches; see clients.py
    city.version = 4  # a new grid set: a new body and tag
    third = client.get("/api/v1/map/grids", headers={"If-None-Match": first.headers["ETag"]})
    assert third.status_code == 200 and third.headers["ETag"] != first.headers["ETag"]
    assert client.get("/api/v1/map/grids?level=2").status_code == 200
    assert city.asked[-1] == (2, 25.0)


@pytest.mark.parametrize("level", ["0", "4", "x", ""])
def test_a_bad_level_is_refused_naming_it(app: Flask, city: TwoGrids, level: str) -> None:
    response = app.test_client().get(f"/api/v1/map/grids?level={level}")

    assert response.status_code == 400
    assert response.get_json()["errors"][0]["field"] == "level"


def test_a_point_is_checked_against_the_city(app: Flask, city: TwoGrids) -> None:
    client = app.test_client()

    inside = client.get("/api/v1/map/locate?lat=40.75&lon=-73.92").get_json()
    outside = client.get("/api/v1/map/locate?lat=40.80&lon=-74.15").get_json()

    assert inside == {"inside": True, "grid": "E", "names": ["Level one", "Grid"]}
    assert outside == {"inside": False, "grid": None, "names": []}


@pytest.mark.parametrize(
    ("query", "field"),
    [("lat=91&lon=0", "lat"), ("lat=1", "lon"), ("lat=nan&lon=0", "lat"), ("lat=0&lon=x", "lon")],
)
def test_a_bad_point_is_refused_naming_the_coordinate(
    app: Flask, city: TwoGrids, query: str, field: str
) -> None:
    response = app.test_client().get(f"/api/v1/map/locate?{query}")

    assert response.status_code == 400
    assert [e["field"] for e in response.get_json()["errors"]] == [field]


def test_categories_come_in_both_languages_grouped_by_class(app: Flask, city: TwoGrids) -> None:
    classes = app.test_client().get("/api/v1/categories").get_json()["classes"]

    assert [(c["code"], [x["code"] for x in c["categories"]]) for c in classes] == [
        ("environmental_protection", ["environmental_protection.01"]),
        ("nyc", ["nyc.noise_residential"]),
        ("road", ["road.manhole"]),  # its class is not in the taxonomy: grouped by its code
    ]
    assert classes[0]["name_zh"] == "环境保护"
    assert classes[1]["categories"][0] == {
        "code": "nyc.noise_residential",
        "name_zh": "住宅噪音",
        "name_en": "Noise - Residential",
    }


def test_leaflet_is_served_from_the_vendored_copy(app: Flask) -> None:
    response = app.test_client().get("/vendor/leaflet/dist/leaflet.js")

    assert response.status_code == 200
    assert b"Leaflet" in response.get_data()[:400]
    assert app.test_client().get("/vendor/leaflet/../../secret").status_code == 404


def test_the_token_paste_is_a_development_switch_off_with_a_city_provider() -> None:
    paste = {"GRIDPLUS_PETITION_DEV_TOKEN_PASTE": "1"}
    issuer = {"GRIDPLUS_OIDC_ISSUER": "https://login.city.example/", "GRIDPLUS_OIDC_CLIENT_ID": "r"}

    assert SignInSettings.from_env(Env({})).dev_token_paste is False
    assert SignInSettings.from_env(Env(paste)).dev_token_paste is True
    with_provider = SignInSettings.from_env(Env(paste | issuer))
    assert with_provider.dev_token_paste is False
    assert (with_provider.issuer, with_provider.client_id) == ("https://login.city.example", "r")
