"""Buildings and units (places) inside level-3 grids, and the place a member serves.

Revision ID: grid_registry_0003
Revises: grid_registry_0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "grid_registry_0003"
down_revision: str | None = "grid_registry_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "places",
        sa.Column("grid_set_version", sa.Integer, primary_key=True),
        sa.Column("code", sa.String(50), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("grid_code", sa.String(50), nullable=False),
        sa.Column("parent_code", sa.String(50)),
        sa.ForeignKeyConstraint(
            ["grid_set_version", "grid_code"], ["grids.grid_set_version", "grids.code"]
        ),
    )
    op.create_index("ix_places_grid", "places", ["grid_set_version", "grid_code"])
    op.add_column(
        "members", sa.Column("place_code", sa.String(50), nullable=False, server_default="")
    )


def downgrade() -> None:
    with op.batch_alter_table("members") as batch:
        batch.drop_column("place_code")
    op.drop_index("ix_places_grid", table_name="places")
    op.drop_table("places")
