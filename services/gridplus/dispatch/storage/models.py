"""Dispatch's tables. Grids and people are the grid registry's: only their codes and ids are kept
here, as they were when the petition was routed."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, DateTime, ForeignKey, Index, Integer, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

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
    deadline: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    assigned_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    reasons: Mapped[list[str]] = mapped_column(JSON, nullable=False)
    status: Mapped[str] = mapped_column(String(10), nullable=False, default=OPEN)


class AssignmentGridRow(Base):
    """One row per grid on an assignment's path (level 1 down to 3), so "this grid and its
    subtree" is one indexed lookup whatever the level."""

    __tablename__ = "assignment_grids"

    grid_code: Mapped[str] = mapped_column(String(64), primary_key=True)
    petition_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("assignments.petition_id", ondelete="CASCADE"), primary_key=True
    )
