"""Petitions and their status history.

Revision ID: petition_0001
Revises:
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "petition_0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "petitions",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("category", sa.String(64)),
        sa.Column("lat", sa.Double, nullable=False),
        sa.Column("lon", sa.Double, nullable=False),
        sa.Column("grid_code", sa.String(64)),
        sa.Column("grid_level", sa.Integer),
        sa.Column("grid_path", sa.Text),
        sa.Column("grid_set_version", sa.BigInteger),
        sa.Column("assignee_id", sa.String(200)),
        sa.Column("deadline", sa.DateTime(timezone=True)),
        sa.Column("reporter_id", sa.String(200), nullable=False),
        sa.Column("reporter_role", sa.String(32), nullable=False),
        sa.Column("source", sa.String(20), nullable=False),
        sa.Column("reject_reason", sa.Text),
        sa.Column("duplicate_of", sa.String(36)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index(
        "ix_petitions_reporter_created", "petitions", ["reporter_id", "created_at", "id"]
    )
    op.create_index("ix_petitions_status_created", "petitions", ["status", "created_at", "id"])
    op.create_table(
        "petition_history",
        sa.Column(
            "petition_id",
            sa.String(36),
            sa.ForeignKey("petitions.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("seq", sa.Integer, primary_key=True),
        sa.Column("from_status", sa.String(20)),
        sa.Column("to_status", sa.String(20), nullable=False),
        sa.Column("actor_id", sa.String(200), nullable=False),
        sa.Column("actor_role", sa.String(32), nullable=False),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("petition_history")
    op.drop_index("ix_petitions_status_created", table_name="petitions")
    op.drop_index("ix_petitions_reporter_created", table_name="petitions")
    op.drop_table("petitions")
