"""Inserts held until the transaction commits, then written as one executemany per statement.

A consumer batch applies up to 200 events in one transaction, and each event's outbox row was
its own INSERT: on PostgreSQL a round trip per event that the consumer thread sat waiting on
(py-spy on dispatch in a 4,000-petition closed loop: 13% of its consumer thread's wall time).
Rows nobody reads before the commit (the outbox's: only the relay reads them, after it) can wait
and go together.

Order is kept per statement, and statements are written in the order each was first used, so
rows that refer to an earlier statement's rows still come after them. Rows deferred inside a
savepoint that rolls back are dropped with it; a savepoint that commits writes everything
pending; a savepoint may not begin while rows are pending (call `write_pending` first). Rows the
same transaction may read back are deferred with `read_back=True`: any other statement the
session runs first, and any ORM flush, writes everything pending (as the ORM's autoflush would),
so a run of inserts with no read between them goes together and a read still sees them.
Statements run on the session's raw connection (`session.connection()`) do not trigger that
write: a read there that may see such rows calls `write_before_read` first.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Executable, event
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction

_KEY = "gridplus.kit.write_behind"
_READ_BACK = "gridplus.kit.write_behind.read_back"


@dataclass(frozen=True)
class _Deferred:
    statement: Executable
    row: dict[str, Any]
    savepoint: SessionTransaction | None  # the savepoint it was deferred in; None: the root


def defer_insert(
    session: Session,
    statement: Executable,
    rows: Sequence[dict[str, Any]],
    *,
    read_back: bool = False,
) -> None:
    """`rows` for `statement`, executed just before this session's transaction commits, or
    (`read_back`) before the next other statement the session runs, if that comes first."""
    savepoint = session.get_nested_transaction()
    pending: list[_Deferred] = session.info.setdefault(_KEY, [])
    pending.extend(_Deferred(statement, row, savepoint) for row in rows)
    if read_back:
        session.info[_READ_BACK] = True


def write_pending(session: Session) -> None:
    """Everything deferred so far, one executemany per statement (a single row: execute)."""
    session.info.pop(_READ_BACK, None)
    pending: list[_Deferred] | None = session.info.pop(_KEY, None)
    if not pending:
        return
    by_statement: dict[Executable, list[dict[str, Any]]] = {}
    for deferred in pending:
        by_statement.setdefault(deferred.statement, []).append(deferred.row)
    for statement, rows in by_statement.items():
        session.execute(statement, rows[0] if len(rows) == 1 else rows)


def write_before_read(session: Session) -> None:
    """Before a read on the session's raw connection (which the listeners below do not see):
    writes what is pending if any of it was deferred with `read_back`."""
    if session.info.get(_READ_BACK):
        write_pending(session)


@event.listens_for(Session, "before_commit")
def _before_commit(session: Session) -> None:
    write_pending(session)


@event.listens_for(Session, "do_orm_execute")
def _before_execute(state: ORMExecuteState) -> None:
    # write_pending's own statements find nothing pending: it takes the list first.
    if state.session.info.get(_READ_BACK):
        write_pending(state.session)


@event.listens_for(Session, "before_flush")
def _before_flush(session: Session, _context: Any, _instances: Any) -> None:
    # ORM rows flushed now may refer to rows deferred to be read back: those go first.
    if session.info.get(_READ_BACK):
        write_pending(session)


@event.listens_for(Session, "after_transaction_create")
def _no_savepoint_over_pending(session: Session, transaction: SessionTransaction) -> None:
    # SQLAlchemy emits SAVEPOINT before this event: rows pending from outside it could now only
    # be written inside it, and its rollback would take them. Refused, loudly.
    if transaction.nested and any(d.savepoint is not transaction for d in _pending(session)):
        raise RuntimeError(
            "a savepoint began with deferred inserts pending (kit.write_behind): "
            "call write_pending(session) before begin_nested()"
        )


def _pending(session: Session) -> list[_Deferred]:
    return session.info.get(_KEY) or []


@event.listens_for(Session, "after_transaction_end")
def _after_transaction_end(session: Session, transaction: SessionTransaction) -> None:
    """A root transaction's end leaves nothing behind (a rollback drops what was deferred); a
    savepoint's end drops what was deferred in it (had it committed, that was written)."""
    pending: list[_Deferred] | None = session.info.get(_KEY)
    if not pending:
        return
    if transaction.parent is None:
        session.info.pop(_KEY, None)
        session.info.pop(_READ_BACK, None)
    elif transaction.nested:
        session.info[_KEY] = [d for d in pending if d.savepoint is not transaction]
