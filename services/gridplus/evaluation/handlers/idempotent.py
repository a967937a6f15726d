"""Mutations applied once per client request id (kit idempotency keys)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from gridplus.kit import idempotency
from gridplus.kit.clock import Clock


def once(
    session: Session,
    clock: Clock,
    *,
    scope: str,
    request_id: str,
    request: Any,
    run: Callable[[], dict[str, Any]],
) -> dict[str, Any]:
    """Run a mutation once per request id: a retry gets the first answer back."""
    if not request_id:
        return run()
    fingerprint = idempotency.request_fingerprint(request)
    stored = idempotency.recall(
        session, scope=scope, key=request_id, fingerprint=fingerprint, field="request_id"
    )
    if stored is not None:
        return dict(stored)
    response = run()
    idempotency.remember(
        session,
        scope=scope,
        key=request_id,
        fingerprint=fingerprint,
        response=response,
        clock=clock,
    )
    return response
