"""The in-app inbox.

Revision ID: notification_0001
Revises:
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "notification_0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "inbox_items",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("recipient_id", sa.String(100), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("event_type", sa.String(200), nullable=False),
        sa.Column("petition_id", sa.String(64)),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True)),
        sa.Column("source_event_id", sa.String(64), nullable=False),
        sa.UniqueConstraint(
            "source_event_id", "recipient_id", "kind", name="uq_inbox_items_source_recipient_kind"
        ),
    )
    op.create_index(
        "ix_inbox_items_recipient_created", "inbox_items", ["recipient_id", "created_at", "id"]
    )
    op.create_index("ix_inbox_items_recipient_read", "inbox_items", ["recipient_id", "read_at"])


def downgrade() -> None:
    op.drop_index("ix_inbox_items_recipient_read", table_name="inbox_items")
    op.drop_index("ix_inbox_items_recipient_created", table_name="inbox_items")
    op.drop_table("inbox_items")
