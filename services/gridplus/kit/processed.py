"""The ids of events a consumer has applied, recorded a whole batch at a time."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.orm import Session

from gridplus.kit.db import insert_for
from gridplus.kit.tables import processed_events

# Rows per INSERT: three bound values each, far below SQLite's 32,766-variable limit.
_ROWS_PER_STATEMENT = 500


def record_new(session: Session, consumer: str, event_ids: Sequence[str], at: datetime) -> set[str]:
    """Record `event_ids` as processed by `consumer`; returns those not recorded before.

    One multi-row INSERT ... ON CONFLICT DO NOTHING RETURNING is both the look-up and the
    record: on PostgreSQL a second member of the group applying the same events during a
    rebalance waits on our uncommitted rows and then finds them taken, where a look-up first
    would have read past them and applied the effects twice.
    """
    unique = list(dict.fromkeys(event_ids))
    fresh: set[str] = set()
    for start in range(0, len(unique), _ROWS_PER_STATEMENT):
        rows = [
            {"consumer": consumer, "event_id": event_id, "processed_at": at}
            for event_id in unique[start : start + _ROWS_PER_STATEMENT]
        ]
        statement = (
            insert_for(session, processed_events)
            .values(rows)
            .on_conflict_do_nothing()
            .returning(processed_events.c.event_id)
        )
        fresh.update(session.execute(statement).scalars())
    return fresh
