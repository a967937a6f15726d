"""The household visit whose finding raised a petition (source VISIT): `visit_id`, NULL for
every other petition and for every petition filed before this revision; indexed, so staff can
find a visit's petitions.

Revision ID: petition_0005
Revises: petition_0004
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "petition_0005"
down_revision: str | None = "petition_0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("petitions") as batch:
        batch.add_column(sa.Column("visit_id", sa.String(64), nullable=True))
        batch.create_index("ix_petitions_visit", ["visit_id"])


def downgrade() -> None:
    with op.batch_alter_table("petitions") as batch:
        batch.drop_index("ix_petitions_visit")
        batch.drop_column("visit_id")
