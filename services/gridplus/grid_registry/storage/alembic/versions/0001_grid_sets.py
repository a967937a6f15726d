"""Grid sets (versions), their grids with WKB polygons, and members.

Revision ID: grid_registry_0001
Revises:
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "grid_registry_0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "grid_sets",
        sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source", sa.String(500), nullable=False),
        sa.Column("grid_count", sa.Integer, nullable=False),
        sa.Column("member_count", sa.Integer, nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
    )
    op.create_table(
        "grids",
        sa.Column(
            "grid_set_version",
            sa.Integer,
            sa.ForeignKey("grid_sets.version"),
            primary_key=True,
        ),
        sa.Column("code", sa.String(50), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("level", sa.SmallInteger, nullable=False),
        sa.Column("parent_code", sa.String(50)),
        sa.Column("geometry", sa.LargeBinary, nullable=False),
        sa.Column("min_lon", sa.Float, nullable=False),
        sa.Column("min_lat", sa.Float, nullable=False),
        sa.Column("max_lon", sa.Float, nullable=False),
        sa.Column("max_lat", sa.Float, nullable=False),
    )
    op.create_index("ix_grids_parent", "grids", ["grid_set_version", "parent_code"])
    op.create_index("ix_grids_level", "grids", ["grid_set_version", "level"])
    op.create_table(
        "members",
        sa.Column("grid_set_version", sa.Integer, primary_key=True),
        sa.Column("grid_code", sa.String(50), primary_key=True),
        sa.Column("role", sa.String(30), primary_key=True),
        sa.Column("person_id", sa.String(100), primary_key=True),
        sa.Column("display_name", sa.String(200), nullable=False),
        sa.ForeignKeyConstraint(
            ["grid_set_version", "grid_code"], ["grids.grid_set_version", "grids.code"]
        ),
    )
    op.create_index("ix_members_person", "members", ["grid_set_version", "person_id"])


def downgrade() -> None:
    op.drop_index("ix_members_person", table_name="members")
    op.drop_table("members")
    op.drop_index("ix_grids_level", table_name="grids")
    op.drop_index("ix_grids_parent", table_name="grids")
    op.drop_table("grids")
    op.drop_table("grid_sets")
