"""A city's OpenID Connect provider as the services see it: its discovery document and its
signing keys (JWKS), fetched on first use and cached (see kit/oidc.py for the rules).

The issuer is the operator's configuration, like the database URL, so its endpoints are fetched
directly (not through kit.egress), with a timeout, no redirects and a size limit.
"""

from __future__ import annotations

import json
import logging
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import jwt

from gridplus.kit.config import OidcSettings
from gridplus.kit.errors import TransientError
from gridplus.kit.refusals import Refusal, TokenRefused

log = logging.getLogger(__name__)

# The algorithms a provider's access token may use, with the key type each needs.
KEY_TYPES = {"RS256": "RSA", "ES256": "EC"}
HTTP_TIMEOUT_SECONDS = 5.0
MAX_RESPONSE_BYTES = 1 << 20


class ProviderUnavailable(TransientError):
    """The provider did not answer (or answered nonsense): UNAVAILABLE, not the caller's fault."""


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_opener = urllib.request.build_opener(_NoRedirects)


@dataclass(frozen=True)
class HttpAnswer:
    status: int
    body: bytes


# (url, form data or None for GET, headers) -> answer. Tests may count the calls.
Fetch = Callable[[str, Mapping[str, str] | None, Mapping[str, str]], HttpAnswer]


def http_fetch(url: str, form: Mapping[str, str] | None, headers: Mapping[str, str]) -> HttpAnswer:
    data = urllib.parse.urlencode(form).encode() if form is not None else None
    request = urllib.request.Request(url, data=data, headers=dict(headers))
    try:
        with _opener.open(request, timeout=HTTP_TIMEOUT_SECONDS) as response:
            return HttpAnswer(response.status, response.read(MAX_RESPONSE_BYTES + 1))
    except urllib.error.HTTPError as error:
        return HttpAnswer(error.code, error.read(MAX_RESPONSE_BYTES + 1))
    except (OSError, ValueError) as error:
        raise ProviderUnavailable(f"identity provider unreachable at {url}: {error}") from None


def json_object(answer: HttpAnswer, url: str) -> dict[str, Any]:
    if answer.status != 200:
        raise ProviderUnavailable(f"identity provider answered {answer.status} at {url}")
    if len(answer.body) > MAX_RESPONSE_BYTES:
        raise ProviderUnavailable(f"identity provider answer too large at {url}")
    try:
        value = json.loads(answer.body)
    except ValueError:
        raise ProviderUnavailable(f"identity provider answered no JSON at {url}") from None
    if not isinstance(value, dict):
        raise ProviderUnavailable(f"identity provider answered no JSON object at {url}")
    return value


class Provider:
    """The discovery document and the JWKS of one issuer, fetched on first use and cached."""

    def __init__(
        self, settings: OidcSettings, fetch: Fetch, monotonic: Callable[[], float]
    ) -> None:
        self._settings = settings
        self._fetch = fetch
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._discovery: dict[str, Any] | None = None
        self._keys: dict[str, jwt.PyJWK] = {}
        self._keys_fetched: float | None = None
        self._refetch_lock = threading.Lock()

    def discovery(self) -> dict[str, Any]:
        with self._lock:
            if self._discovery is None:
                url = f"{self._settings.issuer}/.well-known/openid-configuration"
                document = json_object(self._fetch(url, None, {}), url)
                announced = str(document.get("issuer", "")).rstrip("/")
                if announced != self._settings.issuer:
                    # OIDC Discovery 4.3: a document for another issuer must not be used.
                    raise ProviderUnavailable(
                        f"discovery document at {url} names issuer {announced!r}, "
                        f"not GRIDPLUS_OIDC_ISSUER {self._settings.issuer!r}"
                    )
                self._discovery = document
            return self._discovery

    def issuer(self) -> str:
        """The issuer as the discovery document spells it: what `iss` must say."""
        return str(self.discovery()["issuer"])

    def endpoint(self, name: str) -> str | None:
        value = self.discovery().get(name)
        return value if isinstance(value, str) and value else None

    def key(self, kid: str | None, algorithm: str) -> jwt.PyJWK:
        """The JWKS key for a token header; refetches on an unknown kid (rate-limited)."""
        found = None if self._stale(self._monotonic()) else self._pick(kid, algorithm)
        if found is None:
            # One refetch at a time; whoever waited sees the keys the first one fetched.
            with self._refetch_lock:
                now = self._monotonic()
                fetched = self._keys_fetched
                stale = self._stale(now)
                found = None if stale else self._pick(kid, algorithm)
                if found is None and (
                    stale or fetched is None or now - fetched >= self._settings.jwks_refetch_seconds
                ):
                    self._refetch_keys(now)
                    found = self._pick(kid, algorithm)
        if found is None:
            raise TokenRefused(
                Refusal.UNKNOWN_KEY,
                f"no {KEY_TYPES[algorithm]} key with kid {kid!r} in the provider's JWKS",
            )
        return found

    def _stale(self, now: float) -> bool:
        fetched = self._keys_fetched
        return fetched is None or now - fetched >= self._settings.jwks_max_age_seconds

    def _pick(self, kid: str | None, algorithm: str) -> jwt.PyJWK | None:
        with self._lock:
            keys = dict(self._keys)
        if kid is not None:
            candidates = [keys[kid]] if kid in keys else []
        else:
            # A provider with one key may leave kid out.
            candidates = list(keys.values())
            if len(candidates) != 1:
                return None
        for key in candidates:
            if key.key_type == KEY_TYPES[algorithm] and key.algorithm_name in (algorithm, None):
                return key
        return None

    def _refetch_keys(self, now: float) -> None:
        url = self.endpoint("jwks_uri")
        if url is None:
            raise ProviderUnavailable("the provider's discovery document has no jwks_uri")
        try:
            document = json_object(self._fetch(url, None, {}), url)
        except ProviderUnavailable:
            if self._keys:
                # Keep the keys held and try again after the refetch interval, instead of
                # failing every call (or asking the provider on every call) while it is down.
                log.warning("identity provider keys could not be refetched; keeping the old ones")
                with self._lock:
                    self._keys_fetched = (
                        now
                        - self._settings.jwks_max_age_seconds
                        + max(self._settings.jwks_refetch_seconds, 1)
                    )
                return
            raise
        keys: dict[str, jwt.PyJWK] = {}
        for index, entry in enumerate(document.get("keys") or []):
            if not isinstance(entry, dict) or entry.get("use", "sig") != "sig":
                continue
            try:
                key = jwt.PyJWK(entry)
            except jwt.PyJWTError:
                continue  # a key type this verifier does not use (e.g. an encryption key)
            keys[str(entry.get("kid", f"#{index}"))] = key
        with self._lock:
            self._keys = keys
            self._keys_fetched = now
        log.info("identity provider keys fetched", extra={"keys": sorted(keys)})
