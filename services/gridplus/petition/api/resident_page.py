"""The resident page (居民页面) at `GET /`: plain HTML, JS and CSS shipped in the package
(`api/page/`), no build step and no CDN. The page talks only to the resident HTTP API with the
resident's bearer token, so it needs no session of its own; a strict Content-Security-Policy
(scripts only from this origin, no inline script or style) limits what injected text could do.
"""

from __future__ import annotations

from importlib import resources

from flask import Flask, Response
from werkzeug.exceptions import NotFound

PAGE_ENDPOINTS = frozenset({"page_index", "page_asset"})
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob:; "
    "connect-src 'self'; form-action 'none'; base-uri 'none'; frame-ancestors 'none'"
)
# The assets a browser may fetch, and their types (anything else is a 404).
ASSETS = {"app.js": "text/javascript", "page.css": "text/css"}
_INDEX = "index.html"


def register(app: Flask) -> None:
    """`GET /` and `GET /page/<asset>`; both public (the API calls carry the token)."""
    app.add_url_rule("/", "page_index", _index)
    app.add_url_rule("/page/<asset>", "page_asset", _asset)


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
    response.headers["Content-Security-Policy"] = CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Frame-Options"] = "DENY"
    # Small files shipped with the release: revalidate so an upgrade is seen at once.
    response.headers["Cache-Control"] = "no-cache"
    return response
