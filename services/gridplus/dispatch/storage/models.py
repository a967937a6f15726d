"""Dispatch's tables. Grids and people are the grid registry's: only their codes and ids are kept
here, as they were when the petition was routed."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from gridplus.kit.db import UtcDateTime

OPEN = "open"
CLOSED = "closed"


class Base(DeclarativeBase):
    pass


class AssignmentRow(Base):
    """A petition's assignment: one per petition, ever (transfers come in a later issue)."""

    __tablename__ = "assignments"
    __table_args__ = (
        Index("ix_assignments_assignee_status", "assignee_id", "status"),
        Index("ix_assignments_status_deadline", "status", "deadline", "petition_id"),
        # The scanner's index: open assignments not yet reported overdue, by deadline.
        Index("ix_assignments_breach_scan", "status", "breached", "deadline"),
        Index("ix_assignments_escalation_scan", "status", "next_escalation_at"),
        # A department's own assignments (department scope), soonest deadline first.
        Index("ix_assignments_department", "department_code", "status", "deadline", "petition_id"),
    )

    petition_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    grid_code: Mapped[str] = mapped_column(String(64), nullable=False)
    grid_level: Mapped[int] = mapped_column(Integer, nullable=False)
    grid_path: Mapped[list[str]] = mapped_column(JSON, nullable=False)
    grid_set_version: Mapped[int] = mapped_column(BigInteger, nullable=False)
    assignee_id: Mapped[str] = mapped_column(String(100), nullable=False)
    assignee_role: Mapped[str] = mapped_column(String(20), nullable=False)
    category: Mapped[str] = mapped_column(String(50), nullable=False)
    step: Mapped[str] = mapped_column(String(20), nullable=False)
    deadline: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    assigned_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    reasons: Mapped[list[str]] = mapped_column(JSON, nullable=False)
    status: Mapped[str] = mapped_column(String(10), nullable=False, default=OPEN)
    grid_level1: Mapped[str] = mapped_column(String(64), nullable=False, default="")
    grid_level2: Mapped[str] = mapped_column(String(64), nullable=False, default="")
    department_code: Mapped[str] = mapped_column(String(64), nullable=False, default="")
    category_name_zh: Mapped[str] = mapped_column(String(100), nullable=False, default="")
    category_name_en: Mapped[str] = mapped_column(String(100), nullable=False, default="")
    category_top_level: Mapped[str] = mapped_column(String(64), nullable=False, default="")
    category_priority: Mapped[int] = mapped_column(Integer, nullable=False, default=2)
    category_source: Mapped[str] = mapped_column(String(20), nullable=False, default="given")
    category_confidence: Mapped[float] = mapped_column(Float, nullable=False, default=1.0)
    step_started_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    limit_seconds: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    business: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    yellow_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    paused_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    remaining_seconds: Mapped[float] = mapped_column(Float, nullable=False, default=0.0)
    # True once PetitionOverdue went out for the current deadline; a new clock clears it.
    breached: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    escalation_rung: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    next_escalation_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    refusals: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    accepted_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class AssigneeLoadRow(Base):
    """A person's open assignments, counted: kept by every write that opens, closes or moves an
    assignment (storage.loads), so routing reads a grid's people by primary key."""

    __tablename__ = "assignee_loads"

    assignee_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    open_count: Mapped[int] = mapped_column(Integer, nullable=False)


class AssignmentGridRow(Base):
    """One row per grid on an assignment's path (level 1 down to 3), so "this grid and its
    subtree" is one indexed lookup whatever the level."""

    __tablename__ = "assignment_grids"

    grid_code: Mapped[str] = mapped_column(String(64), primary_key=True)
    petition_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("assignments.petition_id", ondelete="CASCADE"), primary_key=True
    )


class BreachRow(Base):
    """One overdue step: recorded in the transaction that adds PetitionOverdue to the outbox, so
    a restarted scanner finds it and never reports the same breach twice."""

    __tablename__ = "breaches"
    __table_args__ = (UniqueConstraint("petition_id", "step", "deadline", name="uq_breach"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    petition_id: Mapped[str] = mapped_column(String(64), nullable=False)
    step: Mapped[str] = mapped_column(String(20), nullable=False)
    deadline: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    detected_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)


class TriageRow(Base):
    """A petition the classifier was not sure about, waiting for a person to choose its category
    (routing continues once they have)."""

    __tablename__ = "triage"
    __table_args__ = (Index("ix_triage_status_sent", "status", "sent_at", "petition_id"),)

    petition_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    title: Mapped[str] = mapped_column(Text, nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False)
    lat: Mapped[float] = mapped_column(Float, nullable=False)
    lon: Mapped[float] = mapped_column(Float, nullable=False)
    grid_code: Mapped[str] = mapped_column(String(64), nullable=False)
    grid_path: Mapped[list[str]] = mapped_column(JSON, nullable=False)
    grid_set_version: Mapped[int] = mapped_column(BigInteger, nullable=False)
    best_guess: Mapped[str] = mapped_column(String(100), nullable=False)
    confidence: Mapped[float] = mapped_column(Float, nullable=False)
    sent_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    status: Mapped[str] = mapped_column(String(10), nullable=False, default=OPEN)
    # The classifier's likeliest categories, best first: [{code, name_zh, name_en, confidence}]
    # (NULL: queued before they were kept).
    suggestions: Mapped[list[dict[str, object]] | None] = mapped_column(JSON)


class TriageGridRow(Base):
    """One row per grid on a triage petition's path, so a grid chief's queue is the petitions
    of their subtree in one indexed lookup (as `AssignmentGridRow` for assignments)."""

    __tablename__ = "triage_grids"

    grid_code: Mapped[str] = mapped_column(String(64), primary_key=True)
    petition_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("triage.petition_id", ondelete="CASCADE"), primary_key=True
    )


