"""The resident page (居民页面) at `GET /`: plain HTML, JS and CSS shipped in the package
(`api/page/`), no build step and no CDN; Leaflet comes from the vendored copy at /vendor/. The
page talks only to this server with the resident's bearer token, so it needs no session of its
own; a strict Content-Security-Policy (scripts only from this origin, no inline script or
style) limits what injected text could do.

Besides the page and its assets, the routes it needs and nobody else does, all public:
`/api/v1/page-config` (how to sign in, the photo limits), the sign-in code exchange
(api/resident_signin.py), and the map and category routes (api/resident_map.py). What they use
is given by `configure` (the service's main); without it the page offers the development token
paste only if asked and no map.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import resources

from flask import Flask, Response, current_app, jsonify
from werkzeug.exceptions import NotFound

from gridplus.petition.api.resident_map import MapRoutes, tile_origin
from gridplus.petition.api.resident_signin import SignIn, SignInSettings
from gridplus.petition.domain.photos import PhotoLimits
from gridplus.petition.ports import CategorySource, GridMap
from gridplus.web import vendor_blueprint

PAGE_ENDPOINTS = frozenset(
    {
        "page_index",
        "page_asset",
        "page_config",
        "page_sign_in_token",
        "page_map_grids",
        "page_map_locate",
        "page_categories",
        "vendor.vendored",
    }
)
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:{tiles}; "
    "connect-src 'self'; form-action 'none'; base-uri 'none'; frame-ancestors 'none'"
)
# The assets a browser may fetch, and their types (anything else is a 404).
ASSETS = {
    "app.js": "text/javascript",
    "i18n.js": "text/javascript",
    "signin.js": "text/javascript",
    "map.js": "text/javascript",
    "page.css": "text/css",
}
PHOTO_TYPES = ("image/jpeg", "image/png", "image/webp")
_INDEX = "index.html"
_EXTENSION = "gridplus.resident_page"


@dataclass
class ResidentPage:
    """What the page's own routes use."""

    sign_in: SignInSettings = field(default_factory=lambda: SignInSettings(issuer=None))
    photo_limits: PhotoLimits = field(default_factory=PhotoLimits)
    grid_map: GridMap | None = None
    categories: CategorySource | None = None
    tile_url: str | None = None  # resident_map.tile_url: map tiles under the outlines
    tile_attribution: str = ""  # shown under the map as text (tile servers ask for credit)


def register(app: Flask) -> None:
    """`GET /`, `GET /page/<asset>`, /vendor/ and the page's routes; all public (the API calls
    carry the token)."""
    app.add_url_rule("/", "page_index", _index)
    app.add_url_rule("/page/<asset>", "page_asset", _asset)
    app.register_blueprint(vendor_blueprint())
    app.add_url_rule("/api/v1/page-config", "page_config", _config)
    app.add_url_rule(
        "/api/v1/sign-in/token", "page_sign_in_token", _sign_in_token, methods=["POST"]
    )
    app.add_url_rule("/api/v1/map/grids", "page_map_grids", lambda: _routes().map.grids())
    app.add_url_rule("/api/v1/map/locate", "page_map_locate", lambda: _routes().map.locate())
    app.add_url_rule("/api/v1/categories", "page_categories", lambda: _routes().map.categories())
    configure(app, ResidentPage())


def configure(app: Flask, page: ResidentPage) -> None:
    """Give the page's routes what they use (call before serving)."""
    app.extensions[_EXTENSION] = _Routes(page)


@dataclass
class _Routes:
    page: ResidentPage
    sign_in: SignIn = field(init=False)
    map: MapRoutes = field(init=False)

    def __post_init__(self) -> None:
        self.sign_in = SignIn(self.page.sign_in)
        self.map = MapRoutes(self.page.grid_map, self.page.categories)


def _routes() -> _Routes:
    routes: _Routes = current_app.extensions[_EXTENSION]
    return routes


def _config() -> Response:
    routes = _routes()
    limits = routes.page.photo_limits
    response = jsonify(
        sign_in=routes.sign_in.page_config(),
        dev_token_paste=routes.page.sign_in.dev_token_paste,
        photos={"max_count": limits.max_count, "max_bytes": limits.max_bytes, "types": PHOTO_TYPES},
        map=routes.page.grid_map is not None,
        tile_url=routes.page.tile_url,
        tile_attribution=routes.page.tile_attribution,
    )
    response.headers["Cache-Control"] = "no-cache"
    return response


def _sign_in_token() -> Response:
    response = _routes().sign_in.exchange()
    response.headers["Cache-Control"] = "no-store"
    return response


def _read(name: str) -> bytes:
    return resources.files(__package__).joinpath("page", name).read_bytes()


def _index() -> Response:
    return _secured(Response(_read(_INDEX), mimetype="text/html"))


def _asset(asset: str) -> Response:
    mimetype = ASSETS.get(asset)
    if mimetype is None:
        raise NotFound(f"no page asset {asset!r}")
    return _secured(Response(_read(asset), mimetype=mimetype))


def _secured(response: Response) -> Response:
    origin = tile_origin(_routes().page.tile_url)
    response.headers["Content-Security-Policy"] = CSP.format(tiles=f" {origin}" if origin else "")
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Frame-Options"] = "DENY"
    # Small files shipped with the release: revalidate so an upgrade is seen at once.
    response.headers["Cache-Control"] = "no-cache"
    return response
