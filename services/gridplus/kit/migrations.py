"""Alembic migrations: the kit's own tables first, then the service's, each with its own chain.

Each service keeps `storage/alembic/` (env.py + versions/); its env.py is three lines that call
`run_env`. The kit's chain is recorded in `kit_alembic_version`, the service's in
`alembic_version`, so both evolve independently in the same database.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command, context
from alembic.config import Config
from sqlalchemy import Engine, MetaData

KIT_SCRIPTS = Path(__file__).parent / "alembic"
KIT_VERSION_TABLE = "kit_alembic_version"


def _config(script_location: Path, engine: Engine, version_table: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(script_location))
    config.attributes["engine"] = engine
    config.attributes["version_table"] = version_table
    return config


def migrate(engine: Engine, service_scripts: Path | None) -> None:
    """Bring the database to the newest schema: kit tables, then the service's own."""
    command.upgrade(_config(KIT_SCRIPTS, engine, KIT_VERSION_TABLE), "head")
    if service_scripts is not None:
        command.upgrade(_config(service_scripts, engine, "alembic_version"), "head")


def run_env(target_metadata: MetaData | None) -> None:
    """Body of every env.py: run migrations online on the engine `migrate` passed in."""
    config = context.config
    engine: Engine = config.attributes["engine"]
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            version_table=config.attributes["version_table"],
            render_as_batch=connection.dialect.name == "sqlite",
        )
        with context.begin_transaction():
            context.run_migrations()
