"""Dispatch's category and department, step deadlines and light, history kinds, the change
feed, reporters' encrypted contacts, and photos.

Revision ID: petition_0002
Revises: petition_0001
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "petition_0002"
down_revision: str | None = "petition_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_NEW_PETITION_COLUMNS: list[tuple[str, Any]] = [
    ("category_name_zh", sa.String(200)),
    ("category_name_en", sa.String(200)),
    ("category_top_level", sa.String(64)),
    ("category_source", sa.String(16)),
    ("category_confidence", sa.Double),
    ("department_code", sa.String(64)),
    ("triage_reason", sa.Text),
    ("verify_deadline", sa.DateTime(timezone=True)),
    ("handling_deadline", sa.DateTime(timezone=True)),
    ("clock_started_at", sa.DateTime(timezone=True)),
    ("yellow_at", sa.DateTime(timezone=True)),
    ("resolution_note", sa.Text),
    # From Open311 clients: where (as text), a link to their own media, service attributes (JSON).
    ("address", sa.Text),
    ("media_url", sa.String(2048)),
    ("attributes", sa.Text),
]


def upgrade() -> None:
    with op.batch_alter_table("petitions") as batch:
        for name, type_ in _NEW_PETITION_COLUMNS:
            batch.add_column(sa.Column(name, type_))
    # Petitions assigned before this revision: their only deadline is the verify deadline.
    op.execute(
        "UPDATE petitions SET verify_deadline = deadline WHERE status = 'ASSIGNED'"
        " AND deadline IS NOT NULL"
    )
    op.create_index(
        "ix_petitions_department_created", "petitions", ["department_code", "created_at", "id"]
    )
    op.create_index(
        "ix_petitions_category_status", "petitions", ["category", "status", "created_at"]
    )
    op.create_index("ix_petitions_duplicate_of", "petitions", ["duplicate_of"])
    with op.batch_alter_table("petition_history") as batch:
        batch.add_column(sa.Column("kind", sa.String(10), nullable=False, server_default="STATUS"))
    op.create_table(
        "petition_changes",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer, "sqlite"),
            primary_key=True,
            autoincrement=True,
        ),
        sa.Column("petition_id", sa.String(36), nullable=False),
        sa.Column("history_seq", sa.Integer, nullable=False),
    )
    # Existing history joins the feed in time order.
    op.execute(
        "INSERT INTO petition_changes (petition_id, history_seq)"
        " SELECT petition_id, seq FROM petition_history ORDER BY at, petition_id, seq"
    )
    op.create_table(
        "reporter_contacts",
        sa.Column(
            "petition_id",
            sa.String(36),
            sa.ForeignKey("petitions.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("reporter_id", sa.String(200), nullable=False),
        sa.Column("key_id", sa.String(32)),
        sa.Column("name", sa.LargeBinary),
        sa.Column("phone", sa.LargeBinary),
        sa.Column("email", sa.LargeBinary),
        sa.Column("address", sa.LargeBinary),
        sa.Column("language", sa.String(16)),
        sa.Column("erased_at", sa.DateTime(timezone=True)),
    )
    op.create_index("ix_reporter_contacts_reporter_id", "reporter_contacts", ["reporter_id"])
    op.create_table(
        "petition_photos",
        sa.Column(
            "petition_id",
            sa.String(36),
            sa.ForeignKey("petitions.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("seq", sa.Integer, primary_key=True),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("media_type", sa.String(32), nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("stage", sa.String(16), nullable=False),
        sa.Column("uploaded_by", sa.String(200), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("petition_photos")
    op.drop_index("ix_reporter_contacts_reporter_id", table_name="reporter_contacts")
    op.drop_table("reporter_contacts")
    op.drop_table("petition_changes")
    with op.batch_alter_table("petition_history") as batch:
        batch.drop_column("kind")
    op.drop_index("ix_petitions_duplicate_of", table_name="petitions")
    op.drop_index("ix_petitions_category_status", table_name="petitions")
    op.drop_index("ix_petitions_department_created", table_name="petitions")
    with op.batch_alter_table("petitions") as batch:
        for name, _ in reversed(_NEW_PETITION_COLUMNS):
            batch.drop_column(name)
