"""Time-bank ledger writes. A balance changes only by one conditional UPDATE, so concurrent
spends can never take it below zero (PostgreSQL re-checks the condition on the locked row;
SQLite writers are serialised), and the CHECK constraint guards it as well."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from gridplus.evaluation.domain.time_bank import Audit, Entry, InsufficientBalance
from gridplus.evaluation.storage.models import TimeBankAccount, TimeBankEntryRow
from gridplus.kit.db import insert_for


def credit(session: Session, *, person_id: str, points: int, minutes: int, audit: Audit) -> Entry:
    statement = insert_for(session, TimeBankAccount).values(
        person_id=person_id, balance=points, updated_at=audit.at
    )
    session.execute(
        statement.on_conflict_do_update(
            index_elements=["person_id"],
            set_={"balance": TimeBankAccount.balance + points, "updated_at": audit.at},
        )
    )
    return _entry(session, person_id, points, minutes, audit)


def debit(session: Session, *, person_id: str, points: int, audit: Audit) -> Entry:
    changed = session.execute(
        update(TimeBankAccount)
        .where(TimeBankAccount.person_id == person_id, TimeBankAccount.balance >= points)
        .values(balance=TimeBankAccount.balance - points, updated_at=audit.at)
        .execution_options(synchronize_session=False)
    )
    if not changed.rowcount:  # type: ignore[attr-defined]
        held = balance(session, person_id)
        raise InsufficientBalance(f"balance is {held} points; cannot spend {points}")
    return _entry(session, person_id, -points, 0, audit)


def _entry(session: Session, person_id: str, points: int, minutes: int, audit: Audit) -> Entry:
    row = TimeBankEntryRow(
        person_id=person_id,
        points=points,
        balance_after=balance(session, person_id),
        minutes=minutes,
        reason=audit.reason,
        actor_id=audit.actor_id,
        actor_role=audit.actor_role,
        recorded_at=audit.at,
    )
    session.add(row)
    session.flush()
    return _as_entry(row)


def balance(session: Session, person_id: str) -> int:
    found = session.execute(
        select(TimeBankAccount.balance).where(TimeBankAccount.person_id == person_id)
    ).scalar_one_or_none()
    return int(found or 0)


def entries(session: Session, person_id: str, limit: int) -> list[Entry]:
    rows = session.execute(
        select(TimeBankEntryRow)
        .where(TimeBankEntryRow.person_id == person_id)
        .order_by(TimeBankEntryRow.id.desc())
        .limit(limit)
    ).scalars()
    return [_as_entry(r) for r in rows]


def _as_entry(row: TimeBankEntryRow) -> Entry:
    return Entry(
        id=row.id,
        person_id=row.person_id,
        points=row.points,
        balance_after=row.balance_after,
        minutes=row.minutes,
        reason=row.reason,
        actor_id=row.actor_id,
        actor_role=row.actor_role,
        recorded_at=row.recorded_at,
    )
