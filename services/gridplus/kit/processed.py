"""The ids of events a consumer has applied, recorded a whole batch at a time."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from gridplus.kit.tables import processed_events

# Built once per dialect: building it per batch (and its cache key) was a tenth of evaluation's
# live apply in a py-spy profile of bench.evaluation_live.
_RECORD_STATEMENTS: dict[str, Any] = {}


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
    connection = session.connection()
    return set(connection.execute(_record_statement(connection.dialect.name), rows).scalars())


def _record_statement(dialect: str) -> Any:
    statement = _RECORD_STATEMENTS.get(dialect)
    if statement is None:
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        statement = (
            insert(processed_events).on_conflict_do_nothing().returning(processed_events.c.event_id)
        )
        _RECORD_STATEMENTS[dialect] = statement
    return statement
