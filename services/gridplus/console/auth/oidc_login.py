"""Sign-in through the city's OpenID Connect provider (GRIDPLUS_OIDC_ISSUER): authorization code
with PKCE (S256), done server-side. State, nonce and code_verifier wait in the session; the
callback checks the state, exchanges the code (with the client secret when one is configured),
checks the ID token (signature from the provider's JWKS, issuer, audience = client id, nonce),
then signs in with the access token: that token is what the console sends to the services,
which verify it themselves (kit.auth)."""

from __future__ import annotations

import hmac
import logging
import time
from typing import Any

import jwt
from flask import Flask, current_app, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue

from gridplus.console import session as console_session
from gridplus.console.auth.pkce import LoginAttempt
from gridplus.console.config import ConsoleSettings
from gridplus.kit.config import OidcSettings
from gridplus.kit.errors import TransientError, Unauthenticated
from gridplus.kit.oidc_provider import KEY_TYPES, Provider, http_fetch, json_object

log = logging.getLogger(__name__)
PROVIDER_KEY = "gridplus.console.oidc_provider"
_ATTEMPT = "oidc_login"
SCOPE = "openid"


class LoginFailed(Exception):
    """The provider's answer cannot sign anyone in; the message is for the log only."""


def init_app(app: Flask, oidc: OidcSettings) -> None:
    app.extensions[PROVIDER_KEY] = Provider(oidc, http_fetch, time.monotonic)


def _settings() -> ConsoleSettings:
    settings: ConsoleSettings = current_app.extensions["gridplus.console.settings"]
    return settings


def _provider() -> Provider:
    provider: Provider = current_app.extensions[PROVIDER_KEY]
    return provider


def _redirect_uri() -> str:
    settings = _settings()
    if settings.public_url:
        return f"{settings.public_url}{url_for('auth.oidc_callback')}"
    return url_for("auth.oidc_callback", _external=True)


def start() -> ResponseReturnValue:
    attempt = LoginAttempt.new(console_session.safe_next(request.args.get("next")))
    endpoint = _provider().endpoint("authorization_endpoint")
    if endpoint is None:
        raise TransientError("the provider's discovery document has no authorization_endpoint")
    session[_ATTEMPT] = attempt.as_dict()
    return redirect(
        attempt.authorize_url(
            endpoint,
            client_id=_settings().oidc_client_id,
            redirect_uri=_redirect_uri(),
            scope=SCOPE,
        )
    )


def callback() -> ResponseReturnValue:
    attempt = LoginAttempt.from_dict(session.pop(_ATTEMPT, None))
    state = request.args.get("state", "")
    code = request.args.get("code", "")
    try:
        if attempt is None or not hmac.compare_digest(attempt.state, state):
            raise LoginFailed("state missing or not this session's")
        if request.args.get("error") or not code:
            raise LoginFailed(f"provider answered error {request.args.get('error')!r}")
        access_token = _exchange(attempt, code)
        console_session.sign_in(access_token)
    except (LoginFailed, Unauthenticated) as failure:
        log.warning("console sign-in failed", extra={"reason": str(failure)})
        return render_template("auth/login.html", **login_page_context(failed=True)), 401
    return redirect(attempt.next)


def login_page_context(*, failed: bool = False) -> dict[str, Any]:
    settings = _settings()
    return {
        "oidc": settings.jwt.oidc is not None,
        "dev_login": settings.dev_login,
        "next": console_session.safe_next(request.args.get("next")),
        "failed": failed,
    }


def _exchange(attempt: LoginAttempt, code: str) -> str:
    settings = _settings()
    oidc = settings.jwt.oidc
    assert oidc is not None
    endpoint = _provider().endpoint("token_endpoint")
    if endpoint is None:
        raise TransientError("the provider's discovery document has no token_endpoint")
    form = attempt.token_form(code, client_id=settings.oidc_client_id, redirect_uri=_redirect_uri())
    if oidc.client_secret:
        form["client_secret"] = oidc.client_secret
    answer = http_fetch(endpoint, form, {"Accept": "application/json"})
    if answer.status != 200:
        raise LoginFailed(f"token endpoint answered {answer.status}")
    tokens = json_object(answer, endpoint)
    access_token = tokens.get("access_token")
    id_token = tokens.get("id_token")
    if not isinstance(access_token, str) or not access_token:
        raise LoginFailed("no access_token in the token answer")
    if not isinstance(id_token, str):
        raise LoginFailed("no id_token in the token answer")
    _check_id_token(id_token, attempt.nonce, oidc, settings.oidc_client_id)
    return access_token


def _check_id_token(id_token: str, nonce: str, oidc: OidcSettings, client_id: str) -> None:
    try:
        header = jwt.get_unverified_header(id_token)
    except jwt.InvalidTokenError as exc:
        raise LoginFailed(f"id_token is not a JWT: {exc}") from None
    algorithm = header.get("alg")
    if algorithm not in KEY_TYPES:
        raise LoginFailed(f"id_token signed with {algorithm!r}")
    kid = header.get("kid")
    key = _provider().key(kid if isinstance(kid, str) else None, str(algorithm))
    try:
        claims = jwt.decode(
            id_token,
            key.key,
            algorithms=[str(algorithm)],
            audience=client_id,
            issuer=oidc.issuer,
            leeway=oidc.leeway_seconds,
            options={"require": ["sub", "exp", "iss", "aud"]},
        )
    except jwt.InvalidTokenError as exc:
        raise LoginFailed(f"id_token refused: {exc}") from None
    if not hmac.compare_digest(str(claims.get("nonce", "")), nonce):
        raise LoginFailed("id_token nonce is not this sign-in's")
