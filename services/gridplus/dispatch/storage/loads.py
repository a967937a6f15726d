"""Open assignments per person, kept as a count (`assignee_loads`): routing reads the counts of a
grid's people by primary key. It used to count every open assignment they held, a cost that grew
with the backlog (issue 13: ~600 rows fetched per petition after 1,100 petitions, thousands on a
storm day).

Every write that opens, closes or moves an assignment (`assignments.add` and `save`) records its
change here as a delta of its transaction. The deltas are written when the transaction commits,
as its last writes, one upsert per person in person-id order. Why then and in that order: two
dispatch replicas routing at once update the same people's rows; taking those row locks in one
global order, after every other lock of their transactions, means neither ever waits for the
other in a cycle (no deadlock), and the rows are locked for the commit only. A transaction that
rolls back never writes its deltas.

What the count promises: it is exact. It changes in the transaction that opens, closes or moves
an assignment and commits with it (`recount` gives the same numbers). What balance promises
across replicas: a routing decision sees the counts committed when it read them plus its own
transaction's changes, never another replica's uncommitted assignments (the former recount did
not see them either). Two replicas routing to one grid at the same moment may both choose the
same least-loaded person: best effort across replicas, exact within one transaction and on
SQLite (one writer at a time). Dispatch takes no savepoints: a delta recorded inside a
savepoint that rolled back would still be written."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import Connection, delete, event, func, insert, select
from sqlalchemy.orm import Session, SessionTransaction

from gridplus.dispatch.storage.models import OPEN, AssigneeLoadRow, AssignmentRow
from gridplus.kit.write_behind import write_pending

# Two statements every routing transaction runs, as the driver's own SQL (the same text on
# PostgreSQL and SQLite but for the parameter marker): as SQLAlchemy statements they cost more
# in its compile and result machinery than in the database (CPU per transaction on SQLite,
# write ~95 -> ~60 us, read ~110 -> ~90 us; PostgreSQL write ~455 -> ~400, read ~400 -> ~280).
_COUNTS = "SELECT assignee_id, open_count FROM assignee_loads WHERE assignee_id IN ({})"
_ADD = (
    "INSERT INTO assignee_loads (assignee_id, open_count) VALUES ({0}, {0}) "
    "ON CONFLICT (assignee_id) DO UPDATE "
    "SET open_count = assignee_loads.open_count + excluded.open_count"
)
_KEPT = "gridplus.dispatch.loads"


@dataclass
class _Kept:
    """One transaction's view: counts as it read them, and its own changes not yet written."""

    transaction: SessionTransaction
    read: dict[str, int] = field(default_factory=dict)
    changes: dict[str, int] = field(default_factory=dict)


def counts(session: Session, *, person_ids: Sequence[str]) -> dict[str, int]:
    """Open assignments per person (0 when none), with this transaction's own changes. The
    people it has not read yet in one primary-key lookup; a consumer batch routes up to 200
    petitions, mostly to the same few people, and reads each of them once."""
    if not person_ids:
        return {}
    kept = _kept(session)
    missing = sorted({person_id for person_id in person_ids if person_id not in kept.read})
    if missing:
        found = dict.fromkeys(missing, 0)
        connection = session.connection()
        marks = ", ".join([_marker(connection)] * len(missing))
        for person_id, count in connection.exec_driver_sql(_COUNTS.format(marks), tuple(missing)):
            found[person_id] = int(count)
        kept.read.update(found)
    return {p: kept.read[p] + kept.changes.get(p, 0) for p in person_ids}


def moved(session: Session, *, before: str | None, after: str | None) -> None:
    """An assignment that was open for `before` is now open for `after` (None: not open, or
    not there): one fewer for the one, one more for the other, written at commit."""
    if before == after:
        return
    kept = _kept(session)
    for person_id, delta in ((before, -1), (after, 1)):
        if person_id is not None:
            kept.changes[person_id] = kept.changes.get(person_id, 0) + delta


def recount(session: Session) -> None:
    """Every count again from the assignments table (the migration's backfill): for a database
    that replicas of an earlier release wrote to after the migration."""
    session.execute(delete(AssigneeLoadRow))
    assignments = AssignmentRow.__table__.c
    counted = (
        select(assignments.assignee_id, func.count())
        .where(assignments.status == OPEN)
        .group_by(assignments.assignee_id)
    )
    session.execute(insert(AssigneeLoadRow).from_select(["assignee_id", "open_count"], counted))
    session.info.pop(_KEPT, None)


def _kept(session: Session) -> _Kept:
    """This transaction's view, begun (and its write at commit registered) on first use."""
    transaction = session.get_transaction()
    if transaction is None:
        session.connection()  # begins the transaction, as the first statement would
        transaction = session.get_transaction()
    assert transaction is not None
    kept: _Kept | None = session.info.get(_KEPT)
    if kept is None or kept.transaction is not transaction:
        kept = _Kept(transaction)
        session.info[_KEPT] = kept
        event.listen(session, "before_commit", _write, once=True)
    return kept


def _write(session: Session) -> None:
    """The transaction's changes, sorted by person, after everything else it wrote (see the
    module's docstring). Each view is written once, by the first listener that finds it: one
    left by a transaction that rolled back may write the committing transaction's view (whose
    own listener then finds nothing left); a rolled-back view is never the current one."""
    kept: _Kept | None = session.info.get(_KEPT)
    if kept is None or kept.transaction is not session.get_transaction():
        return
    session.info.pop(_KEPT, None)
    rows = [(person_id, delta) for person_id, delta in sorted(kept.changes.items()) if delta]
    if not rows:
        return
    # The assignments first (the ORM's and those kit.write_behind holds): the count rows are
    # the last locks taken.
    write_pending(session)
    session.flush()
    connection = session.connection()
    # One row: execute; several: executemany, which runs them in this (sorted) order.
    connection.exec_driver_sql(_ADD.format(_marker(connection)), rows if len(rows) > 1 else rows[0])


def _marker(connection: Connection) -> str:
    """The driver's parameter marker: sqlite3's ?, psycopg's %s."""
    return "?" if connection.dialect.paramstyle == "qmark" else "%s"
