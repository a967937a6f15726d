"""Step clocks (pause, lights), departments, category choice, breaches, escalation and triage.

Revision ID: dispatch_0002
Revises: dispatch_0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "dispatch_0002"
down_revision: str | None = "dispatch_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TEXT = sa.String
_COLUMNS = (
    ("grid_level1", _TEXT(64), "''"),
    ("grid_level2", _TEXT(64), "''"),
    ("department_code", _TEXT(64), "''"),
    ("category_name_zh", _TEXT(100), "''"),
    ("category_name_en", _TEXT(100), "''"),
    ("category_top_level", _TEXT(64), "''"),
    ("category_priority", sa.Integer(), "2"),
    ("category_source", _TEXT(20), "'given'"),
    ("category_confidence", sa.Float(), "1.0"),
    ("limit_seconds", sa.Integer(), "0"),
    ("business", sa.Boolean(), sa.false()),
    ("remaining_seconds", sa.Float(), "0.0"),
    ("breached", sa.Boolean(), sa.false()),
    ("escalation_rung", sa.Integer(), "0"),
    ("refusals", sa.Integer(), "0"),
)
_INSTANTS = ("step_started_at", "yellow_at", "paused_at", "next_escalation_at")


def upgrade() -> None:
    with op.batch_alter_table("assignments") as batch:
        for name, kind, default in _COLUMNS:
            server_default = sa.text(default) if isinstance(default, str) else default
            batch.add_column(sa.Column(name, kind, nullable=False, server_default=server_default))
        for name in _INSTANTS:
            batch.add_column(sa.Column(name, sa.DateTime(timezone=True), nullable=True))
    # Assignments made before clocks were kept: their step started when they were assigned, and
    # they turn yellow only at the deadline.
    op.execute("UPDATE assignments SET step_started_at = assigned_at, yellow_at = deadline")
    op.create_index("ix_assignments_breach_scan", "assignments", ["status", "breached", "deadline"])
    op.create_index(
        "ix_assignments_escalation_scan", "assignments", ["status", "next_escalation_at"]
    )
    op.create_table(
        "breaches",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("petition_id", sa.String(64), nullable=False),
        sa.Column("step", sa.String(20), nullable=False),
        sa.Column("deadline", sa.DateTime(timezone=True), nullable=False),
        sa.Column("detected_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("petition_id", "step", "deadline", name="uq_breach"),
    )
    op.create_table(
        "triage",
        sa.Column("petition_id", sa.String(64), primary_key=True),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("lat", sa.Float, nullable=False),
        sa.Column("lon", sa.Float, nullable=False),
        sa.Column("grid_code", sa.String(64), nullable=False),
        sa.Column("grid_path", sa.JSON, nullable=False),
        sa.Column("grid_set_version", sa.BigInteger, nullable=False),
        sa.Column("best_guess", sa.String(100), nullable=False),
        sa.Column("confidence", sa.Float, nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
    )
    op.create_index("ix_triage_status_sent", "triage", ["status", "sent_at", "petition_id"])


def downgrade() -> None:
    op.drop_index("ix_triage_status_sent", table_name="triage")
    op.drop_table("triage")
    op.drop_table("breaches")
    op.drop_index("ix_assignments_escalation_scan", table_name="assignments")
    op.drop_index("ix_assignments_breach_scan", table_name="assignments")
    with op.batch_alter_table("assignments") as batch:
        for name in _INSTANTS:
            batch.drop_column(name)
        for name, _kind, _default in _COLUMNS:
            batch.drop_column(name)
