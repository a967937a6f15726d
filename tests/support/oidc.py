"""A real OpenID Connect provider on loopback for the login tests: `oidc-provider-mock` 0.3.4.

The provider runs as its own process (`oidc-provider-mock -H 127.0.0.1 -p PORT`, uvicorn),
started by `start_oidc_provider` or the session fixture `oidc_provider`. What it serves, under
`issuer` = "http://127.0.0.1:PORT" (always reach it by that host: the mock derives `iss` from the
Host header, so "localhost:PORT" would be another issuer):

- `/.well-known/openid-configuration` (discovery), `/jwks` (one RS256 key per process),
- `/oauth2/authorize`: GET shows a form; POST (form field `sub`, optional `action=deny`) answers
  302 to `redirect_uri?code=...&state=...`. The browser login fills in `sub` and submits.
- `/oauth2/token`: authorization_code and refresh_token grants. Returns an OPAQUE `access_token`
  (a random string, not a JWT, valid 1 h), an RS256 `id_token` (when the scope has `openid`)
  carrying the user's claims, and a `refresh_token`.
- `/userinfo`: GET/POST with `Authorization: Bearer <access token>` answers the user's claims
  (`sub` plus every custom claim such as `gridplus_role`; standard claims like `email` only for
  the matching scope). There is NO introspection endpoint. An unknown or expired access token
  gets 400 {"error": "access_denied"} (not 401).
- `PUT /users/<sub>` with a JSON object sets that user's claims (used by `access_token`).
- `/oauth2/end_session`: RP-initiated logout (a confirm form, then a redirect).

Clients and redirect URIs (the rules for the browser logins, console and resident page):
- No registration is needed: ANY `client_id` is accepted with ANY `redirect_uri` (checked only
  for being the same on authorize and token).
- The token request MUST carry a client secret, but ANY value passes: send `client_id` and
  `client_secret` (e.g. "any-secret") in the form body (client_secret_post) or as HTTP Basic.
  A request with no secret at all (a pure public client, auth method "none") is refused with
  401 invalid_client: authlib's code grant of the mock allows only client_secret_basic/post.
  Make the client secret an optional setting of the page/server and set it in tests.
- The token endpoint sends NO CORS headers (no Access-Control-Allow-Origin), so a page on
  another origin cannot fetch() it: exchange the code on the server that serves the page
  (a callback route), or serve the page from the provider's origin. Userinfo: same.
- Use e.g. client_id "gridplus-console" / "gridplus-resident"; the ID token's `aud` is the
  client_id (a list), its `iss` the issuer URL, lifetime 1 h.
- Scope: ask for "openid" (plus "profile"/"email" if wanted); unknown scopes are dropped.
- PKCE: the mock accepts `code_challenge`/`code_challenge_method=S256` on authorize and
  `code_verifier` on token, but does NOT check them (no PKCE extension registered). A page must
  still send them: a real city's provider checks them.
- `nonce` is optional and echoed into the ID token; `state` is passed back unchanged.
- A user unknown to the provider who signs in gets claims {"email": sub} only (so: a resident).

Services verify its opaque access tokens at /userinfo (kit/oidc.py): configure them with
GRIDPLUS_OIDC_ISSUER=<issuer> and any GRIDPLUS_OIDC_AUDIENCE (userinfo does not check it).

`KeyServer` is the other issuer here: discovery + JWKS (+ optional introspection) from a small
HTTP server with keys made by `cryptography`, and `sign` for JWT access tokens (RS256/ES256),
which the mock does not issue.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import jwt as pyjwt
import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

from tests.support.ports import free_port

CLIENT_ID = "gridplus-tests"
REDIRECT_URI = "http://127.0.0.1/callback"
CLIENT_SECRET = "any-secret"


class OidcProvider:
    """A running oidc-provider-mock process; `issuer` is the URL services are configured with."""

    def __init__(self, process: subprocess.Popen[bytes], port: int, log_path: Path) -> None:
        self._process = process
        self.port = port
        self.issuer = f"http://127.0.0.1:{port}"
        self.log_path = log_path

    def stop(self) -> None:
        if self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait(timeout=5)

    def set_claims(self, sub: str, claims: dict[str, object]) -> None:
        """Give the provider's user `sub` these claims (replacing earlier ones)."""
        response = requests.put(f"{self.issuer}/users/{sub}", json=claims, timeout=5)
        response.raise_for_status()

    def tokens(self, sub: str, claims: dict[str, object]) -> dict[str, str]:
        """The token endpoint's whole answer (access_token, id_token, refresh_token, ...)."""
        self.set_claims(sub, claims)
        state = secrets.token_urlsafe(8)
        authorize = requests.post(
            f"{self.issuer}/oauth2/authorize",
            params={
                "client_id": CLIENT_ID,
                "redirect_uri": REDIRECT_URI,
                "response_type": "code",
                "scope": "openid",
                "state": state,
            },
            data={"sub": sub},
            allow_redirects=False,
            timeout=5,
        )
        if authorize.status_code != 302:
            raise RuntimeError(f"authorize answered {authorize.status_code}: {authorize.text}")
        query = parse_qs(urlparse(authorize.headers["Location"]).query)
        if query.get("state") != [state]:
            raise RuntimeError(f"authorize lost the state: {authorize.headers['Location']}")
        token = requests.post(
            f"{self.issuer}/oauth2/token",
            data={
                "grant_type": "authorization_code",
                "code": query["code"][0],
                "redirect_uri": REDIRECT_URI,
                "client_id": CLIENT_ID,
                # Any secret passes; the mock has no public clients (see the docstring).
                "client_secret": CLIENT_SECRET,
            },
            timeout=5,
        )
        token.raise_for_status()
        answer: dict[str, str] = token.json()
        return answer

    def access_token(self, sub: str, claims: dict[str, object]) -> str:
        """Drive authorize+token like a client would (no browser) and return an access token for
        that user. The token is opaque; `claims` (without "sub") are what userinfo answers."""
        return self.tokens(sub, claims)["access_token"]


