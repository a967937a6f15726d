"""Reads and writes of webhook subscriptions."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from gridplus.notification.domain.webhooks import Subscription
from gridplus.notification.storage.models import WebhookSubscription


def create(
    session: Session,
    *,
    owner_id: str,
    url: str,
    secret: str,
    event_types: Sequence[str],
    now: datetime,
) -> Subscription:
    row = WebhookSubscription(
        id=uuid.uuid4(),
        owner_id=owner_id,
        url=url,
        secret=secret,
        event_types=" ".join(sorted(set(event_types))),
        created_at=now,
    )
    session.add(row)
    session.flush()
    return _subscription(row)


def get_all(session: Session, *, owner_id: str | None) -> list[Subscription]:
    """Live subscriptions, of one owner or (None) of everyone."""
    query = select(WebhookSubscription).where(WebhookSubscription.deleted_at.is_(None))
    if owner_id is not None:
        query = query.where(WebhookSubscription.owner_id == owner_id)
    rows = session.scalars(query.order_by(WebhookSubscription.created_at))
    return [_subscription(row) for row in rows]


def get(
    session: Session, subscription_id: uuid.UUID, *, deleted_too: bool = False
) -> Subscription | None:
    """A live subscription (or, with `deleted_too`, also a removed one), or None."""
    row = session.get(WebhookSubscription, subscription_id)
    if row is None or (row.deleted_at is not None and not deleted_too):
        return None
    return _subscription(row)


def subscribers(session: Session, event_type: str) -> list[Subscription]:
    """Live subscriptions that asked for `event_type`."""
    pattern = f"%{event_type}%"  # narrowed in SQL, then matched exactly
    query = select(WebhookSubscription).where(
        WebhookSubscription.deleted_at.is_(None), WebhookSubscription.event_types.like(pattern)
    )
    found = [_subscription(row) for row in session.scalars(query)]
    return [subscription for subscription in found if subscription.wants(event_type)]


def delete(session: Session, subscription_id: uuid.UUID, *, now: datetime) -> None:
    session.execute(
        update(WebhookSubscription)
        .where(WebhookSubscription.id == subscription_id, WebhookSubscription.deleted_at.is_(None))
        .values(deleted_at=now)
    )


def _subscription(row: WebhookSubscription) -> Subscription:
    return Subscription(
        id=row.id,
        owner_id=row.owner_id,
        url=row.url,
        event_types=tuple(row.event_types.split()),
        created_at=row.created_at,
        secret=row.secret,
    )
