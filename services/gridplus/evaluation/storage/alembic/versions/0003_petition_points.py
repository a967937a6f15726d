"""Petition points: where and what each petition is about, for hot spots and repeat locations.

A read model: `python -m gridplus.evaluation rebuild` fills it from the petition and dispatch
topics (PetitionSubmitted's location and category, later categories from PetitionAssigned and
PetitionStatusChanged).

Revision ID: evaluation_0003
Revises: evaluation_0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "evaluation_0003"
down_revision: str | None = "evaluation_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.String(100)
WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "petition_points",
        sa.Column("petition_id", ID, primary_key=True),
        sa.Column("latitude", sa.Float()),
        sa.Column("longitude", sa.Float()),
        sa.Column("submitted_at", WHEN),
        sa.Column("category", ID),
        sa.Column("category_at", WHEN),
    )
    op.create_index("ix_petition_points_submitted_at", "petition_points", ["submitted_at"])


def downgrade() -> None:
    op.drop_index("ix_petition_points_submitted_at", "petition_points")
    op.drop_table("petition_points")