def _executable() -> str:
    beside = Path(sys.executable).parent / "oidc-provider-mock"
    found = str(beside) if beside.exists() else shutil.which("oidc-provider-mock")
    if not found:
        raise RuntimeError("oidc-provider-mock is not installed (make install, dev extras)")
    return found


def start_oidc_provider(tmp_dir: Path) -> OidcProvider:
    """Start the provider on a free loopback port; its log goes to tmp_dir/oidc-provider.log."""
    tmp_dir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    log_path = tmp_dir / "oidc-provider.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [_executable(), "-H", "127.0.0.1", "-p", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "NO_COLOR": "1"},
        )
    provider = OidcProvider(process, port, log_path)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"oidc-provider-mock exited: {log_path.read_text()}")
        try:
            discovery = requests.get(
                f"{provider.issuer}/.well-known/openid-configuration", timeout=1
            )
            if discovery.ok and json.loads(discovery.text)["issuer"] == provider.issuer:
                return provider
        except requests.RequestException:
            pass
        time.sleep(0.1)
    provider.stop()
    raise TimeoutError(f"oidc-provider-mock not serving after 20 s: {log_path.read_text()}")


@pytest.fixture(scope="session")
def oidc_provider(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OidcProvider]:
    provider = start_oidc_provider(tmp_path_factory.mktemp("oidc"))
    try:
        yield provider
    finally:
        provider.stop()


