"""Request ids and Idempotency-Key: a retried mutation returns the first answer, applied once."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

from sqlalchemy import bindparam, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gridplus.kit.clock import Clock
from gridplus.kit.db import SessionFactory, transaction
from gridplus.kit.errors import InvalidArgument
from gridplus.kit.tables import idempotency_keys


def request_fingerprint(payload: Any) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


# Built once: every keyed mutation of every service runs both (statement building was a
# visible share of intake's CPU in issue 13's profile).
_RECALL = select(idempotency_keys.c.request_hash, idempotency_keys.c.response).where(
    idempotency_keys.c.scope == bindparam("scope"), idempotency_keys.c.key == bindparam("key")
)
_REMEMBER = insert(idempotency_keys)


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
    row = session.execute(_RECALL, {"scope": scope, "key": key}).first()
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
        _REMEMBER,
        {
            "scope": scope,
            "key": key,
            "request_hash": fingerprint,
            "response": json.dumps(response, default=str),
            "created_at": clock.now(),
        },
    )


def run_once(
    sessions: SessionFactory,
    clock: Clock,
    *,
    scope: str,
    key: str | None,
    request: Any,
    action: Callable[[Session], dict[str, Any]],
    field: str = "request_id",
) -> tuple[dict[str, Any], bool]:
    """Run `action` in its own transaction, once per (scope, key).

    Returns its JSON-able answer and whether it was replayed: a retry with the same key and the
    same `request` gets the first answer back and changes nothing; the same key with another
    request is refused naming `field`. Without a key the action simply runs. Scope keys per
    caller (two callers may pick the same key)."""
    fingerprint = request_fingerprint(request)

    def attempt() -> tuple[dict[str, Any], bool]:
        with transaction(sessions) as session:
            if not key:
                return action(session), False
            stored = recall(session, scope=scope, key=key, fingerprint=fingerprint, field=field)
            if stored is not None:
                return dict(stored), True
            answer = action(session)
            remember(
                session,
                scope=scope,
                key=key,
                fingerprint=fingerprint,
                response=answer,
                clock=clock,
            )
            return answer, False

    try:
        return attempt()
    except IntegrityError:
        if not key:
            raise
        # A concurrent request with the same key committed first: answer with its result.
        return attempt()


def caller_scope(operation: str, subject: str) -> str:
    """The scope of one caller's keys for one operation (the scope column holds 100)."""
    if len(subject) > 80:
        subject = hashlib.sha256(subject.encode()).hexdigest()[:40]
    return f"{operation}:{subject}"[:100]
