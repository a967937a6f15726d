"""/login, /logout and the development sign-in /dev-login (only while GRIDPLUS_CONSOLE_DEV_LOGIN
is on; 404 otherwise)."""

from __future__ import annotations

from flask import abort, current_app, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from gridplus.console import session
from gridplus.console.auth import oidc_login
from gridplus.console.config import ConsoleSettings, DevPerson
from gridplus.console.nav import AreaBlueprint
from gridplus.kit.auth import mint_token

# A dev sign-in lasts a working day; the kit's maximum is a day.
DEV_TOKEN_SECONDS = 12 * 3600


def _settings() -> ConsoleSettings:
    settings: ConsoleSettings = current_app.extensions["gridplus.console.settings"]
    return settings


def blueprint() -> AreaBlueprint:
    area = AreaBlueprint("auth", __name__)

    @area.get("/login")
    def login() -> ResponseReturnValue:
        return render_template("auth/login.html", **oidc_login.login_page_context())

    @area.get("/login/oidc")
    def oidc_start() -> ResponseReturnValue:
        if _settings().jwt.oidc is None:
            abort(404)
        return oidc_login.start()

    @area.get("/login/callback")
    def oidc_callback() -> ResponseReturnValue:
        if _settings().jwt.oidc is None:
            abort(404)
        return oidc_login.callback()

    @area.post("/logout")
    def logout() -> ResponseReturnValue:
        session.sign_out()
        return redirect(url_for("auth.login"))

    @area.get("/dev-login")
    def dev_login() -> ResponseReturnValue:
        settings = _settings()
        if not settings.dev_login:
            abort(404)
        target = session.safe_next(request.args.get("next"))
        role = request.args.get("role")
        people = settings.dev_people
        if role is None:
            return render_template("auth/dev_login.html", people=people, next=target)
        person = next((p for p in people if p.role.value == role), None)
        if person is None:
            page = render_template("auth/dev_login.html", people=people, next=target, unknown=role)
            return page, 404
        # Another person of the same role and scope (e.g. the grid's second worker), so a
        # developer can act as whoever a petition went to.
        subject = request.args.get("subject") or person.subject
        session.sign_in(_dev_token(settings, person, subject))
        return redirect(target)

    return area


def _dev_token(settings: ConsoleSettings, person: DevPerson, subject: str) -> str:
    return mint_token(
        settings.jwt,
        subject=subject,
        role=person.role,
        grid_codes=person.grid_codes,
        department=person.department,
        ttl_seconds=min(DEV_TOKEN_SECONDS, settings.jwt.max_ttl_seconds),
    )
