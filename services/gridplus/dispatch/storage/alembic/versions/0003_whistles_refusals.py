"""Whistles and their reports, refusals, and when an assignment was accepted.

Revision ID: dispatch_0003
Revises: dispatch_0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "dispatch_0003"
down_revision: str | None = "dispatch_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("assignments") as batch:
        batch.add_column(sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "whistles",
        sa.Column("whistle_id", sa.String(64), primary_key=True),
        sa.Column("petition_id", sa.String(64), nullable=False, index=True),
        sa.Column("blown_by", sa.String(100), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("blown_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "whistle_reports",
        sa.Column(
            "whistle_id",
            sa.String(64),
            sa.ForeignKey("whistles.whistle_id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("department_code", sa.String(64), primary_key=True),
        sa.Column("deadline", sa.DateTime(timezone=True), nullable=False),
        sa.Column("yellow_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reported_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reporter_id", sa.String(100), nullable=False, server_default=""),
        sa.Column("note", sa.Text, nullable=False, server_default=""),
        sa.Column("breached", sa.Boolean, nullable=False, server_default=sa.false()),
    )
    op.create_index(
        "ix_whistle_reports_scan", "whistle_reports", ["reported_at", "breached", "deadline"]
    )
    op.create_table(
        "refusals",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("petition_id", sa.String(64), nullable=False, index=True),
        sa.Column("department_code", sa.String(64), nullable=False, index=True),
        sa.Column("actor_id", sa.String(100), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("refused_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("refusals")
    op.drop_index("ix_whistle_reports_scan", table_name="whistle_reports")
    op.drop_table("whistle_reports")
    op.drop_table("whistles")
    with op.batch_alter_table("assignments") as batch:
        batch.drop_column("accepted_at")
