"""The Idempotency-Key header of the HTTP POSTs (resident submit and rating, Open311 POST)."""

from __future__ import annotations

from flask import request

from gridplus.kit.errors import InvalidArgument

IDEMPOTENCY_KEY_MAX = 200


def idempotency_key() -> str | None:
    """The request's key, or None without one; a key that is empty, too long or not printable
    is refused, never truncated (a shortened key could match another request's)."""
    raw = request.headers.get("Idempotency-Key")
    if raw is None:
        return None
    # The limit holds for the header as sent (as /openapi.json says), quotes included: a 201-
    # character value is refused even when its quotes would bring the key under the limit.
    raw = raw.strip()
    # The IETF draft sends the key as a structured-field string ("..."); plain tokens work too.
    key = raw.removeprefix('"').removesuffix('"')
    if not key or len(raw) > IDEMPOTENCY_KEY_MAX or not key.isprintable():
        raise InvalidArgument.single(
            "idempotency_key", f"must be 1 to {IDEMPOTENCY_KEY_MAX} printable characters"
        )
    return key
