"""The console's Flask app: areas, vendored libraries, sessions, languages, security headers and
the pages every area shares (home redirect, refusal, errors)."""

from __future__ import annotations

from pathlib import Path

import grpc
from flask import Flask, Response, current_app, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import HTTPException

from gridplus.console import i18n, session
from gridplus.console.areas import AREAS
from gridplus.console.auth import oidc_login
from gridplus.console.config import ConsoleSettings, tile_origin
from gridplus.console.grpc_calls import STUBS_KEY, CallRefusal, Channels, StubFactory, refusal_of
from gridplus.console.nav import AreaBlueprint, home_endpoint, links_for, register_nav
from gridplus.kit.auth import TokenVerifier
from gridplus.web import vendor_blueprint

HERE = Path(__file__).resolve().parent
SETTINGS_KEY = "gridplus.console.settings"


def create_app(
    settings: ConsoleSettings,
    *,
    stubs: StubFactory | None = None,
    verify: session.Verify | None = None,
) -> Flask:
    """`stubs` and `verify` default to the services at settings.addresses and this deployment's
    token verifier."""
    app = Flask(
        "gridplus.console",
        root_path=str(HERE),
        template_folder="templates",
        static_folder="static",
        static_url_path="/static",
    )
    app.secret_key = settings.session_secret
    app.config["MAX_CONTENT_LENGTH"] = 64 * 1024 * 1024  # photos: petition checks each one
    app.extensions[SETTINGS_KEY] = settings
    if stubs is None:
        channels = Channels(settings.addresses)
        stubs = channels.stubs_for
    app.extensions[STUBS_KEY] = stubs
    session.init_app(app, verify or _verifier(settings))
    if settings.jwt.oidc is not None:
        oidc_login.init_app(app, settings.jwt.oidc)
    i18n.init_app(app)
    app.register_blueprint(vendor_blueprint())
    for factory in AREAS:
        blueprint = factory()
        app.register_blueprint(blueprint)
        if isinstance(blueprint, AreaBlueprint):
            register_nav(app, blueprint.nav)
    app.jinja_env.globals.update(nav_links=_nav_links, settings=settings)
    app.add_url_rule("/", "home", _home)
    app.add_url_rule("/healthz", "healthz", lambda: {"status": "ok"})
    app.after_request(_security_headers)
    app.register_error_handler(grpc.RpcError, _service_refused)
    app.register_error_handler(HTTPException, _http_error)
    return app


def _verifier(settings: ConsoleSettings) -> session.Verify:
    return TokenVerifier(settings.jwt).verify


def settings_of_app() -> ConsoleSettings:
    settings: ConsoleSettings = current_app.extensions[SETTINGS_KEY]
    return settings


def _nav_links() -> list[tuple[str, str, bool]]:
    """(url, label, is the current page) for the signed-in user's role."""
    user = session.current_user()
    if user is None:
        return []
    here = request.endpoint or ""
    return [
        (
            url_for(link.endpoint),
            i18n.t(link.label_key),
            here.split(".")[0] == link.endpoint.split(".")[0],
        )
        for link in links_for(current_app, user.role)
    ]


def _home() -> ResponseReturnValue:
    user = session.current_user()
    if user is None:
        return redirect(url_for("auth.login"))
    endpoint = home_endpoint(current_app, user.role)
    if endpoint is None:
        return session.refusal_page()
    return redirect(url_for(endpoint))


def _security_headers(response: Response) -> Response:
    tiles = tile_origin(settings_of_app().tile_url)
    images = "'self' data: blob:" + (f" {tiles}" if tiles else "")
    response.headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; script-src 'self'; style-src 'self'; "
        f"img-src {images}; connect-src 'self'; object-src 'none'; base-uri 'none'; "
        "frame-ancestors 'none'; form-action 'self'",
    )
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    if request.endpoint not in ("static", "vendor.vendored"):
        # Pages carry one person's data: never kept by a shared cache or the back button.
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json" or request.is_json


def _service_refused(error: grpc.RpcError) -> ResponseReturnValue:
    """A service's refusal that the view did not handle itself, as a page (or JSON for fetch)."""
    refused = refusal_of(error)
    if refused.code == "UNAUTHENTICATED":
        session.sign_out()
        if not wants_json():
            return redirect(url_for("auth.login", next=request.path))
    if wants_json():
        return jsonify(refusal_json(refused)), refused.http_status
    if refused.code == "PERMISSION_DENIED":
        return session.refusal_page()
    return render_template("error.html", refusal=refused), refused.http_status


def refusal_json(refused: CallRefusal) -> dict[str, object]:
    return {
        "code": refused.code,
        "message": i18n.t(refused.message_key),
        "detail": refused.message,
        "fields": refused.fields,
    }


_HTTP_MESSAGES = {
    400: "common.error.bad_request",
    404: "common.error.no_page",
    405: "common.error.bad_request",
    413: "common.error.too_large",
}


def _http_error(error: HTTPException) -> ResponseReturnValue:
    status = error.code or 500
    key = _HTTP_MESSAGES.get(status, "common.error.failed")
    if error.description == "csrf":
        key = "common.error.csrf"
    if wants_json():
        return jsonify({"code": status, "message": i18n.t(key)}), status
    refusal = CallRefusal(str(status), "", {})
    return render_template("error.html", refusal=refusal, message_key=key), status
