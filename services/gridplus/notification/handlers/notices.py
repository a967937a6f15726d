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

    def apply(self, session: Session, plan: Plan) -> None:
        """Store the inbox items and pending deliveries; one per (event, recipient, channel)."""
        received = plan.received
        now = self._clock.now()
        created: list[tuple[str, Channel]] = []
        for item in plan.addressed:
            created += _store(
                session,
                item,
                received.event_id,
                received.event_type,
                at=received.time,
                now=now,
                keys=self._keys,
            )
        created += _webhooks(session, received, now=now, keys=self._keys)
        self._announce(session, created)

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
        source = bulletin_source(bulletin_id)
        created: list[tuple[str, Channel]] = []
        for recipient in recipients:
            title, body = texts.get(language_of(recipient.language)) or texts[DEFAULT_LANGUAGE]
            notice = Notice(recipient.person_id, NoticeKind.BULLETIN, "", title, body)
            channels = tuple(rules.channels_for(recipient, NoticeKind.BULLETIN, self._policy))
            created += _store(
                session,
                Addressed(notice, recipient, channels),
                source,
                BULLETIN_EVENT_TYPE,
                at=now,
                now=now,
                keys=self._keys,
                bulletin_id=bulletin_id,
            )
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

        # Counted and announced only once stored: a rolled-back event is retried later.
        after_commit(session, record)


def _store(
    session: Session,
    item: Addressed,
    source_event_id: str,
    event_type: str,
    *,
    at: datetime,
    now: datetime,
    keys: KeyRing,
    bulletin_id: uuid.UUID | None = None,
) -> list[tuple[str, Channel]]:
    notice, recipient = item.notice, item.recipient
    kind = notice.kind.value
    created: list[tuple[str, Channel]] = []
    for channel in item.channels:
        if channel == Channel.INBOX:
            stored = inbox_items.create(
                session,
                notice,
                source_event_id=source_event_id,
                event_type=event_type,
                at=at,
                stored_at=now,
            )
        else:
            address = recipient.email if channel == Channel.EMAIL else recipient.phone
            new = NewDelivery(
                source_event_id=source_event_id,
                event_type=event_type,
                recipient_id=recipient.person_id,
                channel=channel,
                kind=kind,
                address=address,
                title=notice.title,
                body=notice.body,
                petition_id=notice.petition_id,
                bulletin_id=bulletin_id,
            )
            stored = deliveries.create(session, new, now=now, keys=keys)
        if stored:
            created.append((kind, channel))
    return created


def _webhooks(
    session: Session, received: Received, *, now: datetime, keys: KeyRing
) -> list[tuple[str, Channel]]:
    created: list[tuple[str, Channel]] = []
    for subscription in subscriptions.subscribers(session, received.event_type):
        new = NewDelivery(
            source_event_id=received.event_id,
            event_type=received.event_type,
            recipient_id=str(subscription.id),
            channel=Channel.WEBHOOK,
            kind=WEBHOOK_KIND,
            address=subscription.url,
            title=received.event_type,
            body=received.document,
            petition_id=received.petition_id,
        )
        if deliveries.create(session, new, now=now, keys=keys):
            created.append((WEBHOOK_KIND, Channel.WEBHOOK))
    return created
