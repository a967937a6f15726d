"""One HTTP POST through the kit's egress guard, failures sorted into "try again" and "refused
for good". The guard connects only to the public (or allowed) addresses it checked, and no
redirect is followed: a 3xx fails the delivery, so its signature never goes anywhere else."""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlsplit

from gridplus.kit.egress import EgressGuard, EgressRefused
from gridplus.notification.domain.delivery import SendFailed

# Statuses that say "not now" rather than "never".
_RETRYABLE = {408, 425, 429}


def post(
    egress: EgressGuard, url: str, body: bytes, headers: Mapping[str, str], *, timeout: float
) -> None:
    try:
        status = egress.post(url, body, headers, timeout=timeout)
    except EgressRefused as exc:
        # Checked again at every delivery: the host may resolve elsewhere than at subscription.
        raise SendFailed(str(exc), permanent=True) from None
    except OSError as exc:
        raise SendFailed(f"unreachable: {type(exc).__name__}: {exc}") from None
    if 300 <= status < 400:
        raise SendFailed(
            f"HTTP {status}: redirects are not followed; give the final URL", permanent=True
        )
    if status >= 400:
        permanent = status < 500 and status not in _RETRYABLE
        raise SendFailed(f"HTTP {status}", permanent=permanent)


def origin(url: str) -> str:
    """scheme://host:port of a URL: the circuit breaker's endpoint (no path, no query)."""
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return f"{parts.scheme}://{parts.hostname}:{port}"
