"""Email, webhook and SMS deliveries with their retry schedule; webhook subscriptions;
bulletins; when each inbox item was stored (for WatchInbox).

Revision ID: notification_0002
Revises: notification_0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "notification_0002"
down_revision: str | None = "notification_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("inbox_items") as batch:
        batch.add_column(sa.Column("stored_at", sa.DateTime(timezone=True)))
    op.create_table(
        "deliveries",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("source_event_id", sa.String(64), nullable=False),
        sa.Column("event_type", sa.String(200), nullable=False),
        sa.Column("recipient_id", sa.String(100), nullable=False),
        sa.Column("channel", sa.String(20), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("address", sa.Text, nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("petition_id", sa.String(64)),
        sa.Column("bulletin_id", sa.Uuid),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_error", sa.Text),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True)),
        sa.UniqueConstraint(
            "source_event_id",
            "recipient_id",
            "channel",
            name="uq_deliveries_event_recipient_channel",
        ),
    )
    op.create_index("ix_deliveries_due", "deliveries", ["status", "next_attempt_at"])
    op.create_index("ix_deliveries_recipient", "deliveries", ["recipient_id", "created_at"])
    op.create_index("ix_deliveries_petition", "deliveries", ["petition_id"])
    op.create_index("ix_deliveries_bulletin", "deliveries", ["bulletin_id", "status"])
    op.create_table(
        "webhook_subscriptions",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("owner_id", sa.String(100), nullable=False),
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("secret", sa.String(100), nullable=False),
        sa.Column("event_types", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True)),
    )
    op.create_table(
        "bulletins",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("request_id", sa.String(100), nullable=False, unique=True),
        sa.Column("grid_code", sa.String(64), nullable=False),
        sa.Column("sent_by", sa.String(100), nullable=False),
        sa.Column("recipient_count", sa.Integer, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("bulletins")
    op.drop_table("webhook_subscriptions")
    op.drop_index("ix_deliveries_bulletin", table_name="deliveries")
    op.drop_index("ix_deliveries_petition", table_name="deliveries")
    op.drop_index("ix_deliveries_recipient", table_name="deliveries")
    op.drop_index("ix_deliveries_due", table_name="deliveries")
    op.drop_table("deliveries")
    with op.batch_alter_table("inbox_items") as batch:
        batch.drop_column("stored_at")
