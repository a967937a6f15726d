"""Per-petition facts instead of daily counts; follow-ups, assessments, time bank.

The daily counts were a read model: `python -m gridplus.evaluation rebuild` refills the facts
from the topics.

Revision ID: evaluation_0002
Revises: evaluation_0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "evaluation_0002"
down_revision: str | None = "evaluation_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.String(100)
WHEN = sa.DateTime(timezone=True)
AUTO_ID = sa.BigInteger().with_variant(sa.Integer, "sqlite")


def upgrade() -> None:
    op.drop_table("daily_counts")
    op.create_table(
        "petition_facts",
        sa.Column("petition_id", ID, primary_key=True),
        sa.Column("reporter_id", ID),
        sa.Column("submitted_at", WHEN),
        sa.Column("assigned_at", WHEN),
        sa.Column("verify_deadline", WHEN),
        sa.Column("worker_id", ID, index=True),
        sa.Column("worker_at", WHEN),
        sa.Column("department_code", ID, index=True),
        sa.Column("department_at", WHEN),
        sa.Column("grid_l1", ID, index=True),
        sa.Column("grid_l2", ID, index=True),
        sa.Column("grid_l3", ID, index=True),
        sa.Column("grid_at", WHEN),
        sa.Column("merged", sa.Boolean, nullable=False),
        sa.Column("merged_into", ID, index=True),
        sa.Column("status", sa.String(20), index=True),
        sa.Column("status_at", WHEN),
        sa.Column("last_follow_up_at", WHEN),
        sa.Column("first_at", WHEN, nullable=False),
        sa.Column("last_at", WHEN, nullable=False, index=True),
    )
    op.create_table(
        "status_changes",
        sa.Column("id", AUTO_ID, primary_key=True, autoincrement=True),
        sa.Column("petition_id", ID, nullable=False, index=True),
        sa.Column("from_status", sa.String(20), nullable=False),
        sa.Column("to_status", sa.String(20), nullable=False),
        sa.Column("actor_id", ID, nullable=False),
        sa.Column("changed_at", WHEN, nullable=False),
        sa.UniqueConstraint("petition_id", "changed_at", "to_status"),
    )
    op.create_table(
        "overdues",
        sa.Column("petition_id", ID, primary_key=True),
        sa.Column("step", sa.String(20), primary_key=True),
        sa.Column("deadline", WHEN, primary_key=True),
        sa.Column("detected_at", WHEN, nullable=False),
    )
    op.create_table(
        "whistle_summons",
        sa.Column("whistle_id", ID, primary_key=True),
        sa.Column("department_code", ID, primary_key=True),
        sa.Column("petition_id", ID, nullable=False),
        sa.Column("grid_l1", ID),
        sa.Column("grid_l2", ID),
        sa.Column("grid_l3", ID),
        sa.Column("blown_at", WHEN, index=True),
        sa.Column("reported_at", WHEN),
        sa.Column("reported_on_time", sa.Boolean, nullable=False),
    )
    op.create_table(
        "grid_paths",
        sa.Column("code", ID, primary_key=True),
        sa.Column("level", sa.Integer, nullable=False),
        sa.Column("grid_l1", ID),
        sa.Column("grid_l2", ID),
        sa.Column("grid_l3", ID),
    )
    op.create_table(
        "follow_ups",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("petition_id", ID, nullable=False, index=True),
        sa.Column("outcome", sa.String(20), nullable=False),
        sa.Column("rating", sa.Integer, nullable=False),
        sa.Column("comment", sa.Text, nullable=False),
        sa.Column("via", sa.String(20), nullable=False),
        sa.Column("actor_id", ID, nullable=False),
        sa.Column("completed_at", WHEN, nullable=False, index=True),
    )
    op.create_table(
        "assessments",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("worker_id", ID, nullable=False, index=True),
        sa.Column("grid_code", ID, nullable=False, index=True),
        sa.Column("inspector_id", ID, nullable=False),
        sa.Column("listen_score", sa.Float),
        sa.Column("evaluate_score", sa.Float),
        sa.Column("look_score", sa.Float),
        sa.Column("discuss_score", sa.Float),
        sa.Column("score", sa.Float, nullable=False),
        sa.Column("secret", sa.Boolean, nullable=False),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("recorded_at", WHEN, nullable=False, index=True),
    )
    op.create_table(
        "time_bank_accounts",
        sa.Column("person_id", ID, primary_key=True),
        sa.Column("balance", sa.BigInteger, nullable=False),
        sa.Column("updated_at", WHEN, nullable=False),
        sa.CheckConstraint("balance >= 0", name="time_bank_balance_not_negative"),
    )
    op.create_table(
        "time_bank_entries",
        sa.Column("id", AUTO_ID, primary_key=True, autoincrement=True),
        sa.Column("person_id", ID, nullable=False),
        sa.Column("points", sa.BigInteger, nullable=False),
        sa.Column("balance_after", sa.BigInteger, nullable=False),
        sa.Column("minutes", sa.Integer, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("actor_id", ID, nullable=False),
        sa.Column("actor_role", sa.String(30), nullable=False),
        sa.Column("recorded_at", WHEN, nullable=False),
    )
    op.create_index("ix_time_bank_entries_person", "time_bank_entries", ["person_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_time_bank_entries_person", "time_bank_entries")
    for table in (
        "time_bank_entries",
        "time_bank_accounts",
        "assessments",
        "follow_ups",
        "grid_paths",
        "whistle_summons",
        "overdues",
        "status_changes",
        "petition_facts",
    ):
        op.drop_table(table)
    op.create_table(
        "daily_counts",
        sa.Column("subject_kind", sa.String(20), primary_key=True),
        sa.Column("subject_id", sa.String(100), primary_key=True),
        sa.Column("day", sa.Date, primary_key=True),
        sa.Column("measure", sa.String(20), primary_key=True),
        sa.Column("count", sa.BigInteger, nullable=False),
    )
