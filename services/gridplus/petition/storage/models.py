"""The petition service's tables: petitions and their status history."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    DateTime,
    Double,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class UtcDateTime(TypeDecorator[datetime]):
    """Timezone-aware instants stored as UTC and read back aware, on SQLite (which keeps no
    offset) as on PostgreSQL. UTC everywhere also keeps SQLite's text comparisons in order."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored: give them a UTC offset")
        return value.astimezone(UTC)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    pass


class PetitionRow(Base):
    __tablename__ = "petitions"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # uuid4
    status: Mapped[str] = mapped_column(String(20), nullable=False)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False)
    category: Mapped[str | None] = mapped_column(String(64))
    lat: Mapped[float] = mapped_column(Double, nullable=False)
    lon: Mapped[float] = mapped_column(Double, nullable=False)
    grid_code: Mapped[str | None] = mapped_column(String(64))
    grid_level: Mapped[int | None] = mapped_column(Integer)
    grid_path: Mapped[str | None] = mapped_column(Text)  # JSON list, level 1 first
    grid_set_version: Mapped[int | None] = mapped_column(BigInteger)
    assignee_id: Mapped[str | None] = mapped_column(String(200))
    deadline: Mapped[datetime | None] = mapped_column(UtcDateTime)
    reporter_id: Mapped[str] = mapped_column(String(200), nullable=False)
    reporter_role: Mapped[str] = mapped_column(String(32), nullable=False)
    source: Mapped[str] = mapped_column(String(20), nullable=False)
    reject_reason: Mapped[str | None] = mapped_column(Text)
    duplicate_of: Mapped[str | None] = mapped_column(String(36))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)

    __table_args__ = (
        # "My petitions, newest first" and "petitions in a status, newest first".
        Index("ix_petitions_reporter_created", "reporter_id", "created_at", "id"),
        Index("ix_petitions_status_created", "status", "created_at", "id"),
    )


class HistoryRow(Base):
    """One status change. (petition_id, seq) is the key, so two writers that both loaded the
    same state cannot both append the next entry."""

    __tablename__ = "petition_history"

    petition_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("petitions.id", ondelete="CASCADE"), primary_key=True
    )
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)  # 1 = the submission
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20), nullable=False)
    actor_id: Mapped[str] = mapped_column(String(200), nullable=False)
    actor_role: Mapped[str] = mapped_column(String(32), nullable=False)
    note: Mapped[str] = mapped_column(Text, nullable=False)
    at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
