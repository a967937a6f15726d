"""`GET /openapi.json`: the OpenAPI 3.1 description of the resident HTTP API and Open311.

The description is a hand-kept source file (`api/openapi.json`, beside this module) rather than
built from the routes: it says what clients may rely on (schemas, refusals, limits, links), which
the routes cannot; tests/integration/petition/test_openapi.py keeps the two in step. It is JSON
(not YAML) so the service serves it as read, with no parser at runtime, and any tool reads it.
"""

from __future__ import annotations

from importlib import resources

from flask import Flask, Response

ENDPOINT = "openapi"
FILE = "openapi.json"


def read_description() -> bytes:
    return resources.files(__package__).joinpath(FILE).read_bytes()


def register(app: Flask) -> None:
    """Public, read once when the app is built (a release ships one description)."""
    body = read_description()

    def serve() -> Response:
        response = Response(body, mimetype="application/json")
        response.headers["Cache-Control"] = "no-cache"
        return response

    app.add_url_rule("/openapi.json", ENDPOINT, serve)
