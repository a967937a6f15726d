"""Storage: SQLAlchemy models, repository and Alembic migrations."""
