"""`python -m gridplus.notification migrate` builds the schema its models expect."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

from gridplus.kit.db import create_database_engine
from gridplus.notification.storage.models import Base
from tests.conftest import JWT_SECRET

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[3]


def test_the_migrate_command_creates_the_inbox_as_modelled(
    database_url: str, tmp_path: Path
) -> None:
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT / "services"),
        "GRIDPLUS_JWT_SECRET": JWT_SECRET,
        "GRIDPLUS_VAR_DIR": str(tmp_path),
        "GRIDPLUS_NOTIFICATION_DATABASE_URL": database_url,
    }
    for _ in range(2):  # a second run finds nothing to do
        subprocess.run(
            [sys.executable, "-m", "gridplus.notification", "migrate"],
            env=env,
            check=True,
            capture_output=True,
            timeout=60,
        )
    engine = create_database_engine(database_url)
    try:
        with engine.connect() as connection:
            version = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
            assert version == "notification_0004"
            context = MigrationContext.configure(
                connection, opts={"include_name": _service_tables_only}
            )
            assert compare_metadata(context, Base.metadata) == []
    finally:
        engine.dispose()


def _service_tables_only(name: str | None, type_: str, _parents: object) -> bool:
    # The kit's own tables share the database but are not in the service's metadata.
    return not (type_ == "table" and (name or "").startswith("kit_"))
