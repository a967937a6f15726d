"""Operator commands beside serve and migrate (run with the venv's python):

    python -m gridplus.petition reseal-contacts

`reseal-contacts`, after a key rotation: put the new key first in GRIDPLUS_PII_KEYS, keep the old
one, run this to re-encrypt every reporter contact under the active key (a batch per
transaction), then drop the old key.

A command reads only the settings it uses: the database's (GRIDPLUS_PETITION_DATABASE_URL, or
GRIDPLUS_VAR_DIR for the SQLite default) and the key ring's (GRIDPLUS_PII_KEYS or
GRIDPLUS_PII_KEY). No JWT secret, no ports, no broker.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError

from gridplus.kit.config import ConfigError, Env
from gridplus.kit.db import (
    SessionFactory,
    create_database_engine,
    create_session_factory,
    transaction,
)
from gridplus.kit.errors import GridPlusError
from gridplus.kit.pii import KeyRing
from gridplus.kit.topology import SERVICES
from gridplus.petition.storage import contacts

PACKAGE = "petition"
COMMANDS = ("reseal-contacts",)
MIGRATIONS = Path(__file__).parent / "storage" / "alembic"

log = logging.getLogger(__name__)


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; 0 when it worked, 1 (the reason on stderr) when it did not."""
    parser = argparse.ArgumentParser(prog="python -m gridplus.petition")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("reseal-contacts", help="re-encrypt contacts under the active key")
    parser.parse_args(argv)
    try:
        env = Env()
        var_dir = Path(env.text("GRIDPLUS_VAR_DIR", "var"))
        keys = KeyRing.from_env(env, var_dir)
        engine = create_database_engine(database_url(env, var_dir))
        try:
            total = reseal_contacts(create_session_factory(engine), keys)
        finally:
            engine.dispose()
    except (GridPlusError, ConfigError, OSError, ValueError) as exc:
        print(f"{PACKAGE}: {exc}", file=sys.stderr)
        return 1
    except SQLAlchemyError as exc:  # e.g. an unmigrated database: "no such table"
        print(f"{PACKAGE}: database: {getattr(exc, 'orig', None) or exc}", file=sys.stderr)
        return 1
    print(f"resealed {total} contact(s) under key {keys.active_id}")
    return 0


def database_url(env: Env, var_dir: Path) -> str:
    """The service's database URL, as kit ServiceSettings derives it, without its other needs."""
    return env.text(
        f"{SERVICES[PACKAGE].env_prefix}_DATABASE_URL", f"sqlite:///{var_dir}/{PACKAGE}.db"
    )


def reseal_contacts(sessions: SessionFactory, keys: KeyRing) -> int:
    """Every contact sealed under the active key, a batch per transaction; how many moved."""
    total = 0
    while True:
        with transaction(sessions) as session:
            done = contacts.reseal(session, keys=keys)
        total += done
        if not done:
            break
    log.info("contacts resealed", extra={"contacts": total, "key_id": keys.active_id})
    return total
