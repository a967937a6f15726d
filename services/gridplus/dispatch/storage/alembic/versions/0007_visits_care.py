"""Visits, the diary and care-visit clocks (issue 16): the household replica (from
HouseholdChanged, no personal data), care members with their clocks, visits and their photos.

Revision ID: dispatch_0007
Revises: dispatch_0006
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "dispatch_0007"
down_revision: str | None = "dispatch_0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "households",
        sa.Column("household_id", sa.String(100), primary_key=True),
        sa.Column("grid_code", sa.String(64), nullable=False),
        sa.Column("grid_path", sa.JSON(), nullable=False),
        sa.Column("place_code", sa.String(100), nullable=False),
        sa.Column("member_count", sa.Integer(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.Column("removed", sa.Boolean(), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "care_members",
        sa.Column("member_id", sa.String(100), primary_key=True),
        sa.Column("household_id", sa.String(100), nullable=False),
        sa.Column("grid_code", sa.String(64), nullable=False),
        sa.Column("grid_level1", sa.String(64), nullable=False),
        sa.Column("grid_level2", sa.String(64), nullable=False),
        sa.Column("grid_path", sa.JSON(), nullable=False),
        sa.Column("care_groups", sa.JSON(), nullable=False),
        sa.Column("interval_days", sa.Integer(), nullable=False),
        sa.Column("interval_seconds", sa.Integer(), nullable=False),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_visited_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("yellow_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reported_due_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_care_members_household", "care_members", ["household_id"])
    op.create_index("ix_care_members_due", "care_members", ["due_at", "member_id"])
    op.create_index("ix_care_members_grid", "care_members", ["grid_code", "due_at"])
    op.create_index("ix_care_members_level2", "care_members", ["grid_level2", "due_at"])
    op.create_index("ix_care_members_level1", "care_members", ["grid_level1", "due_at"])
    op.create_table(
        "visits",
        sa.Column("visit_id", sa.String(64), primary_key=True),
        sa.Column("household_id", sa.String(100), nullable=False),
        sa.Column("grid_code", sa.String(64), nullable=False),
        sa.Column("grid_path", sa.JSON(), nullable=False),
        sa.Column("worker_id", sa.String(100), nullable=False),
        sa.Column("visited_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("local_day", sa.String(10), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("distance_meters", sa.Float(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("findings", sa.JSON(), nullable=False),
        sa.Column("care_checks", sa.JSON(), nullable=False),
        sa.Column("photo_count", sa.Integer(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_visits_worker_day", "visits", ["worker_id", "local_day", "visited_at"])
    op.create_index("ix_visits_household", "visits", ["household_id", "visited_at"])
    op.create_table(
        "visit_photos",
        sa.Column(
            "visit_id",
            sa.String(64),
            sa.ForeignKey("visits.visit_id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("seq", sa.Integer(), primary_key=True),
        sa.Column("media_type", sa.String(20), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("visit_photos")
    op.drop_table("visits")
    op.drop_table("care_members")
    op.drop_table("households")