class KeyServer:
    """A small real OIDC issuer for JWT access tokens: discovery and JWKS on loopback, keys made
    with `cryptography`, and `sign` to issue tokens. oidc-provider-mock's access tokens are
    opaque, so tests of JWT access tokens (rotation, expiry, forged algorithms) use this.

    `keys` (kid -> private key) is what is signed with; `published` (kids) what the JWKS lists:
    change it to rotate or drop keys. `jwks_fetches` counts JWKS requests."""

    def __init__(self) -> None:
        self.keys: dict[str, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey] = {}
        self.published: list[str] = []
        self.jwks_fetches = 0
        self.introspection: dict[str, dict[str, object]] | None = None  # token -> answer
        self.introspection_calls = 0
        self.announced_issuer: str | None = None  # set: discovery names another issuer
        self.jwks_down = False  # True: the JWKS answers 503
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path == "/.well-known/openid-configuration":
                    document: dict[str, object] = {
                        "issuer": server.announced_issuer or server.issuer,
                        "jwks_uri": f"{server.issuer}/jwks",
                        "id_token_signing_alg_values_supported": ["RS256", "ES256"],
                    }
                    if server.introspection is not None:
                        document["introspection_endpoint"] = f"{server.issuer}/introspect"
                    self._answer(200, document)
                elif self.path == "/jwks" and server.jwks_down:
                    server.jwks_fetches += 1
                    self._answer(503, {"error": "down"})
                elif self.path == "/jwks":
                    server.jwks_fetches += 1
                    self._answer(200, {"keys": [server.jwk(kid) for kid in server.published]})
                else:
                    self._answer(404, {"error": "not found"})

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                form = parse_qs(self.rfile.read(length).decode())
                if self.path != "/introspect" or server.introspection is None:
                    self._answer(404, {"error": "not found"})
                    return
                server.introspection_calls += 1
                if self.headers.get("Authorization") != server.introspection_auth:
                    self._answer(401, {"error": "invalid_client"})
                    return
                token = form.get("token", [""])[0]
                self._answer(200, server.introspection.get(token, {"active": False}))

            def _answer(self, status: int, body: dict[str, object]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.issuer = f"http://127.0.0.1:{self._http.server_address[1]}"
        self.introspection_auth = ""
        self._thread = threading.Thread(target=self._http.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._http.shutdown()
        self._http.server_close()
        self._thread.join(5)

    def add_rsa_key(self, kid: str, *, publish: bool = True) -> None:
        self.keys[kid] = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        if publish:
            self.published.append(kid)

    def add_ec_key(self, kid: str, *, publish: bool = True) -> None:
        self.keys[kid] = ec.generate_private_key(ec.SECP256R1())
        if publish:
            self.published.append(kid)

    def jwk(self, kid: str) -> dict[str, object]:
        key = self.keys[kid]
        if isinstance(key, rsa.RSAPrivateKey):
            jwk = RSAAlgorithm.to_jwk(key.public_key(), as_dict=True)
        else:
            jwk = ECAlgorithm.to_jwk(key.public_key(), as_dict=True)
        return {**jwk, "kid": kid, "use": "sig"}

    def public_pem(self, kid: str) -> bytes:
        return (
            self.keys[kid]
            .public_key()
            .public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
        )

    def sign(
        self,
        claims: dict[str, object],
        *,
        kid: str,
        audience: str = "gridplus-api",
        lifetime: int = 300,
        issuer: str | None = None,
    ) -> str:
        """An access token of this issuer: iss/aud/iat/exp filled in unless `claims` has them."""
        now = int(time.time())
        body = {
            "iss": issuer or self.issuer,
            "aud": audience,
            "iat": now,
            "exp": now + lifetime,
            **claims,
        }
        key = self.keys[kid]
        algorithm = "RS256" if isinstance(key, rsa.RSAPrivateKey) else "ES256"
        return pyjwt.encode(body, key, algorithm=algorithm, headers={"kid": kid})


def unsigned_token(header: dict[str, object], claims: dict[str, object], secret: bytes) -> str:
    """A JWT with any header, HMAC-SHA256 "signed" with `secret` (empty signature if no secret):
    what an attacker makes by hand (`alg: none`, HS256 with the public key as the secret) and
    PyJWT refuses to produce."""

    def part(value: bytes) -> str:
        return base64.urlsafe_b64encode(value).rstrip(b"=").decode()

    signing_input = f"{part(json.dumps(header).encode())}.{part(json.dumps(claims).encode())}"
    signature = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest() if secret else b""
    return f"{signing_input}.{part(signature)}"
