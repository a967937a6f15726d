"""Assignments and the grids on their paths.

Revision ID: dispatch_0001
Revises:
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "dispatch_0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "assignments",
        sa.Column("petition_id", sa.String(64), primary_key=True),
        sa.Column("grid_code", sa.String(64), nullable=False),
        sa.Column("grid_level", sa.Integer, nullable=False),
        sa.Column("grid_path", sa.JSON, nullable=False),
        sa.Column("grid_set_version", sa.BigInteger, nullable=False),
        sa.Column("assignee_id", sa.String(100), nullable=False),
        sa.Column("assignee_role", sa.String(20), nullable=False),
        sa.Column("category", sa.String(50), nullable=False),
        sa.Column("step", sa.String(20), nullable=False),
        sa.Column("deadline", sa.DateTime(timezone=True), nullable=False),
        sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reasons", sa.JSON, nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
    )
    op.create_index("ix_assignments_assignee_status", "assignments", ["assignee_id", "status"])
    op.create_index(
        "ix_assignments_status_deadline", "assignments", ["status", "deadline", "petition_id"]
    )
    op.create_table(
        "assignment_grids",
        sa.Column("grid_code", sa.String(64), primary_key=True),
        sa.Column(
            "petition_id",
            sa.String(64),
            sa.ForeignKey("assignments.petition_id", ondelete="CASCADE"),
            primary_key=True,
        ),
    )


def downgrade() -> None:
    op.drop_table("assignment_grids")
    op.drop_index("ix_assignments_status_deadline", table_name="assignments")
    op.drop_index("ix_assignments_assignee_status", table_name="assignments")
    op.drop_table("assignments")
