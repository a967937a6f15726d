"""Notification's use cases, one module per group: notices (events → inbox items and
deliveries), inbox, subscriptions, deliveries (status), bulletins; recipients resolves audiences
through the directory port, signals wakes waiters in this process. Handlers call storage/ for
every query and kit.idempotency.run_once for every mutation a caller may retry."""

from __future__ import annotations

from gridplus.kit.errors import InvalidArgument

MAX_REQUEST_ID = 100


def request_key(request_id: str) -> str | None:
    """The run-once key of a call (None: no request id given, so the call simply runs)."""
    if len(request_id) > MAX_REQUEST_ID:
        raise InvalidArgument.single("request_id", f"at most {MAX_REQUEST_ID} characters")
    return request_id or None