class WhistleRow(Base):
    """A whistle (吹哨): a grid summoned departments to a petition."""

    __tablename__ = "whistles"

    whistle_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    petition_id: Mapped[str] = mapped_column(String(64), nullable=False, index=True)
    blown_by: Mapped[str] = mapped_column(String(100), nullable=False)
    reason: Mapped[str] = mapped_column(Text, nullable=False)
    blown_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)


class WhistleReportRow(Base):
    """One summoned department's report (报到), due by `deadline`."""

    __tablename__ = "whistle_reports"
    __table_args__ = (Index("ix_whistle_reports_scan", "reported_at", "breached", "deadline"),)

    whistle_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("whistles.whistle_id", ondelete="CASCADE"), primary_key=True
    )
    department_code: Mapped[str] = mapped_column(String(64), primary_key=True)
    deadline: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    yellow_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    reported_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    reporter_id: Mapped[str] = mapped_column(String(100), nullable=False, default="")
    note: Mapped[str] = mapped_column(Text, nullable=False, default="")
    breached: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)


class RefusalRow(Base):
    """A department refused a petition (退单): counted per department and per petition."""

    __tablename__ = "refusals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    petition_id: Mapped[str] = mapped_column(String(64), nullable=False, index=True)
    department_code: Mapped[str] = mapped_column(String(64), nullable=False, index=True)
    actor_id: Mapped[str] = mapped_column(String(100), nullable=False)
    reason: Mapped[str] = mapped_column(Text, nullable=False)
    refused_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)


class AssignmentChangeRow(Base):
    """Appended in the transaction of every ORM insert or update of an assignment (see
    storage.changes): the WatchAssignments stream reads it in id order."""

    __tablename__ = "assignment_changes"

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    petition_id: Mapped[str] = mapped_column(String(64), nullable=False)
    department_code: Mapped[str] = mapped_column(String(64), nullable=False)


# -- households, visits and care clocks (issue 16) ----------------------------------------------


class HouseholdRow(Base):
    """Dispatch's replica of a household (from HouseholdChanged): ids, place and grid only."""

    __tablename__ = "households"

    household_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    grid_code: Mapped[str] = mapped_column(String(64), nullable=False)
    grid_path: Mapped[list[str]] = mapped_column(JSON, nullable=False)
    place_code: Mapped[str] = mapped_column(String(100), nullable=False, default="")
    member_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    version: Mapped[int] = mapped_column(BigInteger, nullable=False)
    removed: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    changed_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)


class CareMemberRow(Base):
    """A special-care member's care-visit clock. `due_at` and `yellow_at` are the domain's
    (domain/care.py), stored so the scan and the lists compare instants in SQL."""

    __tablename__ = "care_members"
    __table_args__ = (
        Index("ix_care_members_household", "household_id"),
        Index("ix_care_members_due", "due_at", "member_id"),
        Index("ix_care_members_grid", "grid_code", "due_at"),
        Index("ix_care_members_level2", "grid_level2", "due_at"),
        Index("ix_care_members_level1", "grid_level1", "due_at"),
    )

    member_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    household_id: Mapped[str] = mapped_column(String(100), nullable=False)
    grid_code: Mapped[str] = mapped_column(String(64), nullable=False)
    grid_level1: Mapped[str] = mapped_column(String(64), nullable=False, default="")
    grid_level2: Mapped[str] = mapped_column(String(64), nullable=False, default="")
    grid_path: Mapped[list[str]] = mapped_column(JSON, nullable=False)
    care_groups: Mapped[list[str]] = mapped_column(JSON, nullable=False)
    interval_days: Mapped[int] = mapped_column(Integer, nullable=False)
    interval_seconds: Mapped[int] = mapped_column(Integer, nullable=False)
    registered_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    last_visited_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    due_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    yellow_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    # The due time CareVisitOverdue went out for (once per missed due time).
    reported_due_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class VisitRow(Base):
    """A recorded visit; the diary is these rows by worker and local day."""

    __tablename__ = "visits"
    __table_args__ = (
        Index("ix_visits_worker_day", "worker_id", "local_day", "visited_at"),
        Index("ix_visits_household", "household_id", "visited_at"),
    )

    visit_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    household_id: Mapped[str] = mapped_column(String(100), nullable=False)
    grid_code: Mapped[str] = mapped_column(String(64), nullable=False)
    grid_path: Mapped[list[str]] = mapped_column(JSON, nullable=False)
    worker_id: Mapped[str] = mapped_column(String(100), nullable=False)
    visited_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    local_day: Mapped[str] = mapped_column(String(10), nullable=False)
    lat: Mapped[float] = mapped_column(Float, nullable=False)
    lon: Mapped[float] = mapped_column(Float, nullable=False)
    distance_meters: Mapped[float] = mapped_column(Float, nullable=False, default=0.0)
    notes: Mapped[str] = mapped_column(Text, nullable=False, default="")
    # [{index, category, title, description, raise_petition, petition_id}]
    findings: Mapped[list[dict[str, object]]] = mapped_column(JSON, nullable=False)
    # [{member_id, due_at (ISO), on_time}]
    care_checks: Mapped[list[dict[str, object]]] = mapped_column(JSON, nullable=False)
    photo_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)


class VisitPhotoRow(Base):
    """A visit's photo, cleaned of metadata (the kit's images), 1-based `seq`."""

    __tablename__ = "visit_photos"

    visit_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("visits.visit_id", ondelete="CASCADE"), primary_key=True
    )
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    media_type: Mapped[str] = mapped_column(String(20), nullable=False)
    digest: Mapped[str] = mapped_column(String(64), nullable=False)
    content: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
