"""Storage: SQLAlchemy models, one module of queries per table group (inbox_items, deliveries,
subscriptions, bulletins) returning domain values, and Alembic migrations."""
