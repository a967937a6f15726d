"""Alembic migrations: the kit's own tables first, then the service's, each with its own chain.

Each service keeps `storage/alembic/` (env.py + versions/); its env.py is three lines that call
`run_env`. The kit's chain is recorded in `kit_alembic_version`, the service's in
`alembic_version`, so both evolve independently in the same database.

Replicas that start together migrate one at a time: on PostgreSQL `migrate` holds a session
advisory lock on its own connection for the whole run, so the second waits and then finds the
schema at head (alembic upgrades nothing). SQLite is one process.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command, context
from alembic.config import Config
from sqlalchemy import Engine, MetaData, text

KIT_SCRIPTS = Path(__file__).parent / "alembic"
KIT_VERSION_TABLE = "kit_alembic_version"
# pg_advisory_lock key for migrations ("gridmi"): one database, one migration at a time.
MIGRATION_LOCK_KEY = 0x6772_6964_6D69


def _config(script_location: Path, engine: Engine, version_table: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(script_location))
    config.attributes["engine"] = engine
    config.attributes["version_table"] = version_table
    return config


def migrate(engine: Engine, service_scripts: Path | None) -> None:
    """Bring the database to the newest schema: kit tables, then the service's own."""
    with migration_lock(engine):
        upgrade(engine, service_scripts)


def upgrade(engine: Engine, service_scripts: Path | None) -> None:
    """`migrate` without the lock: for a caller that already holds `migration_lock`."""
    command.upgrade(_config(KIT_SCRIPTS, engine, KIT_VERSION_TABLE), "head")
    if service_scripts is not None:
        command.upgrade(_config(service_scripts, engine, "alembic_version"), "head")


@contextmanager
def migration_lock(engine: Engine) -> Iterator[None]:
    """Hold the database's migration lock (PostgreSQL); waits while another process holds it."""
    if engine.dialect.name != "postgresql":
        yield
        return
    with engine.connect() as connection:
        connection.execute(text("SELECT pg_advisory_lock(:k)"), {"k": MIGRATION_LOCK_KEY})
        connection.commit()
        try:
            yield
        finally:
            connection.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": MIGRATION_LOCK_KEY})
            connection.commit()


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
