"""Signing in and out: /login, /logout, and the development sign-in /dev-login (only while
GRIDPLUS_CONSOLE_DEV_LOGIN is on; 404 otherwise)."""

from __future__ import annotations

from flask import abort, current_app, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from gridplus.console import session
from gridplus.console.config import ConsoleSettings, DevPerson
from gridplus.console.nav import AreaBlueprint
from gridplus.kit.auth import mint_token
from gridplus.kit.roles import Role

# A dev sign-in lasts a working day; the kit's maximum is a day.
DEV_TOKEN_SECONDS = 12 * 3600


def _settings() -> ConsoleSettings:
    settings: ConsoleSettings = current_app.extensions["gridplus.console.settings"]
    return settings


def blueprint() -> AreaBlueprint:
    area = AreaBlueprint("auth", __name__)

    @area.get("/login")
    def login() -> ResponseReturnValue:
        settings = _settings()
        return render_template(
            "auth/login.html",
            oidc=settings.oidc is not None,
            dev_login=settings.dev_login,
            next=session.safe_next(request.args.get("next")),
        )

    @area.post("/logout")
    def logout() -> ResponseReturnValue:
        session.sign_out()
        return redirect(url_for("auth.login"))

    @area.get("/dev-login")
    def dev_login() -> ResponseReturnValue:
        settings = _settings()
        if not settings.dev_login or settings.jwt is None:
            abort(404)
        target = session.safe_next(request.args.get("next"))
        role = request.args.get("role")
        if role is None:
            return render_template("auth/dev_login.html", people=settings.dev_people, next=target)
        person = next((p for p in settings.dev_people if p.role.value == role), None)
        if person is None:
            return render_template(
                "auth/dev_login.html", people=settings.dev_people, next=target, unknown=role
            ), 404
        session.sign_in(_dev_token(settings, person))
        return redirect(target)

    return area


def _dev_token(settings: ConsoleSettings, person: DevPerson) -> str:
    assert settings.jwt is not None
    return mint_token(
        settings.jwt,
        subject=person.subject,
        role=Role(person.role),
        grid_codes=person.grid_codes,
        department=person.department,
        ttl_seconds=min(DEV_TOKEN_SECONDS, settings.jwt.max_ttl_seconds),
    )
