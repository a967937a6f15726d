"""Inbox items numbered in one sequence, the order WatchInbox streams them in.

`seq` is taken when an item is inserted (PostgreSQL: the `inbox_item_seq` sequence; SQLite, whose
writers are serialised: the highest number + 1). A transaction holding a lower number may commit
after one holding a higher number; a watcher does not pass a missing number until it appears or
has been missing longer than its grace (a rolled-back transaction, a duplicate not inserted).
Existing items are numbered in the order they were stored.

Revision ID: notification_0004
Revises: notification_0003
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "notification_0004"
down_revision: str | None = "notification_0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("inbox_items") as batch:
        batch.add_column(sa.Column("seq", sa.BigInteger))
    op.execute(
        "UPDATE inbox_items SET seq = numbered.n FROM ("
        " SELECT id, row_number() OVER (ORDER BY stored_at, created_at, id) AS n"
        " FROM inbox_items) AS numbered WHERE inbox_items.id = numbered.id"
    )
    op.create_index("ix_inbox_items_seq", "inbox_items", ["seq"], unique=True)
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE SEQUENCE inbox_item_seq")
        op.execute(
            "SELECT setval('inbox_item_seq', (SELECT COALESCE(MAX(seq), 0) + 1 FROM inbox_items),"
            " false)"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP SEQUENCE inbox_item_seq")
    op.drop_index("ix_inbox_items_seq", table_name="inbox_items")
    with op.batch_alter_table("inbox_items") as batch:
        batch.drop_column("seq")
