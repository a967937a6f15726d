"""Deliveries' addresses sealed with the personal-data key ring (kit.pii).

New deliveries store their address (email, phone, webhook URL) sealed in `sealed_address` under
key `address_key_id`, and `address` empty. The migration cannot encrypt existing rows itself
(it does not hold the key ring): pending rows stored before it keep their plain `address`, are
still sent, and are cleared when final as before. To seal them at once, run
`python -m gridplus.notification reseal-addresses` after upgrading.

Revision ID: notification_0003
Revises: notification_0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "notification_0003"
down_revision: str | None = "notification_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("deliveries") as batch:
        batch.add_column(sa.Column("address_key_id", sa.String(32)))
        batch.add_column(sa.Column("sealed_address", sa.LargeBinary))


def downgrade() -> None:
    # Sealed addresses cannot be restored without the key: pending deliveries lose them.
    with op.batch_alter_table("deliveries") as batch:
        batch.drop_column("sealed_address")
        batch.drop_column("address_key_id")
