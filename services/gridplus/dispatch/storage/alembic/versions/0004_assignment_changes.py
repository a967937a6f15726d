"""A change log of assignments, for the WatchAssignments stream.

Revision ID: dispatch_0004
Revises: dispatch_0003
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "dispatch_0004"
down_revision: str | None = "dispatch_0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "assignment_changes",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
        sa.Column("petition_id", sa.String(64), nullable=False),
        sa.Column("department_code", sa.String(64), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("assignment_changes")
