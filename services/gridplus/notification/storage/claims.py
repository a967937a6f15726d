"""Claiming due deliveries for one attempt (see deliveries.py for the lease they are under).

The statements are built once as Core statements and run on the session's connection: a claim
is the delivery worker's most frequent transaction, and building the query, its cache key and
the ORM's execution state each time cost more than the database's work.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import Session

from gridplus.kit.clock import as_utc
from gridplus.kit.pii import KeyRing, Sealed
from gridplus.notification.domain.delivery import DeliveryStatus
from gridplus.notification.domain.notices import Channel
from gridplus.notification.storage.models import Delivery, WebhookSubscription


@dataclass(frozen=True)
class Claimed:
    """A delivery taken for one attempt (its due time pushed out by a lease meanwhile)."""

    id: uuid.UUID
    channel: Channel
    address: SealedAddress
    title: str
    body: str
    event_type: str
    attempts: int
    created_at: datetime
    secret: str  # webhooks only
    subscription_gone: bool  # a webhook whose subscription was removed
    lease_until: datetime  # the lease: status changes apply only while it is still this one

    def __repr__(self) -> str:
        return f"Claimed({self.id!r}, {self.channel!r})"


@dataclass(frozen=True)
class SealedAddress:
    """A claimed delivery's address as stored: sealed, or plain in a row from before sealing."""

    delivery_id: uuid.UUID
    sealed: Sealed | None
    plain: str = ""

    def open(self, keys: KeyRing) -> str:
        """The address itself (raises kit.pii.UnreadableCiphertext without its key)."""
        if self.sealed is None:
            return self.plain
        return keys.open(self.sealed, context=address_context(self.delivery_id))

    def __repr__(self) -> str:
        return f"SealedAddress({self.delivery_id!r})"


def address_context(delivery_id: uuid.UUID) -> str:
    """Associated data: a sealed address opens only in its own delivery's row and column."""
    return f"gridplus.notification/deliveries/{delivery_id}/address"


_TABLE = Delivery.__table__.c
_SUBSCRIPTIONS = WebhookSubscription.__table__.c
_PENDING = DeliveryStatus.PENDING.value
_WEBHOOK = Channel.WEBHOOK.value
# What a claim reads (plain rows, not ORM objects: nothing is loaded into the session).
_CLAIMED = "id channel recipient_id address address_key_id sealed_address title body event_type"
_DUE = (
    select(*(_TABLE[n] for n in f"{_CLAIMED} attempts created_at".split()))
    .where(_TABLE.status == _PENDING, _TABLE.next_attempt_at <= bindparam("now"))
    .order_by(_TABLE.next_attempt_at)
    .limit(bindparam("limit"))
)
# PostgreSQL: rows another replica's claim is taking are skipped, not waited for.
_DUE_LOCKED = _DUE.with_for_update(skip_locked=True)
_LEASE = (
    update(Delivery.__table__)  # type: ignore[arg-type]  # a Table, typed as FromClause
    .where(_TABLE.id.in_(bindparam("ids", expanding=True)))
    .values(next_attempt_at=bindparam("lease"))
)
_LIVE_SECRETS = select(_SUBSCRIPTIONS.id, _SUBSCRIPTIONS.secret).where(
    _SUBSCRIPTIONS.id.in_(bindparam("ids", expanding=True)), _SUBSCRIPTIONS.deleted_at.is_(None)
)
_NEXT_DUE = select(func.min(_TABLE.next_attempt_at)).where(_TABLE.status == _PENDING)


def next_due(session: Session) -> datetime | None:
    """When the earliest pending delivery falls due (its lease's end, if one is leased)."""
    found = session.connection().execute(_NEXT_DUE).scalar_one()
    return None if found is None else as_utc(found)


def claim_due(
    session: Session, *, now: datetime, limit: int, lease_until: datetime
) -> list[Claimed]:
    """Up to `limit` pending deliveries due by `now`, earliest first, leased until `lease_until`.

    The lease keeps other workers (replicas) off them while they are being sent; a worker that
    dies mid-send leaves them to be retried when the lease runs out.
    """
    connection = session.connection()
    locked = connection.dialect.name == "postgresql"
    rows = connection.execute(_DUE_LOCKED if locked else _DUE, {"now": now, "limit": limit}).all()
    if not rows:
        return []
    connection.execute(_LEASE, {"ids": [row.id for row in rows], "lease": lease_until})
    secrets = _secrets(session, [row.recipient_id for row in rows if row.channel == _WEBHOOK])
    return [_claimed(row, secrets, lease_until) for row in rows]


def _claimed(row: Any, secrets: dict[str, str], lease_until: datetime) -> Claimed:
    webhook = row.channel == _WEBHOOK
    return Claimed(
        id=row.id,
        channel=Channel(row.channel),
        address=address_of(row),
        title=row.title,
        body=row.body,
        event_type=row.event_type,
        attempts=row.attempts,
        created_at=row.created_at,
        secret=secrets.get(row.recipient_id, ""),
        subscription_gone=webhook and row.recipient_id not in secrets,
        lease_until=lease_until,
    )


def address_of(row: Any) -> SealedAddress:
    """A row's address as stored (a claim's row or a Delivery)."""
    if row.address_key_id is None or row.sealed_address is None:
        return SealedAddress(row.id, None, row.address)  # stored before addresses were sealed
    return SealedAddress(row.id, Sealed(row.address_key_id, row.sealed_address))


def _secrets(session: Session, recipients: Sequence[str]) -> dict[str, str]:
    """The signing secrets of the live subscriptions among webhook deliveries' recipients."""
    ids = {uuid.UUID(recipient) for recipient in recipients}
    if not ids:
        return {}
    live = session.connection().execute(_LIVE_SECRETS, {"ids": list(ids)})
    return {str(sub_id): secret for sub_id, secret in live}
