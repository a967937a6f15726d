"""Notification's tables: what each person was told, built from events only."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from gridplus.kit.db import UtcDateTime


class Base(DeclarativeBase):
    pass


class InboxItem(Base):
    """One notice in one person's in-app inbox."""

    __tablename__ = "inbox_items"
    __table_args__ = (
        # One event never yields two items of the same kind for the same person, even if it is
        # applied twice (a renamed consumer group, a replay from the DLQ).
        UniqueConstraint(
            "source_event_id", "recipient_id", "kind", name="uq_inbox_items_source_recipient_kind"
        ),
        Index("ix_inbox_items_recipient_created", "recipient_id", "created_at", "id"),
        Index("ix_inbox_items_recipient_read", "recipient_id", "read_at"),
        Index("ix_inbox_items_seq", "seq", unique=True),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    recipient_id: Mapped[str] = mapped_column(String(100), nullable=False)
    kind: Mapped[str] = mapped_column(String(40), nullable=False)
    event_type: Mapped[str] = mapped_column(String(200), nullable=False)  # the cause's ce_type
    petition_id: Mapped[str | None] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    body: Mapped[str] = mapped_column(Text, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    read_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    source_event_id: Mapped[str] = mapped_column(String(64), nullable=False)
    # When this service stored it (created_at is the event's time): WatchInbox follows this.
    stored_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # The order WatchInbox streams in (taken at insert; see storage/inbox_items.py).
    seq: Mapped[int | None] = mapped_column(BigInteger)


class Delivery(Base):
    """One notice on one channel (email, webhook, SMS) to one recipient, and how sending it went.

    The due-time column is the retry schedule: a restarted worker picks up where it left off.
    """

    __tablename__ = "deliveries"
    __table_args__ = (
        # One delivery per (event, recipient, channel), however often the event arrives.
        UniqueConstraint(
            "source_event_id",
            "recipient_id",
            "channel",
            name="uq_deliveries_event_recipient_channel",
        ),
        Index("ix_deliveries_due", "status", "next_attempt_at"),
        Index("ix_deliveries_recipient", "recipient_id", "created_at"),
        Index("ix_deliveries_petition", "petition_id"),
        Index("ix_deliveries_bulletin", "bulletin_id", "status"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    source_event_id: Mapped[str] = mapped_column(String(64), nullable=False)
    event_type: Mapped[str] = mapped_column(String(200), nullable=False)
    recipient_id: Mapped[str] = mapped_column(String(100), nullable=False)  # person or webhook id
    channel: Mapped[str] = mapped_column(String(20), nullable=False)
    kind: Mapped[str] = mapped_column(String(40), nullable=False)
    status: Mapped[str] = mapped_column(String(20), nullable=False)
    # Email address, phone number or URL: personal data, stored sealed (kit.pii, key
    # `address_key_id`, bound to this row) and cleared once the delivery is final. `address`
    # holds plain text only in rows stored before sealing (migration notification_0003).
    address: Mapped[str] = mapped_column(Text, nullable=False)
    address_key_id: Mapped[str | None] = mapped_column(String(32))
    sealed_address: Mapped[bytes | None] = mapped_column(LargeBinary)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    body: Mapped[str] = mapped_column(Text, nullable=False)
    petition_id: Mapped[str | None] = mapped_column(String(64))
    bulletin_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False)
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class WebhookSubscription(Base):
    """A receiver that wants signed POSTs for some event types."""

    __tablename__ = "webhook_subscriptions"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    owner_id: Mapped[str] = mapped_column(String(100), nullable=False)
    url: Mapped[str] = mapped_column(Text, nullable=False)
    secret: Mapped[str] = mapped_column(String(100), nullable=False)
    event_types: Mapped[str] = mapped_column(Text, nullable=False)  # space-separated ce_types
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    deleted_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class Bulletin(Base):
    """A bulletin sent to a grid subtree; its deliveries carry its id."""

    __tablename__ = "bulletins"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    request_id: Mapped[str] = mapped_column(String(100), nullable=False, unique=True)
    grid_code: Mapped[str] = mapped_column(String(64), nullable=False)
    sent_by: Mapped[str] = mapped_column(String(100), nullable=False)
    recipient_count: Mapped[int] = mapped_column(Integer, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
