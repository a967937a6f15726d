"""Core INSERT … ON CONFLICT statements for the read models, built once per table, dialect and
rule and executed with plain parameters: an event's row written in one statement, the "latest
wins" / "first wins" rules in SQL (CASE on the timestamps), no read, no ORM object, no flush.

A statement built anew per call spends most of its cost in SQLAlchemy's Python (coercing the
values, the cache key); a cached one with its values as parameters skips both. Rows go through
the session's connection: the session's transaction, without the ORM's per-execute work.

Upserts and ignored duplicates are queued on the session and written just before anything
else runs on it (a read, a flush) and before its commit, each statement once with all its
queued rows (executemany: a C loop on SQLite, a pipeline on PostgreSQL), so a consumer's batch
of events costs a handful of statements. The rows of one statement keep their order; between
statements the order does not matter: two rules that set the same column keep the largest
(time, id) in any order, but for one tie: a petition's grid from PetitionAssigned and from an
imported PetitionSubmitted at the same instant, which come from two topics whose interleaving
no consumer controls anyway. A rollback
drops the queue (a savepoint's: what was queued in it); a write that fails, fails the commit
(a consumer's batch is then applied one event at a time, as when a handler fails).

Timestamps compare in SQL as they do in Python: PostgreSQL compares timestamptz, SQLite the
fixed-width UTC text every UtcDateTime column is stored as. Ids compare by code point (Python's
str order): SQLite's default BINARY collation does; PostgreSQL is told COLLATE "C"."""

from __future__ import annotations

import weakref
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from sqlalchemy import ColumnElement, Table, and_, case, event, func, or_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction

from gridplus.kit.clock import as_utc
from gridplus.kit.db import UtcDateTime

Columns = Any  # a table's `.c` or an INSERT's `.excluded`
Rule = Callable[[Columns, Columns, str], dict[str, Any]]

_STATEMENTS: dict[tuple[str, str, str], Any] = {}
_QUEUE = "gridplus.evaluation.queued_rows"  # session.info: (table, rule) -> (statement, rows)
_HOOKED: set[type[Session]] = set()  # session classes whose sessions write their queue
_DIALECT = "gridplus.evaluation.dialect"  # session.info: the session's dialect name
_MARKS = "gridplus.evaluation.queue_marks"  # open savepoint -> queue lengths when it opened


def dialect_of(session: Session) -> str:
    return session.get_bind().dialect.name


def _insert(dialect: str, table: Table) -> Any:
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)


def _cached(dialect: str, table: Table, name: str, build: Callable[[], Any]) -> Any:
    key = (dialect, table.name, name)
    statement = _STATEMENTS.get(key)
    if statement is None:
        statement = _STATEMENTS[key] = build()
    return statement


def insert_ignoring_duplicates(session: Session, model: Any, **values: Any) -> bool:
    """Insert a row unless its key exists; True when inserted. Asks for the inserted key back
    rather than a row count: on PostgreSQL (psycopg) this INSERT reports -1 rows, which would
    read as inserted whether or not it was."""
    table: Table = getattr(model, "__table__", model)
    dialect = dialect_of(session)

    def build() -> Any:
        key = next(iter(table.primary_key.columns))
        return _insert(dialect, table).on_conflict_do_nothing().returning(key)

    statement = _cached(dialect, table, "ignore-returning", build)
    return session.connection().execute(statement, values).first() is not None


