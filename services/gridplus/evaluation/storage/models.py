"""Evaluation's tables.

Read models, rebuilt from events by `python -m gridplus.evaluation rebuild`: petition_facts,
petition_points, status_changes, overdues, whistle_summons, grid_paths, household_versions,
visits, care_visit_checks, care_visit_misses, and follow_ups/assessments/grid_digests (also
written directly by the use cases that publish the events). Owned data that no event
carries: follow-up comments, assessment aspect scores and notes, and the time bank.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Float,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from gridplus.kit.db import UtcDateTime

Id = String(100)
When = UtcDateTime()  # reads back aware UTC on SQLite too
AutoId = BigInteger().with_variant(Integer, "sqlite")


class Base(DeclarativeBase):
    pass


class PetitionFact(Base):
    """One petition as evaluation sees it. "Latest" columns keep the value with the newest
    timestamp (each has its *_at), so events applied in any order give the same row."""

    __tablename__ = "petition_facts"

    petition_id: Mapped[str] = mapped_column(Id, primary_key=True)
    reporter_id: Mapped[str | None] = mapped_column(Id)
    submitted_at: Mapped[datetime | None] = mapped_column(When)
    assigned_at: Mapped[datetime | None] = mapped_column(When)  # first assignment
    verify_deadline: Mapped[datetime | None] = mapped_column(When)  # of the first assignment
    worker_id: Mapped[str | None] = mapped_column(Id, index=True)
    worker_at: Mapped[datetime | None] = mapped_column(When)
    department_code: Mapped[str | None] = mapped_column(Id, index=True)
    department_at: Mapped[datetime | None] = mapped_column(When)
    grid_l1: Mapped[str | None] = mapped_column(Id, index=True)
    grid_l2: Mapped[str | None] = mapped_column(Id, index=True)
    grid_l3: Mapped[str | None] = mapped_column(Id, index=True)
    grid_at: Mapped[datetime | None] = mapped_column(When)
    merged: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    # A duplicate's survivor: the duplicate's reporter may rate the survivor's follow-up.
    merged_into: Mapped[str | None] = mapped_column(Id, index=True)
    status: Mapped[str | None] = mapped_column(String(20), index=True)
    status_at: Mapped[datetime | None] = mapped_column(When)
    last_follow_up_at: Mapped[datetime | None] = mapped_column(When)
    first_at: Mapped[datetime] = mapped_column(When, nullable=False)
    last_at: Mapped[datetime] = mapped_column(When, nullable=False, index=True)


class StatusChangeRow(Base):
    __tablename__ = "status_changes"
    __table_args__ = (UniqueConstraint("petition_id", "changed_at", "to_status"),)

    id: Mapped[int] = mapped_column(AutoId, primary_key=True, autoincrement=True)
    petition_id: Mapped[str] = mapped_column(Id, nullable=False, index=True)
    from_status: Mapped[str] = mapped_column(String(20), nullable=False)
    to_status: Mapped[str] = mapped_column(String(20), nullable=False)
    actor_id: Mapped[str] = mapped_column(Id, nullable=False)
    changed_at: Mapped[datetime] = mapped_column(When, nullable=False)


class OverdueRow(Base):
    """One deadline breach (PetitionOverdue is published once per breach)."""

    __tablename__ = "overdues"

    petition_id: Mapped[str] = mapped_column(Id, primary_key=True)
    step: Mapped[str] = mapped_column(String(20), primary_key=True)
    deadline: Mapped[datetime] = mapped_column(When, primary_key=True)
    detected_at: Mapped[datetime] = mapped_column(When, nullable=False)


class WhistleSummonsRow(Base):
    """One department summoned by one whistle, and whether it reported in time."""

    __tablename__ = "whistle_summons"

    whistle_id: Mapped[str] = mapped_column(Id, primary_key=True)
    department_code: Mapped[str] = mapped_column(Id, primary_key=True)
    petition_id: Mapped[str] = mapped_column(Id, nullable=False)
    grid_l1: Mapped[str | None] = mapped_column(Id)
    grid_l2: Mapped[str | None] = mapped_column(Id)
    grid_l3: Mapped[str | None] = mapped_column(Id)
    blown_at: Mapped[datetime | None] = mapped_column(When, index=True)
    reported_at: Mapped[datetime | None] = mapped_column(When)
    reported_on_time: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)


class GridPathRow(Base):
    """Grid hierarchy learned from the GridRef paths events carry (no call to grid-registry)."""

    __tablename__ = "grid_paths"

    code: Mapped[str] = mapped_column(Id, primary_key=True)
    level: Mapped[int] = mapped_column(Integer, nullable=False)
    grid_l1: Mapped[str | None] = mapped_column(Id)
    grid_l2: Mapped[str | None] = mapped_column(Id)
    grid_l3: Mapped[str | None] = mapped_column(Id)


class FollowUpRow(Base):
    """A completed follow-up; id = the FollowUpCompleted event id."""

    __tablename__ = "follow_ups"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    petition_id: Mapped[str] = mapped_column(Id, nullable=False, index=True)
    outcome: Mapped[str] = mapped_column(String(20), nullable=False)
    rating: Mapped[int] = mapped_column(Integer, nullable=False)
    comment: Mapped[str] = mapped_column(Text, nullable=False, default="")
    via: Mapped[str] = mapped_column(String(20), nullable=False)
    actor_id: Mapped[str] = mapped_column(Id, nullable=False)
    completed_at: Mapped[datetime] = mapped_column(When, nullable=False, index=True)


class AssessmentRow(Base):
    """An assessment; aspect scores and note are owned data (not in AssessmentRecorded)."""

    __tablename__ = "assessments"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    worker_id: Mapped[str] = mapped_column(Id, nullable=False, index=True)
    grid_code: Mapped[str] = mapped_column(Id, nullable=False, index=True)
    inspector_id: Mapped[str] = mapped_column(Id, nullable=False)
    listen_score: Mapped[float | None] = mapped_column(Float)
    evaluate_score: Mapped[float | None] = mapped_column(Float)
    look_score: Mapped[float | None] = mapped_column(Float)
    discuss_score: Mapped[float | None] = mapped_column(Float)
    score: Mapped[float] = mapped_column(Float, nullable=False)
    secret: Mapped[bool] = mapped_column(Boolean, nullable=False)
    note: Mapped[str] = mapped_column(Text, nullable=False, default="")
    recorded_at: Mapped[datetime] = mapped_column(When, nullable=False, index=True)


class TimeBankAccount(Base):
    __tablename__ = "time_bank_accounts"
    __table_args__ = (CheckConstraint("balance >= 0", name="time_bank_balance_not_negative"),)

    person_id: Mapped[str] = mapped_column(Id, primary_key=True)
    balance: Mapped[int] = mapped_column(BigInteger, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(When, nullable=False)


class TimeBankEntryRow(Base):
    """Audit ledger: one row per change of a balance, never updated or deleted."""

    __tablename__ = "time_bank_entries"
    __table_args__ = (Index("ix_time_bank_entries_person", "person_id", "id"),)

    id: Mapped[int] = mapped_column(AutoId, primary_key=True, autoincrement=True)
    person_id: Mapped[str] = mapped_column(Id, nullable=False)
    points: Mapped[int] = mapped_column(BigInteger, nullable=False)
    balance_after: Mapped[int] = mapped_column(BigInteger, nullable=False)
    minutes: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    reason: Mapped[str] = mapped_column(Text, nullable=False)
    actor_id: Mapped[str] = mapped_column(Id, nullable=False)
    actor_role: Mapped[str] = mapped_column(String(30), nullable=False)
    recorded_at: Mapped[datetime] = mapped_column(When, nullable=False)


class PetitionPointRow(Base):
    """Where and what a petition is about, for hot spots and repeat locations (grid, status and
    department are read from petition_facts). `category` is the latest with its time."""

    __tablename__ = "petition_points"

    petition_id: Mapped[str] = mapped_column(Id, primary_key=True)
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    submitted_at: Mapped[datetime | None] = mapped_column(When, index=True)
    category: Mapped[str | None] = mapped_column(Id)
    category_at: Mapped[datetime | None] = mapped_column(When)


class HouseholdVersionRow(Base):
    """One version of a household (HouseholdChanged): which grid, which care members (ids only),
    removed or not. Every version is kept, so a period's end sees the state of that time."""

    __tablename__ = "household_versions"

    household_id: Mapped[str] = mapped_column(Id, primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    grid_code: Mapped[str] = mapped_column(Id, nullable=False, index=True)
    place_code: Mapped[str] = mapped_column(Id, nullable=False, default="")
    member_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    care_member_ids: Mapped[str] = mapped_column(Text, nullable=False, default="[]")  # JSON
    removed: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    changed_at: Mapped[datetime] = mapped_column(When, nullable=False, index=True)


class VisitRow(Base):
    """A household visit (VisitRecorded): who, where, when; notes and findings stay in dispatch."""

    __tablename__ = "visits"

    visit_id: Mapped[str] = mapped_column(Id, primary_key=True)
    household_id: Mapped[str] = mapped_column(Id, nullable=False, index=True)
    grid_code: Mapped[str] = mapped_column(Id, nullable=False, index=True)
    worker_id: Mapped[str] = mapped_column(Id, nullable=False, index=True)
    visited_at: Mapped[datetime] = mapped_column(When, nullable=False, index=True)


class CareVisitCheckRow(Base):
    """One care member's check at one visit: the due time it answered and whether in time."""

    __tablename__ = "care_visit_checks"

    visit_id: Mapped[str] = mapped_column(Id, primary_key=True)
    member_id: Mapped[str] = mapped_column(Id, primary_key=True)
    due_at: Mapped[datetime] = mapped_column(When, nullable=False, index=True)
    on_time: Mapped[bool] = mapped_column(Boolean, nullable=False)
    visited_at: Mapped[datetime] = mapped_column(When, nullable=False)
    worker_id: Mapped[str] = mapped_column(Id, nullable=False)
    grid_code: Mapped[str] = mapped_column(Id, nullable=False)


class CareVisitMissRow(Base):
    """A missed care-visit due time (CareVisitOverdue, published once per missed due time)."""

    __tablename__ = "care_visit_misses"

    member_id: Mapped[str] = mapped_column(Id, primary_key=True)
    due_at: Mapped[datetime] = mapped_column(When, primary_key=True)
    household_id: Mapped[str] = mapped_column(Id, nullable=False)
    grid_code: Mapped[str] = mapped_column(Id, nullable=False)
    detected_at: Mapped[datetime] = mapped_column(When, nullable=False)


class GridDigestRow(Base):
    """A weekly digest published (GridDigestReady): one per grid and week, whichever replica
    or round got there first (the primary key decides)."""

    __tablename__ = "grid_digests"

    grid_code: Mapped[str] = mapped_column(Id, primary_key=True)
    period_start: Mapped[datetime] = mapped_column(When, primary_key=True)
    event_id: Mapped[str] = mapped_column(String(64), nullable=False)
    published_at: Mapped[datetime] = mapped_column(When, nullable=False)
