"""One HTTP POST with urllib, failures sorted into "try again" and "refused for good"."""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Mapping
from urllib.parse import urlsplit

from gridplus.notification.domain.delivery import SendFailed

# Statuses that say "not now" rather than "never".
_RETRYABLE = {408, 425, 429}


def post(url: str, body: bytes, headers: Mapping[str, str], *, timeout: float) -> None:
    request = urllib.request.Request(url, data=body, method="POST", headers=dict(headers))
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            response.read(1024)
    except urllib.error.HTTPError as exc:
        status = exc.code
        exc.close()
        permanent = 400 <= status < 500 and status not in _RETRYABLE
        raise SendFailed(f"HTTP {status}", permanent=permanent) from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise SendFailed(f"unreachable: {type(reason).__name__}: {reason}") from None


def origin(url: str) -> str:
    """scheme://host:port of a URL: the circuit breaker's endpoint (no path, no query)."""
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return f"{parts.scheme}://{parts.hostname}:{port}"
