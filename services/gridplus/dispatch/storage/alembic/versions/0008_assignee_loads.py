"""Open assignments per person as a kept count (issue 13): routing reads a grid's people's counts
by primary key instead of counting every open assignment they hold. Filled in from the open
assignments already there.

During a rolling upgrade a replica still on the previous release opens and closes assignments
without keeping these counts; once every replica runs this release, `storage.loads.recount`
(the same statement as this backfill) makes them exact again.

Revision ID: dispatch_0008
Revises: dispatch_0007
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "dispatch_0008"
down_revision: str | None = "dispatch_0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ASSIGNMENTS = sa.table(
    "assignments",
    sa.column("assignee_id", sa.String),
    sa.column("status", sa.String),
)


def upgrade() -> None:
    loads = op.create_table(
        "assignee_loads",
        sa.Column("assignee_id", sa.String(100), primary_key=True),
        sa.Column("open_count", sa.Integer(), nullable=False),
    )
    counted = (
        sa.select(_ASSIGNMENTS.c.assignee_id, sa.func.count())
        .where(_ASSIGNMENTS.c.status == "open")
        .group_by(_ASSIGNMENTS.c.assignee_id)
    )
    op.execute(sa.insert(loads).from_select(["assignee_id", "open_count"], counted))


def downgrade() -> None:
    op.drop_table("assignee_loads")
