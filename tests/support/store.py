"""A service's database migrated to its newest schema, for integration tests."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine

from gridplus.kit.db import SessionFactory, create_database_engine, create_session_factory
from gridplus.kit.migrations import migrate


@dataclass(frozen=True)
class MigratedStore:
    engine: Engine
    sessions: SessionFactory


@contextmanager
def migrated_store(database_url: str, migrations: Path | None) -> Iterator[MigratedStore]:
    """Kit tables plus the service's own (`migrations`: its alembic dir); disposed at the end."""
    engine = create_database_engine(database_url)
    try:
        migrate(engine, migrations)
        yield MigratedStore(engine, create_session_factory(engine))
    finally:
        engine.dispose()
