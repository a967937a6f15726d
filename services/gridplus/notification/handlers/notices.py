"""Notification's use cases: each takes a session (the caller's unit of work) and plain values.

An event becomes notices in two steps (kit Prepared): `Notifier.prepare` applies the rules and
resolves the people through the directory (remote calls, no transaction open), `Notifier.apply`
stores inbox items and pending deliveries in the consumer's transaction. Sending happens later,
in the delivery worker, outside any transaction.
"""

from __future__ import annotations

import json
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from google.protobuf.json_format import MessageToDict
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session

from gridplus.kit.clock import Clock
from gridplus.kit.events import Event
from gridplus.kit.pii import KeyRing
from gridplus.notification import metrics
from gridplus.notification.domain import rules
from gridplus.notification.domain.notices import Channel, Notice, NoticeKind, Recipient
from gridplus.notification.domain.rules import ChannelPolicy
from gridplus.notification.domain.templates import DEFAULT_LANGUAGE, language_of
from gridplus.notification.handlers.recipients import Resolution
from gridplus.notification.handlers.signals import Signal
from gridplus.notification.ports import RecipientDirectory
from gridplus.notification.storage import deliveries, inbox_items
from gridplus.notification.storage.deliveries import NewDelivery

WEBHOOK_KIND = "event"  # webhooks carry the event itself, not a rendered notice


@dataclass(frozen=True)
class Addressed:
    """A rendered notice, its recipient, and the channels it goes out on."""

    notice: Notice
    recipient: Recipient
    channels: tuple[Channel, ...]


@dataclass(frozen=True)
class Plan:
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

    def prepare(self, event: Event) -> Plan:
        """Who is told what, with contacts: remote lookups, before the transaction."""
        resolution = Resolution(self._directory)
        addressed: list[Addressed] = []
        for intent in rules.intents_for(event.payload, self._policy.disabled_kinds):
            recipients = resolution.recipients(intent.audiences)
            by_id = {recipient.person_id: recipient for recipient in recipients}
            for notice in rules.notices(intent, recipients):
                recipient = by_id[notice.recipient_id]
                channels = rules.channels_for(recipient, intent.kind, self._policy)
                addressed.append(Addressed(notice, recipient, tuple(channels)))
        return Plan(addressed)

    def apply(self, session: Session, event: Event, plan: Plan) -> None:
        """Store the inbox items and pending deliveries; one per (event, recipient, channel)."""
        now = self._clock.now()
        created: list[tuple[str, Channel]] = []
        for item in plan.addressed:
            created += _store(
                session, item, event.id, event.type, at=_utc(event.time), now=now, keys=self._keys
            )
        created += _webhooks(session, event, now=now, keys=self._keys)
        self._after_commit(session, created)

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
        self._after_commit(session, created)
        return len(created)

    def _after_commit(self, session: Session, created: list[tuple[str, Channel]]) -> None:
        if not created:
            return
        by_label = Counter(created)
        queued = any(channel != Channel.INBOX for _, channel in created)
        inboxed = any(channel == Channel.INBOX for _, channel in created)

        def record(_session: Session) -> None:
            for (kind, channel), count in by_label.items():
                metrics.NOTICES_CREATED.labels(kind, channel.value).inc(count)
                if channel == Channel.INBOX:
                    metrics.DELIVERIES.labels(channel.value, "sent").inc(count)
            if inboxed:
                self._inbox_signal.notify()
            if queued:
                self._delivery_signal.notify()

        # Counted and announced only once stored: a rolled-back event is retried later.
        sa_event.listen(session, "after_commit", record, once=True)


BULLETIN_EVENT_TYPE = "gridplus.notification.v1.Bulletin"


def bulletin_source(bulletin_id: uuid.UUID) -> str:
    return f"bulletin:{bulletin_id}"


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
    session: Session, event: Event, *, now: datetime, keys: KeyRing
) -> list[tuple[str, Channel]]:
    subscriptions = deliveries.subscribers(session, event.type)
    if not subscriptions:
        return []
    document = webhook_document(event)
    petition_id = getattr(event.payload, "petition_id", "") or ""
    created: list[tuple[str, Channel]] = []
    for subscription in subscriptions:
        new = NewDelivery(
            source_event_id=event.id,
            event_type=event.type,
            recipient_id=str(subscription.id),
            channel=Channel.WEBHOOK,
            kind=WEBHOOK_KIND,
            address=subscription.url,
            title=event.type,
            body=document,
            petition_id=str(petition_id),
        )
        if deliveries.create(session, new, now=now, keys=keys):
            created.append((WEBHOOK_KIND, Channel.WEBHOOK))
    return created


def webhook_document(event: Event) -> str:
    """The POSTed JSON: CloudEvents structured mode (specversion 1.0), data as proto JSON."""
    return json.dumps(
        {
            "specversion": "1.0",
            "id": event.id,
            "type": event.type,
            "source": event.source,
            "time": _utc(event.time).isoformat(),
            "datacontenttype": "application/json",
            "data": MessageToDict(event.payload, preserving_proto_field_name=True),
        },
        ensure_ascii=False,
        sort_keys=True,
    )


def _utc(instant: datetime) -> datetime:
    return instant if instant.tzinfo is not None else instant.replace(tzinfo=UTC)
