"""A fresh PostgreSQL database per test scope on the machine's server (127.0.0.1:5432, trust)."""

from __future__ import annotations

import os
import uuid

import psycopg

ADMIN_URL = os.environ.get(
    "GRIDPLUS_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres"
)


def create_database(prefix: str) -> tuple[str, str]:
    """Create an empty database; returns (name, SQLAlchemy URL)."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = ADMIN_URL.rsplit("/", 1)[0]
    return name, f"{base}/{name}"


def drop_database(name: str) -> None:
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
