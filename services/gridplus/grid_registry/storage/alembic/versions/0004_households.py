"""Households, their members and the care access log (issue 16).

Revision ID: grid_registry_0004
Revises: grid_registry_0003
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "grid_registry_0004"
down_revision: str | None = "grid_registry_0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "households",
        sa.Column("household_id", sa.String(36), primary_key=True),
        sa.Column("grid_code", sa.String(50), nullable=False),
        sa.Column("place_code", sa.String(50), nullable=False),
        sa.Column("key_id", sa.String(50)),
        sa.Column("address", sa.LargeBinary),
        sa.Column("unit", sa.LargeBinary),
        sa.Column("has_care_members", sa.Boolean, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("import_key", sa.String(100), unique=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("removed_at", sa.DateTime(timezone=True)),
        sa.Column("removed_reason", sa.String(500)),
    )
    op.create_index(
        "ix_households_grid_place", "households", ["grid_code", "place_code", "household_id"]
    )
    op.create_table(
        "household_members",
        sa.Column("member_id", sa.String(36), primary_key=True),
        sa.Column(
            "household_id",
            sa.String(36),
            sa.ForeignKey("households.household_id"),
            nullable=False,
        ),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("key_id", sa.String(50), nullable=False),
        sa.Column("name", sa.LargeBinary, nullable=False),
        sa.Column("phone", sa.LargeBinary),
        sa.Column("id_tail", sa.LargeBinary),
        sa.Column("id_hash", sa.String(64)),
        sa.Column("birth_year", sa.SmallInteger, nullable=False),
        sa.Column("care_groups", sa.String(500), nullable=False),
    )
    op.create_index(
        "ix_household_members_household", "household_members", ["household_id", "position"]
    )
    op.create_index("ix_household_members_id_hash", "household_members", ["id_hash"])
    op.create_table(
        "care_access_log",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("actor_id", sa.String(100), nullable=False),
        sa.Column("actor_role", sa.String(30), nullable=False),
        sa.Column("household_id", sa.String(36), nullable=False),
        sa.Column("grid_code", sa.String(50), nullable=False),
        sa.Column("reason", sa.String(500), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_care_access_grid", "care_access_log", ["grid_code", "id"])
    op.create_index("ix_care_access_actor", "care_access_log", ["actor_id", "id"])


def downgrade() -> None:
    op.drop_table("care_access_log")
    op.drop_table("household_members")
    op.drop_table("households")
