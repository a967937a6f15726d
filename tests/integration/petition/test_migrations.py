"""petition_0004: petitions filed before the reporter could choose stay private, and the schema
the migrations build is the one the models describe (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import text

from gridplus.kit.db import create_database_engine
from gridplus.kit.migrations import KIT_SCRIPTS, KIT_VERSION_TABLE, migrate
from gridplus.petition.storage.models import Base
from tests.integration.petition.conftest import MIGRATIONS

pytestmark = pytest.mark.integration


def _config(engine: object, scripts: object, table: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(scripts))
    config.attributes["engine"] = engine
    config.attributes["version_table"] = table
    return config


def test_existing_petitions_become_private_and_the_schema_matches_the_models(
    database_url: str,
) -> None:
    engine = create_database_engine(database_url)
    try:
        command.upgrade(_config(engine, KIT_SCRIPTS, KIT_VERSION_TABLE), "head")
        command.upgrade(_config(engine, MIGRATIONS, "alembic_version"), "petition_0003")
        at = datetime(2026, 11, 1, tzinfo=UTC)
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO petitions (id, status, title, description, lat, lon,"
                    " reporter_id, reporter_role, source, created_at, updated_at) VALUES"
                    " ('old-1', 'SUBMITTED', 't', 'call me', 1.0, 2.0, 'r', 'resident',"
                    " 'RESIDENT', :at, :at)"
                ),
                {"at": at},
            )

        migrate(engine, MIGRATIONS)

        with engine.connect() as connection:
            publication = connection.execute(
                text("SELECT publication FROM petitions WHERE id = 'old-1'")
            ).scalar_one()
            context = MigrationContext.configure(
                connection, opts={"include_name": _service_tables_only}
            )
            drift = compare_metadata(context, Base.metadata)
        assert publication == "PRIVATE"
        assert drift == []
    finally:
        engine.dispose()


def _service_tables_only(name: str | None, type_: str, _parents: object) -> bool:
    return not (type_ == "table" and (name or "").startswith("kit_"))
