"""What the browser pages share: the pinned libraries under web/vendor/ (fetched by
tools/web_vendor.py at `make install`, not committed), served read-only by one Flask blueprint."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, abort, send_from_directory
from flask.typing import ResponseReturnValue

VENDOR_DIR = Path(__file__).resolve().parent / "vendor"

# A year: the URL names the library, whose files never change at a pinned version; a new pin is
# a new deploy, and pages reference the files with ?v=<version> (vendor_url).
_MAX_AGE = 365 * 24 * 3600
_VERSIONS_FILE = ".version"


def vendor_blueprint(url_prefix: str = "/vendor") -> Blueprint:
    """GET <url_prefix>/<library>/<path>: a file of a vendored library, or 404."""
    blueprint = Blueprint("vendor", __name__, url_prefix=url_prefix)

    @blueprint.get("/<library>/<path:path>")
    def vendored(library: str, path: str) -> ResponseReturnValue:
        root = VENDOR_DIR / library
        if not (root / _VERSIONS_FILE).is_file():
            abort(404)
        return send_from_directory(root, path, max_age=_MAX_AGE)

    return blueprint


def vendor_available(library: str) -> bool:
    return (VENDOR_DIR / library / _VERSIONS_FILE).is_file()
