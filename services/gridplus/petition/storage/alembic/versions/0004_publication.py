"""Whether a petition's free text may be published on the public Open311 views: PRIVATE (the
default, and what every petition filed before this revision is), REPORTER, STAFF_APPROVED or
STAFF_WITHHELD.

Revision ID: petition_0004
Revises: petition_0003
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "petition_0004"
down_revision: str | None = "petition_0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("petitions") as batch:
        batch.add_column(
            sa.Column("publication", sa.String(16), nullable=False, server_default="PRIVATE")
        )


def downgrade() -> None:
    with op.batch_alter_table("petitions") as batch:
        batch.drop_column("publication")
