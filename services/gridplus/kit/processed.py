"""The ids of events a consumer has applied, recorded a whole batch at a time."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.orm import Session

from gridplus.kit.db import insert_for
from gridplus.kit.tables import processed_events


def record_new(session: Session, consumer: str, event_ids: Sequence[str], at: datetime) -> set[str]:
    """Record `event_ids` as processed by `consumer`; returns those not recorded before.

    INSERT ... ON CONFLICT DO NOTHING RETURNING is both the look-up and the record: on
    PostgreSQL a second member of the group applying the same events during a rebalance waits
    on our uncommitted rows and then finds them taken, where a look-up first would have read
    past them and applied the effects twice. Given the rows as parameters (not in `.values()`),
    SQLAlchemy sends them as multi-row statements of one compiled, cached form ("insertmanyvalues"):
    twice as fast as compiling a VALUES list of each batch's length, on SQLite and PostgreSQL.
    """
    rows = [
        {"consumer": consumer, "event_id": event_id, "processed_at": at}
        for event_id in dict.fromkeys(event_ids)
    ]
    if not rows:
        return set()
    statement = (
        insert_for(session, processed_events)
        .on_conflict_do_nothing()
        .returning(processed_events.c.event_id)
    )
    return set(session.execute(statement, rows).scalars())
