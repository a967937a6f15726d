"""Dispatch's clock on the petition (PetitionDeadlineChanged): paused since, and the time of the
last deadline change applied (older changes are stale).

Revision ID: petition_0003
Revises: petition_0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "petition_0003"
down_revision: str | None = "petition_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("petitions") as batch:
        batch.add_column(sa.Column("clock_paused_at", sa.DateTime(timezone=True)))
        batch.add_column(sa.Column("deadline_changed_at", sa.DateTime(timezone=True)))


def downgrade() -> None:
    with op.batch_alter_table("petitions") as batch:
        batch.drop_column("deadline_changed_at")
        batch.drop_column("clock_paused_at")
