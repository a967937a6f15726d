"""Reads and writes of webhook subscriptions.

The consumer asks for an event type's subscribers at every event, and subscriptions change
rarely: the live ones are kept per process and database (`LIVE_SECONDS`), dropped at once when
this process creates or removes one (after the commit). Another replica's change is seen here
within `LIVE_SECONDS`. A removed subscription receives nothing after its removal commits,
whatever a cache holds: the delivery worker checks that it is still live when it claims each
delivery, and fails it as unsubscribed otherwise (storage/deliveries.py `claim_due`).
"""

from __future__ import annotations

import threading
import time
import uuid
import weakref
from collections.abc import Callable, Sequence
from datetime import datetime

from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from gridplus.kit.db import after_commit
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
    _changed(session)
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
    """Live subscriptions that asked for `event_type` (as of at most `LIVE_SECONDS` ago when
    another process changed them; this process's own changes at once)."""
    live = LIVE.get(_engine(session), lambda: _load_live(session))
    return [subscription for subscription in live if subscription.wants(event_type)]


def _load_live(session: Session) -> tuple[Subscription, ...]:
    query = select(WebhookSubscription).where(WebhookSubscription.deleted_at.is_(None))
    return tuple(_subscription(row) for row in session.scalars(query))


def delete(session: Session, subscription_id: uuid.UUID, *, now: datetime) -> None:
    session.execute(
        update(WebhookSubscription)
        .where(WebhookSubscription.id == subscription_id, WebhookSubscription.deleted_at.is_(None))
        .values(deleted_at=now)
    )
    _changed(session)


def _subscription(row: WebhookSubscription) -> Subscription:
    return Subscription(
        id=row.id,
        owner_id=row.owner_id,
        url=row.url,
        event_types=tuple(row.event_types.split()),
        created_at=row.created_at,
        secret=row.secret,
    )


LIVE_SECONDS = 5.0


class LiveSubscriptions:
    """The live subscriptions per database (engine), each copy fresh for `seconds` or until
    `invalidate`. A load that began before an invalidation answers its caller but is not kept
    (it may predate the change)."""

    def __init__(self, seconds: float, *, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._seconds = seconds
        self._monotonic = monotonic
        self._lock = threading.Lock()
        # Weak keys: a disposed engine (a test's database) takes its copy with it.
        self._held: weakref.WeakKeyDictionary[Engine, tuple[float, tuple[Subscription, ...]]]
        self._held = weakref.WeakKeyDictionary()
        self._generation: weakref.WeakKeyDictionary[Engine, int] = weakref.WeakKeyDictionary()

    def get(
        self, engine: Engine, load: Callable[[], tuple[Subscription, ...]]
    ) -> tuple[Subscription, ...]:
        now = self._monotonic()
        with self._lock:
            held = self._held.get(engine)
            generation = self._generation.get(engine, 0)
        if held is not None and held[0] > now:
            return held[1]
        live = load()
        with self._lock:
            if self._generation.get(engine, 0) == generation:
                self._held[engine] = (now + self._seconds, live)
        return live

    def invalidate(self, engine: Engine) -> None:
        with self._lock:
            self._generation[engine] = self._generation.get(engine, 0) + 1
            self._held.pop(engine, None)


LIVE = LiveSubscriptions(LIVE_SECONDS)


def _engine(session: Session) -> Engine:
    bind = session.get_bind()
    return bind if isinstance(bind, Engine) else bind.engine


def _changed(session: Session) -> None:
    """Drop this process's copy once the change has committed (dropped before, a consumer
    could load the old list again and keep it)."""
    engine = _engine(session)
    after_commit(session, lambda: LIVE.invalidate(engine))
