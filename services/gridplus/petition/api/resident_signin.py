"""The resident page's sign-in (居民登录): OpenID Connect authorization code with PKCE (S256).

The browser makes the code verifier, sends the resident to the city's identity provider
(`GRIDPLUS_OIDC_ISSUER`, its authorize endpoint from the discovery document) and gets a code
back on this page. The code is exchanged for an access token through this server
(`POST /api/v1/sign-in/token`) rather than by the browser itself: identity providers often send
no CORS headers on their token endpoint (oidc-provider-mock sends none), and a confidential
client's secret (`GRIDPLUS_OIDC_CLIENT_SECRET`) must never reach a browser. The verifier
still comes from the browser, so a stolen code is useless without it. The server keeps nothing:
the token lives in the browser tab (sessionStorage) and every API call carries it.

Pasting a token by hand is for development only (`GRIDPLUS_PETITION_DEV_TOKEN_PASTE=1`, on in
`make run`).
"""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from flask import Response, jsonify, request

from gridplus.kit.cache import TtlCache
from gridplus.kit.config import Env
from gridplus.kit.errors import InvalidArgument, TransientError

log = logging.getLogger(__name__)

DEFAULT_CLIENT_ID = "gridplus-resident"
_TIMEOUT_SECONDS = 5.0
_DISCOVERY_TTL_SECONDS = 300.0
_MAX_FIELD = 4096


@dataclass(frozen=True)
class SignInSettings:
    issuer: str | None  # None: no city login configured (development tokens only)
    client_id: str = DEFAULT_CLIENT_ID
    client_secret: str | None = field(default=None, repr=False)
    dev_token_paste: bool = False

    @classmethod
    def from_env(cls, env: Env) -> SignInSettings:
        issuer = env.optional("GRIDPLUS_OIDC_ISSUER")
        return cls(
            issuer=issuer.rstrip("/") if issuer else None,
            client_id=env.text("GRIDPLUS_OIDC_CLIENT_ID", DEFAULT_CLIENT_ID),
            client_secret=env.optional("GRIDPLUS_OIDC_CLIENT_SECRET"),
            # With a city's provider the services refuse development tokens for people, so a
            # pasted one could never work: the switch is off then, whatever it says.
            dev_token_paste=env.flag("GRIDPLUS_PETITION_DEV_TOKEN_PASTE", False) and not issuer,
        )


class SignIn:
    """The configuration the page reads, and the code exchange."""

    def __init__(self, settings: SignInSettings) -> None:
        self.settings = settings
        self._discovery: TtlCache[dict[str, Any]] = TtlCache(
            _DISCOVERY_TTL_SECONDS, stale_on=(TransientError,)
        )

    def page_config(self) -> dict[str, Any] | None:
        """What the page needs to send a resident to the provider; None without an issuer.
        The authorize endpoint is None while the provider cannot be reached (the page says
        sign-in is unavailable for now)."""
        issuer = self.settings.issuer
        if issuer is None:
            return None
        try:
            endpoint = self._endpoint("authorization_endpoint")
        except TransientError as exc:
            log.warning("identity provider not reachable", extra={"error": str(exc)})
            endpoint = None
        return {
            "issuer": issuer,
            "client_id": self.settings.client_id,
            "authorization_endpoint": endpoint,
            "scope": "openid",
            "code_challenge_method": "S256",
        }

    def exchange(self) -> Response:
        """POST {code, code_verifier, redirect_uri} → {access_token, expires_in}."""
        if self.settings.issuer is None:
            raise InvalidArgument.single("code", "no identity provider is configured here")
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            raise InvalidArgument.single("body", "send {code, code_verifier, redirect_uri} as JSON")
        code = _field(body, "code")
        verifier = _field(body, "code_verifier")
        redirect_uri = _field(body, "redirect_uri")
        if not 43 <= len(verifier) <= 128:
            raise InvalidArgument.single("code_verifier", "must be 43 to 128 characters (PKCE)")
        if not _same_origin(redirect_uri):
            raise InvalidArgument.single("redirect_uri", "must be this page's own address")
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "code_verifier": verifier,
            "redirect_uri": redirect_uri,
            "client_id": self.settings.client_id,
        }
        if self.settings.client_secret:
            form["client_secret"] = self.settings.client_secret
        answer = self._token(form)
        token = answer.get("access_token")
        if not isinstance(token, str) or not token:
            raise TransientError("the identity provider answered without an access token")
        expires = answer.get("expires_in")
        return jsonify(access_token=token, expires_in=expires if isinstance(expires, int) else None)

    def _token(self, form: dict[str, str]) -> dict[str, Any]:
        url = self._endpoint("token_endpoint")
        data = urllib.parse.urlencode(form).encode()
        outgoing = urllib.request.Request(url, data=data, method="POST")
        outgoing.add_header("Accept", "application/json")
        try:
            with urllib.request.urlopen(outgoing, timeout=_TIMEOUT_SECONDS) as answer:
                return _json_object(answer.read())
        except urllib.error.HTTPError as exc:
            if 400 <= exc.code < 500:
                # An expired, used or foreign code: the resident signs in again.
                log.info("identity provider refused a sign-in code", extra={"status": exc.code})
                raise InvalidArgument.single(
                    "code", "the identity provider refused the sign-in; sign in again"
                ) from None
            raise TransientError(f"the identity provider failed ({exc.code})") from None
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            raise TransientError(f"the identity provider is not reachable: {exc}") from None

    def _endpoint(self, name: str) -> str:
        document = self._discovery.get("discovery", self._discover)
        url = document.get(name)
        if not isinstance(url, str) or not url.startswith(("https://", "http://")):
            raise TransientError(f"the identity provider's discovery document has no {name}")
        return url

    def _discover(self) -> dict[str, Any]:
        url = f"{self.settings.issuer}/.well-known/openid-configuration"
        try:
            with urllib.request.urlopen(url, timeout=_TIMEOUT_SECONDS) as answer:
                return _json_object(answer.read())
        except (urllib.error.URLError, TimeoutError, OSError, ValueError) as exc:
            raise TransientError(f"the identity provider's discovery failed: {exc}") from None


def _field(body: dict[str, Any], name: str) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value or len(value) > _MAX_FIELD:
        raise InvalidArgument.single(name, f"required, a string of at most {_MAX_FIELD} characters")
    return value


def _same_origin(url: str) -> bool:
    """The page itself (`/` on the host this request came to): the relay exchanges codes only
    for this page, so it cannot be used for another client's redirect."""
    parts = urlsplit(url)
    return parts.netloc == request.host and parts.path == "/" and not parts.query


def _json_object(raw: bytes) -> dict[str, Any]:
    try:
        value = json.loads(raw)
    except ValueError:
        raise TransientError("the identity provider answered something that is not JSON") from None
    if not isinstance(value, dict):
        raise TransientError("the identity provider answered something that is not an object")
    return value
