"""Storage: SQLAlchemy models, repository and Alembic migrations."""

from pathlib import Path

MIGRATIONS = Path(__file__).parent / "alembic"
