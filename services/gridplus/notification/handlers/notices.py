"""From a consumed event to notices: who is told what, stored for the inbox and the channels.

An event becomes notices in two steps (kit Prepared): `Notifier.prepare` applies the rules and
resolves the people through the directory (remote calls, no transaction open), `Notifier.apply`
stores inbox items and pending deliveries in the consumer's transaction. Sending happens later,
in the delivery worker (jobs/), outside any transaction.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from gridplus.kit.clock import Clock
from gridplus.kit.db import after_commit
from gridplus.kit.pii import KeyRing
from gridplus.notification import metrics
from gridplus.notification.domain import rules
from gridplus.notification.domain.audience import Reporters
from gridplus.notification.domain.bulletins import BULLETIN_EVENT_TYPE, bulletin_source
from gridplus.notification.domain.events import Received
from gridplus.notification.domain.notices import Channel, Notice, NoticeKind, Recipient
from gridplus.notification.domain.rules import ChannelPolicy
from gridplus.notification.domain.templates import DEFAULT_LANGUAGE, language_of
from gridplus.notification.handlers.recipients import RecipientLookup
from gridplus.notification.handlers.signals import Signal
from gridplus.notification.ports import RecipientDirectory
from gridplus.notification.storage import deliveries, inbox_items, subscriptions
from gridplus.notification.storage.deliveries import NewDelivery

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

WEBHOOK_KIND = "event"  # webhooks carry the event itself, not a rendered notice


@dataclass(frozen=True)
class Addressed:
    """A rendered notice, its recipient, and the channels it goes out on."""

    notice: Notice
    recipient: Recipient
    channels: tuple[Channel, ...]


@dataclass(frozen=True)
class Plan:
    received: Received
    addressed: list[Addressed]


class Notifier:
    def __init__(
        self,
        directory: RecipientDirectory,
        policy: ChannelPolicy,
        clock: Clock,
        *,
        keys: KeyRing,
        inbox_signal: Signal | None = None,
        delivery_signal: Signal | None = None,
    ) -> None:
        self._directory = directory
        self._policy = policy
        self._clock = clock
        self._keys = keys  # seals the addresses of stored deliveries
        self._inbox_signal = inbox_signal or Signal()
        self._delivery_signal = delivery_signal or Signal()

    def prepare(self, received: Received) -> Plan:
        """Who is told what, with contacts: remote lookups, before the transaction."""
        lookup = RecipientLookup(self._directory)
        addressed: list[Addressed] = []
        if received.fact is None:
            return Plan(received, addressed)
        for intent in rules.intents_for(received.fact, self._policy.disabled_kinds):
            recipients = lookup.recipients(intent.audiences)
            by_id = {recipient.person_id: recipient for recipient in recipients}
            for notice in rules.notices(intent, recipients):
                recipient = by_id[notice.recipient_id]
                channels = rules.channels_for(recipient, intent.kind, self._policy)
                addressed.append(Addressed(notice, recipient, tuple(channels)))
        return Plan(received, addressed)

    def reporters_needed(self, receiveds: Sequence[Received]) -> list[str]:
        """The petitions whose reporters these events' notices go to (the rules alone, no
        lookups), each once in order: what `prepare` will ask the directory for."""
        needed: dict[str, None] = {}
        for received in receiveds:
            if received.fact is None:
                continue
            for intent in rules.intents_for(received.fact, self._policy.disabled_kinds):
                for audience in intent.audiences:
                    if isinstance(audience, Reporters):
                        needed[audience.petition_id] = None
        return list(needed)

    def read_ahead(self, session: Session, event_ids: Sequence[str]) -> None:
        """Inside a consumer batch's transaction, before its first `apply`: what its events
        gave already, in one look-up instead of one per event (a repeat, e.g. replayed from
        the DLQ under another consumer name, must still make no second item)."""
        inbox_items.look_up_ahead(session, event_ids)

    def apply(self, session: Session, plan: Plan) -> None:
        """Store the inbox items and pending deliveries; one per (event, recipient, channel)."""
        received = plan.received
        now = self._clock.now()
        batch = _Batch(received.event_id, received.event_type, at=received.time, now=now)
        for item in plan.addressed:
            batch.add(item)
        batch.deliveries += _webhooks(session, received)
        self._announce(session, batch.store(session, self._keys))

    def send_bulletin(
        self,
        session: Session,
        *,
        bulletin_id: uuid.UUID,
        recipients: Sequence[Recipient],
        texts: dict[str, tuple[str, str]],
    ) -> int:
        """Fan a bulletin out to `recipients`; returns the deliveries created (inbox included)."""
        now = self._clock.now()
        batch = _Batch(
            bulletin_source(bulletin_id),
            BULLETIN_EVENT_TYPE,
            at=now,
            now=now,
            bulletin_id=bulletin_id,
        )
        for recipient in recipients:
            title, body = texts.get(language_of(recipient.language)) or texts[DEFAULT_LANGUAGE]
            notice = Notice(recipient.person_id, NoticeKind.BULLETIN, "", title, body)
            channels = tuple(rules.channels_for(recipient, NoticeKind.BULLETIN, self._policy))
            batch.add(Addressed(notice, recipient, channels))
        created = batch.store(session, self._keys)
        self._announce(session, created)
        return len(created)

    def _announce(self, session: Session, created: list[tuple[str, Channel]]) -> None:
        if not created:
            return
        by_label = Counter(created)
        queued = any(channel != Channel.INBOX for _, channel in created)
        inboxed = any(channel == Channel.INBOX for _, channel in created)

        def record() -> None:
            for (kind, channel), count in by_label.items():
                metrics.NOTICES_CREATED.labels(kind, channel.value).inc(count)
                if channel == Channel.INBOX:
                    metrics.DELIVERIES.labels(channel.value, "sent").inc(count)
            if inboxed:
                self._inbox_signal.notify()
            if queued:
                self._delivery_signal.notify()

        # Counted and announced only once stored: a rolled-back event is retried later. (The
        # kit runs a transaction's actions under one listener.)
        after_commit(session, record)


class _Batch:
    """One event's inbox items and deliveries, written with one statement per table."""

    def __init__(
        self,
        source_event_id: str,
        event_type: str,
        *,
        at: datetime,
        now: datetime,
        bulletin_id: uuid.UUID | None = None,
    ) -> None:
        self._source = source_event_id
        self._event_type = event_type
        self._at = at
        self._now = now
        self._bulletin_id = bulletin_id
        self.inbox: list[Notice] = []
        self.deliveries: list[NewDelivery] = []

    def add(self, item: Addressed) -> None:
        notice, recipient = item.notice, item.recipient
        for channel in item.channels:
            if channel == Channel.INBOX:
                self.inbox.append(notice)
                continue
            address = recipient.email if channel == Channel.EMAIL else recipient.phone
            self.deliveries.append(
                NewDelivery(
                    source_event_id=self._source,
                    event_type=self._event_type,
                    recipient_id=recipient.person_id,
                    channel=channel,
                    kind=notice.kind.value,
                    address=address,
                    title=notice.title,
                    body=notice.body,
                    petition_id=notice.petition_id,
                    bulletin_id=self._bulletin_id,
                )
            )

    def store(self, session: Session, keys: KeyRing) -> list[tuple[str, Channel]]:
        """Write what is new; returns (kind, channel) of each item and delivery stored."""
        items = inbox_items.create_many(
            session,
            self.inbox,
            source_event_id=self._source,
            event_type=self._event_type,
            at=self._at,
            stored_at=self._now,
        )
        sent = deliveries.create_many(session, self.deliveries, now=self._now, keys=keys)
        return [(notice.kind.value, Channel.INBOX) for notice in items] + [
            (new.kind, new.channel) for new in sent
        ]


def _webhooks(session: Session, received: Received) -> list[NewDelivery]:
    """A delivery for every live subscription that asked for the event's type."""
    found = subscriptions.subscribers(session, received.event_type)
    if not found:
        return []
    document = received.webhook_document()
    return [
        NewDelivery(
            source_event_id=received.event_id,
            event_type=received.event_type,
            recipient_id=str(subscription.id),
            channel=Channel.WEBHOOK,
            kind=WEBHOOK_KIND,
            address=subscription.url,
            title=received.event_type,
            body=document,
            petition_id=received.petition_id,
        )
        for subscription in found
    ]