def insert_ignoring(session: Session, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert the rows whose key is not there yet (queued; the rows of one table must name the
    same columns)."""
    if not rows:
        return
    queued = _queued(session, table, "ignore")
    if queued is None:
        dialect = _dialect(session)
        build = lambda: _insert(dialect, table).on_conflict_do_nothing()  # noqa: E731
        queued = _queue(session, dialect, table, "ignore", build)
    queued.extend(rows)


def upsert(session: Session, table: Table, name: str, rule: Rule, row: Mapping[str, Any]) -> None:
    """Insert `row`, or fold it into the row of its key by `rule` (cur, new, dialect) -> the SET
    clause; `name` names the rule in the statement cache. Queued; the row must name the same
    columns at every call of one rule."""
    queued = _queued(session, table, name)
    if queued is None:
        dialect = _dialect(session)

        def build() -> Any:
            insert = _insert(dialect, table)
            return insert.on_conflict_do_update(
                index_elements=list(table.primary_key.columns),
                set_=rule(table.c, insert.excluded, dialect),
            )

        queued = _queue(session, dialect, table, name, build)
    queued.append(row)


def write_queued(session: Session) -> None:
    """Write the rows queued on `session` now (also done before any other statement on it and
    before its commit)."""
    queue: dict[tuple[str, str], tuple[Any, list[Mapping[str, Any]]]] | None
    queue = session.info.pop(_QUEUE, None)
    if not queue:
        return
    connection = session.connection()
    plans = _plans(connection.dialect)
    for key, (statement, rows) in queue.items():
        columns = (*key, *rows[0])
        plan = plans.get(columns, _UNPLANNED)
        if plan is _UNPLANNED:
            plan = plans[columns] = _compile(connection.dialect, statement, list(rows[0]))
        if plan is None:
            connection.execute(statement, rows if len(rows) > 1 else rows[0])
        else:
            params = [plan.values(row) for row in rows]
            connection.exec_driver_sql(plan.sql, params if len(params) > 1 else params[0])


def _sqlite_utc_text(value: datetime | None) -> str | None:
    """A UtcDateTime on SQLite: the text SQLAlchemy stores (UTC, microseconds, no zone), from
    the C isoformat instead of its %-format of a dict, a third of a queued row's processing."""
    if value is None:
        return None
    if value.tzinfo is not UTC:
        value = as_utc(value)
    return value.isoformat(" ", "microseconds")[:26]


_SAMPLES = [
    None,
    datetime(2025, 1, 6, 8, 0, 0, 1, tzinfo=UTC),
    datetime(1, 1, 1, tzinfo=UTC),
    datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
    datetime(2025, 3, 30, 1, 30, tzinfo=timezone(timedelta(hours=-9, minutes=-30))),
    datetime(2025, 7, 1, 12, 0, 0, 500000),
]


def _same_text(process: Any, dialect: Dialect) -> bool:
    """Whether `_sqlite_utc_text` stands for SQLAlchemy's processor here: SQLite, and the same
    text for every sample (a SQLAlchemy storing another format keeps its own)."""
    return (
        dialect.name == "sqlite"
        and process is not None
        and all(process(value) == _sqlite_utc_text(value) for value in _SAMPLES)
    )


def _queued(session: Session, table: Table, name: str) -> list[Mapping[str, Any]] | None:
    """The rows queued for the statement, if it has a queue on `session` yet."""
    queue = session.info.get(_QUEUE)
    entry = queue.get((table.name, name)) if queue is not None else None
    return None if entry is None else entry[1]  # type: ignore[no-any-return]


def _queue(
    session: Session, dialect: str, table: Table, name: str, build: Callable[[], Any]
) -> list[Mapping[str, Any]]:
    queue = session.info.get(_QUEUE)
    if queue is None:
        queue = session.info[_QUEUE] = {}
        _hook(type(session))
    rows: list[Mapping[str, Any]] = []
    queue[(table.name, name)] = (_cached(dialect, table, name, build), rows)
    return rows


def _dialect(session: Session) -> str:
    # A session's bind never changes: its dialect is looked up once, not at every statement.
    name: str | None = session.info.get(_DIALECT)
    if name is None:
        name = session.info[_DIALECT] = dialect_of(session)
    return name


# -- the queued statements as the driver gets them --------------------------------------------


@dataclass(frozen=True, slots=True)
class _Plan:
    """A statement compiled once per dialect and set of columns, and how a row becomes its
    parameters: SQLAlchemy would otherwise compute the statement's cache key, look it up, build
    and process the parameters in its own Python at every execution, several times an event's
    own work. The SQL and the processed values are what SQLAlchemy itself sends."""

    sql: str
    values: Callable[[Mapping[str, Any]], Any]


_UNPLANNED = _Plan("", dict)
_PLANS: dict[int, dict[tuple[str, ...], _Plan | None]] = {}  # id(dialect) -> its plans


def _plans(dialect: Dialect) -> dict[tuple[str, ...], _Plan | None]:
    plans = _PLANS.get(id(dialect))
    if plans is None:
        plans = _PLANS[id(dialect)] = {}
        # Dropped with the dialect (its engine's), so no later dialect finds them by its id.
        weakref.finalize(dialect, _PLANS.pop, id(dialect), None)
    return plans


def _compile(dialect: Dialect, statement: Any, columns: list[str]) -> _Plan | None:
    """None for a statement whose parameters need more than this handles (SQLAlchemy then
    executes it as usual)."""
    compiled = statement.compile(dialect=dialect, column_keys=columns)
    if (
        compiled.escaped_bind_names
        or compiled.literal_execute_params
        or compiled.post_compile_params
    ):
        return None
    names = list(compiled.positiontup if compiled.positional else compiled.binds)
    slots: list[tuple[str | None, Any, Any]] = []  # (row key, processor, constant)
    for name in names:
        bind = compiled.binds[name]
        process = bind.type.dialect_impl(dialect).bind_processor(dialect)
        if isinstance(bind.type, UtcDateTime) and _same_text(process, dialect):
            process = _sqlite_utc_text
        if bind.key in columns:
            slots.append((bind.key, process, None))
        else:
            value = bind.effective_value
            slots.append((None, None, process(value) if process else value))

    def values(row: Mapping[str, Any]) -> tuple[Any, ...]:
        return tuple(
            [
                constant if key is None else process(row[key]) if process else row[key]
                for key, process, constant in slots
            ]
        )

    if compiled.positional:
        return _Plan(compiled.string, values)
    return _Plan(compiled.string, lambda row: dict(zip(names, values(row), strict=True)))


def _hook(session_class: type[Session]) -> None:
    """The queue's hooks, once per session class: each sessionmaker makes its own subclass, so
    they apply to that factory's sessions only. (Hooked on each session instead, the listeners'
    registration and clean-up cost more than an event's upserts.) On a session with nothing
    queued they do nothing."""
    if session_class in _HOOKED:
        return
    event.listen(session_class, "do_orm_execute", _before_execute)
    event.listen(session_class, "before_commit", write_queued)
    event.listen(session_class, "after_transaction_create", _at_savepoint)
    event.listen(session_class, "after_soft_rollback", _after_rollback)
    event.listen(session_class, "after_transaction_end", _at_end)
    _HOOKED.add(session_class)


def _before_execute(state: ORMExecuteState) -> None:
    write_queued(state.session)


def _at_savepoint(session: Session, transaction: SessionTransaction) -> None:
    # What is queued when a savepoint opens stays queued if the savepoint is rolled back.
    if transaction.nested:
        queue = session.info.get(_QUEUE) or {}
        marks = session.info.setdefault(_MARKS, {})
        marks[id(transaction)] = {key: len(rows) for key, (_, rows) in queue.items()}


def _after_rollback(session: Session, previous_transaction: SessionTransaction) -> None:
    if not previous_transaction.nested:
        session.info.pop(_QUEUE, None)
        session.info.pop(_MARKS, None)
        return
    mark = session.info.get(_MARKS, {}).get(id(previous_transaction), {})
    queue = session.info.get(_QUEUE) or {}
    for key in list(queue):
        del queue[key][1][mark.get(key, 0) :]


def _at_end(session: Session, transaction: SessionTransaction) -> None:
    # Marks are kept until the whole transaction ends: a savepoint's end may be told before
    # its rollback is.
    if transaction.parent is None:
        session.info.pop(_MARKS, None)


# -- rules ------------------------------------------------------------------------------------


def when(condition: ColumnElement[bool], cur: Columns, new: Columns, *names: str) -> dict[str, Any]:
    """SET each column to the new value where `condition` holds, else keep it."""
    return {name: case((condition, new[name]), else_=cur[name]) for name in names}


def newer(cur_at: Any, new_at: Any) -> ColumnElement[bool]:
    """The new value is given and at least as new as the kept one ("latest wins")."""
    return and_(new_at.is_not(None), or_(cur_at.is_(None), new_at >= cur_at))


def earlier(cur_at: Any, new_at: Any) -> ColumnElement[bool]:
    """The new value is given and older than the kept one ("first wins")."""
    return and_(new_at.is_not(None), or_(cur_at.is_(None), new_at < cur_at))


def latest_then_larger(
    cur: Columns, new: Columns, value: str, at: str, dialect: str
) -> ColumnElement[bool]:
    """Latest wins; at the same instant the larger value, whatever the arrival order."""

    def ordered(expression: Any) -> Any:
        return expression.collate("C") if dialect == "postgresql" else expression

    same_time_larger = and_(
        new[at] == cur[at], ordered(new[value]) > ordered(func.coalesce(cur[value], ""))
    )
    return and_(
        new[value].is_not(None),
        new[at].is_not(None),
        or_(cur[at].is_(None), new[at] > cur[at], same_time_larger),
    )


def least(cur: Any, new: Any) -> Any:
    return case((new < cur, new), else_=cur)


def greatest(cur: Any, new: Any) -> Any:
    return case((new > cur, new), else_=cur)
