"""Kit leases: one row per "only one replica does X" lease (the outbox relay's, say).

Revision ID: kit_0002
Revises: kit_0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "kit_0002"
down_revision: str | None = "kit_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "kit_leases",
        sa.Column("name", sa.String(200), primary_key=True),
        sa.Column("holder", sa.String(200)),
        sa.Column("token", sa.BigInteger, nullable=False, server_default=sa.text("0")),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("kit_leases")
