"""The pieces of an authorization-code sign-in with PKCE (RFC 7636, S256) that need no I/O."""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass
from urllib.parse import urlencode


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def code_challenge(verifier: str) -> str:
    """S256: BASE64URL(SHA256(ASCII(code_verifier))), unpadded."""
    return _b64url(hashlib.sha256(verifier.encode("ascii")).digest())


@dataclass(frozen=True)
class LoginAttempt:
    """What the session keeps between the redirect to the provider and its answer."""

    state: str
    nonce: str
    verifier: str  # 43..128 characters of [A-Za-z0-9-._~]
    next: str

    @classmethod
    def new(cls, next_path: str) -> LoginAttempt:
        return cls(
            state=secrets.token_urlsafe(32),
            nonce=secrets.token_urlsafe(32),
            verifier=secrets.token_urlsafe(64),  # 86 characters
            next=next_path,
        )

    def as_dict(self) -> dict[str, str]:
        return {
            "state": self.state,
            "nonce": self.nonce,
            "verifier": self.verifier,
            "next": self.next,
        }

    @classmethod
    def from_dict(cls, raw: object) -> LoginAttempt | None:
        if not isinstance(raw, dict):
            return None
        try:
            return cls(str(raw["state"]), str(raw["nonce"]), str(raw["verifier"]), str(raw["next"]))
        except KeyError:
            return None

    def authorize_url(self, endpoint: str, *, client_id: str, redirect_uri: str, scope: str) -> str:
        query = {
            "response_type": "code",
            "client_id": client_id,
            "redirect_uri": redirect_uri,
            "scope": scope,
            "state": self.state,
            "nonce": self.nonce,
            "code_challenge": code_challenge(self.verifier),
            "code_challenge_method": "S256",
        }
        separator = "&" if "?" in endpoint else "?"
        return f"{endpoint}{separator}{urlencode(query)}"

    def token_form(self, code: str, *, client_id: str, redirect_uri: str) -> dict[str, str]:
        return {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "client_id": client_id,
            "code_verifier": self.verifier,
        }
