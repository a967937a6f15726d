"""Notification's tables: what each person was told, built from events only."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import DateTime, Index, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


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
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    recipient_id: Mapped[str] = mapped_column(String(100), nullable=False)
    kind: Mapped[str] = mapped_column(String(40), nullable=False)
    event_type: Mapped[str] = mapped_column(String(200), nullable=False)  # the cause's ce_type
    petition_id: Mapped[str | None] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    body: Mapped[str] = mapped_column(Text, nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    read_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    source_event_id: Mapped[str] = mapped_column(String(64), nullable=False)
