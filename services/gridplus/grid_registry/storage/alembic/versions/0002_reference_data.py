"""Categories, departments, responsibility rules (seeded from the package's seed CSVs), and
contact fields of members.

Revision ID: grid_registry_0002
Revises: grid_registry_0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from gridplus.grid_registry.storage.seed_files import SEED_DIR, read_rows, seed_fingerprint

revision: str = "grid_registry_0002"
down_revision: str | None = "grid_registry_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    categories = op.create_table(
        "categories",
        sa.Column("code", sa.String(100), primary_key=True),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("name_zh", sa.String(200), nullable=False),
        sa.Column("name_en", sa.String(200), nullable=False),
        sa.Column("top_level_code", sa.String(100), nullable=False),
        sa.Column("parent_code", sa.String(100)),
        sa.Column("priority", sa.String(10), nullable=False),
        sa.Column("verify_sla_minutes", sa.Integer, nullable=False),
        sa.Column("handle_sla_minutes", sa.Integer, nullable=False),
        sa.Column("business_calendar", sa.Boolean, nullable=False),
    )
    departments = op.create_table(
        "departments",
        sa.Column("code", sa.String(50), primary_key=True),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("name_zh", sa.String(200), nullable=False),
        sa.Column("name_en", sa.String(200), nullable=False),
        sa.Column("head_person_id", sa.String(100)),
    )
    rules = op.create_table(
        "responsibility_rules",
        sa.Column("category_code", sa.String(100), primary_key=True),
        # "" = the whole city (a primary key column cannot be NULL).
        sa.Column("grid_code", sa.String(50), primary_key=True),
        sa.Column("department_code", sa.String(50), nullable=False),
    )
    meta = op.create_table(
        "reference_data",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
    )
    for column in ("email", "phone", "language", "department_code"):
        op.add_column(
            "members", sa.Column(column, sa.String(200), nullable=False, server_default="")
        )
    _seed(categories, departments, rules, meta)


def _seed(categories: sa.Table, departments: sa.Table, rules: sa.Table, meta: sa.Table) -> None:
    op.bulk_insert(
        categories,
        [
            {
                **row,
                "position": position,
                "parent_code": row["parent_code"] or None,
                "verify_sla_minutes": int(row["verify_sla_minutes"]),
                "handle_sla_minutes": int(row["handle_sla_minutes"]),
                "business_calendar": row["business_calendar"] == "true",
            }
            for position, row in enumerate(read_rows(SEED_DIR / "categories.csv"))
        ],
    )
    op.bulk_insert(
        departments,
        [
            {**row, "position": position, "head_person_id": row["head_person_id"] or None}
            for position, row in enumerate(read_rows(SEED_DIR / "departments.csv"))
        ],
    )
    op.bulk_insert(rules, list(read_rows(SEED_DIR / "responsibility.csv")))
    op.bulk_insert(meta, [{"id": 1, "version": 1, "fingerprint": seed_fingerprint()}])


def downgrade() -> None:
    # Batch mode: SQLite drops columns by copying the table.
    with op.batch_alter_table("members") as batch:
        for column in ("department_code", "language", "phone", "email"):
            batch.drop_column(column)
    op.drop_table("reference_data")
    op.drop_table("responsibility_rules")
    op.drop_table("departments")
    op.drop_table("categories")
