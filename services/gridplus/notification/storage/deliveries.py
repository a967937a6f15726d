"""Reads and writes of deliveries (email, webhook, SMS).

A pending delivery's address (email address, phone number, webhook URL) is stored sealed with the
personal-data key ring (kit.pii), bound to the delivery's id; the worker opens it right before
sending, and it is cleared once the delivery is final.

A claim leases a delivery by pushing its due time out to the lease's end, and that time is the
lease: every status change afterwards (sent, retry, failed, postponed) applies only while the row
is still PENDING and due exactly then. A worker whose lease ran out and whose delivery another
replica has claimed since (a later lease end) changes nothing; it is told so (False).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Insert, bindparam, func, or_, select, update
from sqlalchemy.orm import Session

from gridplus.kit.db import insert_for
from gridplus.kit.pii import KeyRing
from gridplus.notification.domain.delivery import DeliveryRecord, DeliveryStatus
from gridplus.notification.domain.notices import Channel

# Claims live in claims.py; the worker (and tests) reach them through this module.
from gridplus.notification.storage.claims import Claimed as Claimed
from gridplus.notification.storage.claims import SealedAddress as SealedAddress
from gridplus.notification.storage.claims import address_context, address_of
from gridplus.notification.storage.claims import claim_due as claim_due
from gridplus.notification.storage.claims import next_due as next_due
from gridplus.notification.storage.models import Delivery


@dataclass(frozen=True)
class NewDelivery:
    source_event_id: str
    event_type: str
    recipient_id: str
    channel: Channel
    kind: str
    address: str
    title: str
    body: str
    petition_id: str = ""
    bulletin_id: uuid.UUID | None = None

    def __repr__(self) -> str:
        return f"NewDelivery({self.source_event_id!r}, {self.recipient_id!r}, {self.channel!r})"


def create(session: Session, new: NewDelivery, *, now: datetime, keys: KeyRing) -> bool:
    """Store a pending delivery unless this (event, recipient, channel) has one already."""
    return bool(create_many(session, [new], now=now, keys=keys))


def create_many(
    session: Session, news: Sequence[NewDelivery], *, now: datetime, keys: KeyRing
) -> list[NewDelivery]:
    """Store pending deliveries, each unless its (event, recipient, channel) has one already;
    returns those stored, in the given order. One multi-row INSERT for the lot."""
    unique = {(n.source_event_id, n.recipient_id, n.channel.value): n for n in reversed(news)}
    news = [n for n in news if unique[(n.source_event_id, n.recipient_id, n.channel.value)] is n]
    if not news:
        return []
    rows = [_row(new, now=now, keys=keys) for new in news]
    # rowcount is not reliable with ON CONFLICT; the returned keys are.
    # On the session's connection: a Core statement needs none of the ORM session's execution.
    found = session.connection().execute(_insert(session), rows)
    inserted = {(row[0], row[1], row[2]) for row in found}
    return [n for n in news if (n.source_event_id, n.recipient_id, n.channel.value) in inserted]


def _row(new: NewDelivery, *, now: datetime, keys: KeyRing) -> dict[str, object]:
    delivery_id = uuid.uuid4()
    sealed = keys.seal(new.address, context=address_context(delivery_id))
    return {
        "id": delivery_id,
        "source_event_id": new.source_event_id,
        "event_type": new.event_type,
        "recipient_id": new.recipient_id,
        "channel": new.channel.value,
        "kind": new.kind,
        "status": DeliveryStatus.PENDING.value,
        "address": "",
        "address_key_id": sealed.key_id,
        "sealed_address": sealed.blob,
        "title": new.title[:200],
        "body": new.body,
        "petition_id": new.petition_id or None,
        "bulletin_id": new.bulletin_id,
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
        "last_error": None,
        "sent_at": None,
    }


_INSERTS: dict[str, Insert] = {}


def _insert(session: Session) -> Insert:
    """INSERT … ON CONFLICT DO NOTHING RETURNING the unique key, built once per dialect
    (executed with a list of rows: SQLAlchemy sends them as one multi-row statement)."""
    dialect = session.get_bind().dialect.name
    statement = _INSERTS.get(dialect)
    if statement is None:
        table = Delivery.__table__
        statement = (
            insert_for(session, table)
            .on_conflict_do_nothing(index_elements=["source_event_id", "recipient_id", "channel"])
            .returning(table.c.source_event_id, table.c.recipient_id, table.c.channel)
        )
        _INSERTS[dialect] = statement
    return statement


# A final delivery keeps no trace of its address.
_CLEARED_ADDRESS: dict[str, object] = {
    "address": "",
    "address_key_id": None,
    "sealed_address": None,
}


def _leased(delivery: Claimed) -> tuple[ColumnElement[bool], ...]:
    """The row as this worker leased it: still pending, still due at the end of its lease."""
    return (
        Delivery.id == delivery.id,
        Delivery.status == DeliveryStatus.PENDING.value,
        Delivery.next_attempt_at == delivery.lease_until,
    )


def _change(session: Session, delivery: Claimed, **values: object) -> bool:
    """Apply `values` if the lease still holds; whether it did."""
    found = session.execute(
        update(Delivery).where(*_leased(delivery)).values(**values).returning(Delivery.id)
    ).first()
    return found is not None


def mark_sent(session: Session, delivery: Claimed, *, attempts: int, at: datetime) -> bool:
    return _change(
        session,
        delivery,
        status=DeliveryStatus.SENT.value,
        attempts=attempts,
        sent_at=at,
        **_CLEARED_ADDRESS,
    )


def mark_sent_many(session: Session, sent: Sequence[Claimed], *, at: datetime) -> set[uuid.UUID]:
    """Mark SENT, with one more attempt, those of `sent` whose lease still holds: one UPDATE per
    lease end (a claim's deliveries share theirs); the ids it changed."""
    by_lease: dict[datetime, list[uuid.UUID]] = {}
    for delivery in sent:
        by_lease.setdefault(delivery.lease_until, []).append(delivery.id)
    changed: set[uuid.UUID] = set()
    for lease_until, ids in by_lease.items():
        found = session.execute(_MARK_SENT, {"ids": ids, "lease": lease_until, "at": at})
        changed.update(found.scalars())
    return changed


_TABLE = Delivery.__table__.c
# Built once (a Core statement: no ORM bookkeeping, compiled once per dialect and id count).
_MARK_SENT = (
    update(Delivery.__table__)  # type: ignore[arg-type]  # a Table, typed as FromClause
    .where(
        _TABLE.id.in_(bindparam("ids", expanding=True)),
        _TABLE.status == DeliveryStatus.PENDING.value,
        _TABLE.next_attempt_at == bindparam("lease"),
    )
    .values(
        status=DeliveryStatus.SENT.value,
        attempts=_TABLE.attempts + 1,
        sent_at=bindparam("at"),
        **_CLEARED_ADDRESS,
    )
    .returning(_TABLE.id)
)


def mark_retry(
    session: Session, delivery: Claimed, *, attempts: int, due: datetime, reason: str
) -> bool:
    return _change(session, delivery, attempts=attempts, next_attempt_at=due, last_error=reason)


def mark_failed(session: Session, delivery: Claimed, *, attempts: int, reason: str) -> bool:
    return _change(
        session,
        delivery,
        status=DeliveryStatus.FAILED.value,
        attempts=attempts,
        last_error=reason,
        **_CLEARED_ADDRESS,
    )


def postpone(session: Session, delivery: Claimed, *, until: datetime) -> bool:
    """Give a leased delivery back, due at `until`, without counting an attempt."""
    return _change(session, delivery, next_attempt_at=until)


def reseal(session: Session, *, keys: KeyRing, limit: int = 500) -> int:
    """Seal up to `limit` pending addresses that are plain (stored before sealing) or sealed
    with an older key, under the active key (run after a rotation until it returns 0)."""
    rows = session.scalars(
        select(Delivery)
        .where(
            Delivery.status == DeliveryStatus.PENDING.value,
            or_(
                Delivery.address_key_id.is_(None) & (Delivery.address != ""),
                Delivery.address_key_id != keys.active_id,
            ),
        )
        .limit(limit)
    ).all()
    for row in rows:
        plain = address_of(row).open(keys)
        sealed = keys.seal(plain, context=address_context(row.id))
        row.address, row.address_key_id, row.sealed_address = "", sealed.key_id, sealed.blob
    session.flush()
    return len(rows)


def count_pending(session: Session) -> dict[str, int]:
    """Pending deliveries by channel."""
    rows = session.execute(
        select(Delivery.channel, func.count())
        .where(Delivery.status == DeliveryStatus.PENDING.value)
        .group_by(Delivery.channel)
    )
    return {channel: int(count) for channel, count in rows}


def get_all(
    session: Session,
    *,
    event_id: str = "",
    recipient_id: str = "",
    petition_id: str = "",
    status: DeliveryStatus | None = None,
    limit: int = 100,
) -> list[DeliveryRecord]:
    """Deliveries matching every filter given, newest first (their status, never an address)."""
    query = select(Delivery)
    if event_id:
        query = query.where(Delivery.source_event_id == event_id)
    if recipient_id:
        query = query.where(Delivery.recipient_id == recipient_id)
    if petition_id:
        query = query.where(Delivery.petition_id == petition_id)
    if status is not None:
        query = query.where(Delivery.status == status.value)
    query = query.order_by(Delivery.created_at.desc(), Delivery.id.desc()).limit(limit)
    return [_record(row) for row in session.scalars(query)]


def _record(row: Delivery) -> DeliveryRecord:
    return DeliveryRecord(
        id=row.id,
        event_id=row.source_event_id,
        event_type=row.event_type,
        recipient_id=row.recipient_id,
        channel=Channel(row.channel),
        status=DeliveryStatus(row.status),
        attempts=row.attempts,
        last_error=row.last_error or "",
        petition_id=row.petition_id or "",
        created_at=row.created_at,
        next_attempt_at=row.next_attempt_at,
        sent_at=row.sent_at,
    )
