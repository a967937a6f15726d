"""The petition service's tables: petitions, their history and change feed, reporters'
encrypted contacts, and photos."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Double,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from gridplus.kit.db import UtcDateTime  # instants stored as UTC, read back aware


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
    # From dispatch: the category as chosen (names in both languages) and the department.
    category_name_zh: Mapped[str | None] = mapped_column(String(200))
    category_name_en: Mapped[str | None] = mapped_column(String(200))
    category_top_level: Mapped[str | None] = mapped_column(String(64))
    category_source: Mapped[str | None] = mapped_column(String(16))
    category_confidence: Mapped[float | None] = mapped_column(Double)
    department_code: Mapped[str | None] = mapped_column(String(64))
    triage_reason: Mapped[str | None] = mapped_column(Text)
    verify_deadline: Mapped[datetime | None] = mapped_column(UtcDateTime)
    handling_deadline: Mapped[datetime | None] = mapped_column(UtcDateTime)
    clock_started_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # Dispatch's instant the light turns yellow (None: not told; green until the deadline).
    yellow_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # From dispatch's clock: paused since (the light stays), and the last deadline change applied.
    clock_paused_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    deadline_changed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    resolution_note: Mapped[str | None] = mapped_column(Text)
    # From Open311 clients: where (as text), a link to their own media, service attributes (JSON).
    address: Mapped[str | None] = mapped_column(Text)
    media_url: Mapped[str | None] = mapped_column(String(2048))
    attributes: Mapped[str | None] = mapped_column(Text)
    # Whether the free text may be published (domain.values.Publication).
    publication: Mapped[str] = mapped_column(
        String(16), nullable=False, server_default="PRIVATE", default="PRIVATE"
    )
    # The household visit (dispatch) whose finding raised it; set only for source VISIT.
    visit_id: Mapped[str | None] = mapped_column(String(64))

    __table_args__ = (
        # "My petitions, newest first" and "petitions in a status, newest first".
        Index("ix_petitions_reporter_created", "reporter_id", "created_at", "id"),
        Index("ix_petitions_status_created", "status", "created_at", "id"),
        Index("ix_petitions_department_created", "department_code", "created_at", "id"),
        Index("ix_petitions_category_status", "category", "status", "created_at"),
        Index("ix_petitions_duplicate_of", "duplicate_of"),
        Index("ix_petitions_visit", "visit_id"),
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
    kind: Mapped[str] = mapped_column(String(10), nullable=False, server_default="STATUS")


class ChangeRow(Base):
    """The change feed: one row per history entry, numbered in commit order across all
    petitions, so a watcher resumes after the last id it saw without gaps or repeats."""

    __tablename__ = "petition_changes"

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    petition_id: Mapped[str] = mapped_column(String(36), nullable=False)
    history_seq: Mapped[int] = mapped_column(Integer, nullable=False)


class ContactRow(Base):
    """A reporter's contact for one petition, each field AES-GCM sealed with key `key_id`.
    Erased (all NULL, `erased_at` set) when the resident is anonymised."""

    __tablename__ = "reporter_contacts"

    petition_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("petitions.id", ondelete="CASCADE"), primary_key=True
    )
    reporter_id: Mapped[str] = mapped_column(String(200), nullable=False, index=True)
    key_id: Mapped[str | None] = mapped_column(String(32))
    name: Mapped[bytes | None] = mapped_column(LargeBinary)
    phone: Mapped[bytes | None] = mapped_column(LargeBinary)
    email: Mapped[bytes | None] = mapped_column(LargeBinary)
    address: Mapped[bytes | None] = mapped_column(LargeBinary)
    language: Mapped[str | None] = mapped_column(String(16))
    erased_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class PhotoRow(Base):
    """A photo of a petition: the blob store holds the bytes under `digest` (sha256)."""

    __tablename__ = "petition_photos"

    petition_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("petitions.id", ondelete="CASCADE"), primary_key=True
    )
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    digest: Mapped[str] = mapped_column(String(64), nullable=False)
    media_type: Mapped[str] = mapped_column(String(32), nullable=False)
    size: Mapped[int] = mapped_column(Integer, nullable=False)
    stage: Mapped[str] = mapped_column(String(16), nullable=False)  # REPORT or RESOLUTION
    uploaded_by: Mapped[str] = mapped_column(String(200), nullable=False)
    uploaded_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
