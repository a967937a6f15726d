"""Why a call was refused, and the one place that logs and counts each refusal.

Shared by the deployment's own tokens (kit/auth.py) and a city's provider (kit/oidc.py).
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from gridplus.kit.errors import Unauthenticated

# The name the refusal lines always had (dashboards and tests look for it).
log = logging.getLogger("gridplus.kit.auth")


class Refusal(StrEnum):
    """Why a caller was turned away: a small fixed set, so logs and metrics can count them."""

    MISSING = "missing"
    MALFORMED_HEADER = "malformed_header"
    MALFORMED_TOKEN = "malformed_token"
    BAD_SIGNATURE = "bad_signature"
    WRONG_ISSUER = "wrong_issuer"
    MISSING_CLAIM = "missing_claim"
    EXPIRED = "expired"
    NOT_YET_VALID = "not_yet_valid"
    LIFETIME_TOO_LONG = "lifetime_too_long"
    UNKNOWN_ROLE = "unknown_role"
    INVALID = "invalid"
    # OIDC (kit/oidc.py)
    WRONG_AUDIENCE = "wrong_audience"
    ALGORITHM_NOT_ALLOWED = "algorithm_not_allowed"  # alg none, HS256 against a public key, ...
    UNKNOWN_KEY = "unknown_key"  # no key of the provider's JWKS has this kid, even after refetch
    INACTIVE = "inactive"  # an opaque token the provider does not know (expired, revoked, made up)
    DEV_TOKEN = "dev_token"  # a deployment HS256 token for a user while a city's issuer is set
    ROLE_NOT_ALLOWED = "role_not_allowed"  # authenticated, but the role may not call this


class TokenRefused(Unauthenticated):
    """UNAUTHENTICATED with the reason, and the subject when the signature proved it."""

    def __init__(self, reason: Refusal, message: str, subject: str | None = None) -> None:
        super().__init__(message)
        self.reason = reason
        self.subject = subject


@dataclass(frozen=True)
class RequestOrigin:
    """Where a call came from, for the refusal log: "grpc" or "http", the method or route, the
    peer address. Never the token or anything a caller wrote."""

    channel: str
    target: str
    peer: str


# (channel, reason) -> None. The metrics side registers one (kit.interceptors); this module stays
# free of exporters, since every domain module that imports Principal would reach them.
RefusalCounter = Callable[[str, Refusal], None]
_counters: list[RefusalCounter] = []


def count_refusals_with(counter: RefusalCounter) -> None:
    if counter not in _counters:
        _counters.append(counter)


def record_refusal(
    reason: Refusal, origin: RequestOrigin | None, subject: str | None = None
) -> None:
    """One WARNING line and a counter per refused call, so an operator sees probing.

    The subject is logged only when the token's signature was valid (an expired or over-long
    token of a real account): it is an id, not personal data. A forged token's claims are the
    prober's own words and are not repeated.
    """
    where = origin or _http_origin() or RequestOrigin("unknown", "", "")
    for counter in _counters:
        counter(where.channel, reason)
    fields: dict[str, object] = {
        "reason": reason.value,
        "channel": where.channel,
        "target": where.target,
        "peer": where.peer,
    }
    if subject is not None:
        fields["subject"] = subject
    log.warning("call refused", extra=fields)


def _http_origin() -> RequestOrigin | None:
    """The Flask request being handled, if any: the HTTP app calls verify_authorization without
    saying where from. Flask is looked up, not imported: importing the kit (as every domain
    module does for Principal) must not load an HTTP framework; only a process that already
    serves Flask has a request to describe."""
    flask = sys.modules.get("flask")
    if flask is None or not flask.has_request_context():
        return None
    request = flask.request
    route = request.url_rule.rule if request.url_rule is not None else request.path
    return RequestOrigin("http", f"{request.method} {route}", str(request.remote_addr or ""))
