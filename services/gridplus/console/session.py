"""Who is signed in: the bearer token in Flask's signed session cookie (HttpOnly, SameSite=Lax,
Secure unless the console is reached on loopback), verified on every request with the kit's
verifier; role gates for views; CSRF tokens for every POST."""

from __future__ import annotations

import functools
import hmac
import ipaddress
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import ParamSpec, TypeVar

from flask import Flask, abort, current_app, g, redirect, render_template, request, session, url_for
from flask.sessions import SecureCookieSessionInterface
from flask.typing import ResponseReturnValue

from gridplus.kit.errors import Unauthenticated
from gridplus.kit.roles import Principal, Role

# token -> the caller it proves, or kit.errors.Unauthenticated (kit TokenVerifier.verify, or the
# OIDC verifier when the city signs in through its identity provider).
Verify = Callable[[str], Principal]
VERIFY_KEY = "gridplus.console.verify"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"

P = ParamSpec("P")
R = TypeVar("R")


@dataclass(frozen=True)
class ConsoleUser:
    token: str
    principal: Principal

    @property
    def role(self) -> Role:
        return self.principal.role


def sign_in(token: str) -> ConsoleUser:
    """Start a session for `token` (verified first: Unauthenticated when it is not valid)."""
    verify: Verify = current_app.extensions[VERIFY_KEY]
    principal = verify(token)
    # A new session: nothing from before the sign-in (a planted CSRF token, a login state) stays.
    session.clear()
    session["token"] = token
    session["csrf"] = secrets.token_urlsafe(32)
    user = ConsoleUser(token, principal)
    g.console_user = user
    return user


def sign_out() -> None:
    session.clear()
    g.console_user = None


def current_user() -> ConsoleUser | None:
    """The signed-in user, or None (no session, or its token expired or no longer verifies)."""
    if "console_user" in g:
        user: ConsoleUser | None = g.console_user
        return user
    token = session.get("token")
    user = None
    if isinstance(token, str):
        verify: Verify = current_app.extensions[VERIFY_KEY]
        try:
            user = ConsoleUser(token, verify(token))
        except Unauthenticated:
            session.pop("token", None)
    g.console_user = user
    return user


def requires(
    *roles: Role,
) -> Callable[[Callable[P, ResponseReturnValue]], Callable[P, ResponseReturnValue]]:
    """Signed out: redirect to /login (and back here afterwards). Signed in with a role not in
    `roles`: the refusal page (403). The services still check every call themselves."""
    allowed = frozenset(roles)

    def decorate(view: Callable[P, ResponseReturnValue]) -> Callable[P, ResponseReturnValue]:
        @functools.wraps(view)
        def gated(*args: P.args, **kwargs: P.kwargs) -> ResponseReturnValue:
            user = current_user()
            if user is None:
                return redirect(url_for("auth.login", next=_local_path()))
            if user.role not in allowed:
                return refusal_page()
            return view(*args, **kwargs)

        return gated

    return decorate


def refusal_page(message_key: str = "common.refused.body") -> ResponseReturnValue:
    return render_template("refusal.html", message_key=message_key), 403


def _local_path() -> str:
    return request.full_path.rstrip("?") if request.query_string else request.path


def safe_next(target: str | None) -> str:
    """Where to go after signing in: a path on this site only (no //host, no scheme)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


# ---- CSRF --------------------------------------------------------------------------------------


def csrf_token() -> str:
    token = session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        session["csrf"] = token
    return token


def _check_csrf() -> None:
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    expected = session.get("csrf")
    given = request.headers.get(CSRF_HEADER) or request.form.get(CSRF_FIELD) or ""
    if not isinstance(expected, str) or not hmac.compare_digest(expected, given):
        abort(400, description="csrf")


# ---- the cookie --------------------------------------------------------------------------------


def is_loopback(host: str) -> bool:
    name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
    name = name.strip("[]")
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


class _SessionInterface(SecureCookieSessionInterface):
    """Secure cookies everywhere but loopback, where a developer uses plain http."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return not is_loopback(request.host)


def init_app(app: Flask, verify: Verify) -> None:
    app.extensions[VERIFY_KEY] = verify
    app.session_interface = _SessionInterface()
    app.config.update(
        SESSION_COOKIE_NAME="gridplus_console",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        PERMANENT_SESSION_LIFETIME=12 * 3600,
    )
    app.before_request(_check_csrf)
    app.jinja_env.globals.update(
        csrf_token=csrf_token, current_user=current_user, CSRF_FIELD=CSRF_FIELD
    )
