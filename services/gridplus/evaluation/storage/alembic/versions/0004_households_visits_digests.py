"""Households, visits and care visits for coverage; published weekly digests.

Read models (`python -m gridplus.evaluation rebuild` fills them): household_versions from
grid-registry's HouseholdChanged, visits and care_visit_checks from dispatch's VisitRecorded,
care_visit_misses from CareVisitOverdue, grid_digests from evaluation's own GridDigestReady.

Revision ID: evaluation_0004
Revises: evaluation_0003
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "evaluation_0004"
down_revision: str | None = "evaluation_0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.String(100)
WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "household_versions",
        sa.Column("household_id", ID, primary_key=True),
        sa.Column("version", sa.BigInteger(), primary_key=True),
        sa.Column("grid_code", ID, nullable=False),
        sa.Column("place_code", ID, nullable=False),
        sa.Column("member_count", sa.Integer(), nullable=False),
        sa.Column("care_member_ids", sa.Text(), nullable=False),
        sa.Column("removed", sa.Boolean(), nullable=False),
        sa.Column("changed_at", WHEN, nullable=False),
    )
    op.create_index("ix_household_versions_grid_code", "household_versions", ["grid_code"])
    op.create_index("ix_household_versions_changed_at", "household_versions", ["changed_at"])
    op.create_table(
        "visits",
        sa.Column("visit_id", ID, primary_key=True),
        sa.Column("household_id", ID, nullable=False),
        sa.Column("grid_code", ID, nullable=False),
        sa.Column("worker_id", ID, nullable=False),
        sa.Column("visited_at", WHEN, nullable=False),
    )
    for column in ("household_id", "grid_code", "worker_id", "visited_at"):
        op.create_index(f"ix_visits_{column}", "visits", [column])
    op.create_table(
        "care_visit_checks",
        sa.Column("visit_id", ID, primary_key=True),
        sa.Column("member_id", ID, primary_key=True),
        sa.Column("due_at", WHEN, nullable=False),
        sa.Column("on_time", sa.Boolean(), nullable=False),
        sa.Column("visited_at", WHEN, nullable=False),
        sa.Column("worker_id", ID, nullable=False),
        sa.Column("grid_code", ID, nullable=False),
    )
    op.create_index("ix_care_visit_checks_due_at", "care_visit_checks", ["due_at"])
    op.create_table(
        "care_visit_misses",
        sa.Column("member_id", ID, primary_key=True),
        sa.Column("due_at", WHEN, primary_key=True),
        sa.Column("household_id", ID, nullable=False),
        sa.Column("grid_code", ID, nullable=False),
        sa.Column("detected_at", WHEN, nullable=False),
    )
    op.create_table(
        "grid_digests",
        sa.Column("grid_code", ID, primary_key=True),
        sa.Column("period_start", WHEN, primary_key=True),
        sa.Column("event_id", sa.String(64), nullable=False),
        sa.Column("published_at", WHEN, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("grid_digests")
    op.drop_table("care_visit_misses")
    op.drop_index("ix_care_visit_checks_due_at", "care_visit_checks")
    op.drop_table("care_visit_checks")
    for column in ("household_id", "grid_code", "worker_id", "visited_at"):
        op.drop_index(f"ix_visits_{column}", "visits")
    op.drop_table("visits")
    op.drop_index("ix_household_versions_changed_at", "household_versions")
    op.drop_index("ix_household_versions_grid_code", "household_versions")
    op.drop_table("household_versions")
