"""Scope: an index for a department's own assignments, and the grids of each triage petition
(filled in for the petitions already waiting).

Revision ID: dispatch_0005
Revises: dispatch_0004
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "dispatch_0005"
down_revision: str | None = "dispatch_0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TRIAGE = sa.table(
    "triage",
    sa.column("petition_id", sa.String),
    sa.column("grid_code", sa.String),
    sa.column("grid_path", sa.JSON),
)


def upgrade() -> None:
    op.create_index(
        "ix_assignments_department",
        "assignments",
        ["department_code", "status", "deadline", "petition_id"],
    )
    grids = op.create_table(
        "triage_grids",
        sa.Column("grid_code", sa.String(64), primary_key=True),
        sa.Column(
            "petition_id",
            sa.String(64),
            sa.ForeignKey("triage.petition_id", ondelete="CASCADE"),
            primary_key=True,
        ),
    )
    rows = op.get_bind().execute(sa.select(_TRIAGE)).all()
    op.bulk_insert(
        grids,
        [
            {"grid_code": code, "petition_id": row.petition_id}
            for row in rows
            for code in dict.fromkeys([*row.grid_path, row.grid_code])
        ],
    )


def downgrade() -> None:
    op.drop_table("triage_grids")
    op.drop_index("ix_assignments_department", table_name="assignments")
