"""Request ids and Idempotency-Key: a retried mutation returns the first answer, applied once."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from gridplus.kit.clock import Clock
from gridplus.kit.errors import InvalidArgument
from gridplus.kit.tables import idempotency_keys


def request_fingerprint(payload: Any) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


class IdempotencyKeyReused(InvalidArgument):
    """A key already answered a different request: refusing beats answering the wrong one."""

    http_status = 422
    title = "Idempotency key reused"


def recall(
    session: Session, *, scope: str, key: str, fingerprint: str, field: str = "idempotency_key"
) -> Any | None:
    """The stored response for (scope, key), or None; a key reused for a different request
    is refused (naming `field`, how the caller spells the key) rather than silently answered
    with the other request's result."""
    row = session.execute(
        select(idempotency_keys.c.request_hash, idempotency_keys.c.response).where(
            idempotency_keys.c.scope == scope, idempotency_keys.c.key == key
        )
    ).first()
    if row is None:
        return None
    if row.request_hash != fingerprint:
        raise IdempotencyKeyReused.single(
            field, "this key was already used for a different request"
        )
    return json.loads(row.response)


def remember(
    session: Session, *, scope: str, key: str, fingerprint: str, response: Any, clock: Clock
) -> None:
    session.execute(
        insert(idempotency_keys).values(
            scope=scope,
            key=key,
            request_hash=fingerprint,
            response=json.dumps(response, default=str),
            created_at=clock.now(),
        )
    )
