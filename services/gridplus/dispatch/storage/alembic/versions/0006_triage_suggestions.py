"""Triage: the classifier's likeliest categories kept with each petition in the queue (a list of
{code, name_zh, name_en, confidence}, best first; NULL for petitions queued before this revision,
which offer none).

Revision ID: dispatch_0006
Revises: dispatch_0005
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "dispatch_0006"
down_revision: str | None = "dispatch_0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("triage", sa.Column("suggestions", sa.JSON(), nullable=True))


def downgrade() -> None:
    # Not batch mode: copying the table on SQLite would cascade-delete its triage_grids rows;
    # SQLite >= 3.35 drops a column in place.
    op.drop_column("triage", "suggestions")
