"""The sign-in's PKCE pieces: S256 challenge, fresh secrets per attempt, the authorize URL."""

from __future__ import annotations

import base64
import hashlib
import re
from urllib.parse import parse_qs, urlsplit

from gridplus.console.auth.pkce import LoginAttempt, code_challenge


def test_the_challenge_is_the_unpadded_base64url_sha256_of_the_verifier() -> None:
    verifier = "a" * 43
    digest = hashlib.sha256(verifier.encode()).digest()
    assert code_challenge(verifier) == base64.urlsafe_b64encode(digest).decode().rstrip("=")
    assert len(code_challenge(verifier)) == 43 and "=" not in code_challenge(verifier)


def test_each_attempt_has_its_own_state_nonce_and_a_valid_verifier() -> None:
    first, second = LoginAttempt.new("/work"), LoginAttempt.new("/work")
    assert len({first.state, second.state, first.nonce, second.nonce}) == 4
    assert first.verifier != second.verifier
    assert re.fullmatch(r"[A-Za-z0-9\-._~]{43,128}", first.verifier)
    assert LoginAttempt.from_dict(first.as_dict()) == first
    assert LoginAttempt.from_dict({"state": "x"}) is None and LoginAttempt.from_dict("x") is None


def test_the_authorize_url_carries_the_challenge_not_the_verifier() -> None:
    attempt = LoginAttempt.new("/")
    url = attempt.authorize_url(
        "https://id.example.org/authorize?tenant=city",
        client_id="gridplus-console",
        redirect_uri="https://console.example.org/login/callback",
        scope="openid",
    )
    query = parse_qs(urlsplit(url).query)
    assert query["tenant"] == ["city"]
    assert query["code_challenge"] == [code_challenge(attempt.verifier)]
    assert query["code_challenge_method"] == ["S256"]
    assert query["state"] == [attempt.state] and query["nonce"] == [attempt.nonce]
    assert attempt.verifier not in url
    form = attempt.token_form("the-code", client_id="c", redirect_uri="r")
    assert form["code_verifier"] == attempt.verifier and form["grant_type"] == "authorization_code"
