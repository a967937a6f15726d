"""Operator commands beside serve and migrate (run with the venv's python):

    python -m gridplus.petition reseal-contacts
    python -m gridplus.petition import-history FILE [--format nyc311-csv|open311-json] [--strict]

`reseal-contacts`, after a key rotation: put the new key first in GRIDPLUS_PII_KEYS, keep the old
one, run this to re-encrypt every reporter contact under the active key (a batch per
transaction), then drop the old key.

`import-history`: a city's 311 export (NYC Open Data CSV, or an Open311 requests.json dump) as
closed petitions, through the outbox like every petition (handlers/history_import.py). Bad rows
are listed by line (a JSON dump's by item) on stderr and the rest imported (exit 2), or with
--strict nothing is (exit 1); progress every --progress-every rows on stderr; a second run
imports nothing twice.

A command reads only the settings it uses: the database's (GRIDPLUS_PETITION_DATABASE_URL, or
GRIDPLUS_VAR_DIR for the SQLite default) and the key ring's (GRIDPLUS_PII_KEYS or
GRIDPLUS_PII_KEY) for reseal-contacts; import-history the database's, GRIDPLUS_JWT_SECRET (its
own service token) and GRIDPLUS_GRID_REGISTRY_ADDR (locating points, the taxonomy). No ports, no
broker: the running service's relay publishes what the import wrote to the outbox.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import grpc
from sqlalchemy.exc import SQLAlchemyError

from gridplus.kit.auth import ServiceToken
from gridplus.kit.clock import SystemClock
from gridplus.kit.config import ConfigError, Env, JwtSettings, service_address
from gridplus.kit.db import (
    SessionFactory,
    create_database_engine,
    create_session_factory,
    transaction,
)
from gridplus.kit.errors import GridPlusError
from gridplus.kit.grpc_client import service_channel
from gridplus.kit.outbox import Outbox
from gridplus.kit.pii import KeyRing
from gridplus.kit.topology import SERVICES, events_topic
from gridplus.petition.clients import RegistryCategories, RegistryGridLocator
from gridplus.petition.domain import history_import
from gridplus.petition.domain.history_import import Format
from gridplus.petition.handlers import history_import as handler
from gridplus.petition.storage import contacts

PACKAGE = "petition"
COMMANDS = ("reseal-contacts", "import-history")
MIGRATIONS = Path(__file__).parent / "storage" / "alembic"

log = logging.getLogger(__name__)


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; 0 when it worked, 1 (the reason on stderr) when it did not."""
    parser = argparse.ArgumentParser(prog="python -m gridplus.petition")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("reseal-contacts", help="re-encrypt contacts under the active key")
    _history_arguments(commands)
    args = parser.parse_args(argv)
    if args.command == "import-history":
        return _run(lambda: import_history(args, Env()))
    return _run(lambda: _reseal(Env()))


def _run(command: Callable[[], int]) -> int:
    """A command's exit code; 1 with the reason on stderr when it failed."""
    try:
        return command()
    except (GridPlusError, ConfigError, OSError, ValueError) as exc:
        print(f"{PACKAGE}: {exc}", file=sys.stderr)
        return 1
    except SQLAlchemyError as exc:  # e.g. an unmigrated database: "no such table"
        print(f"{PACKAGE}: database: {getattr(exc, 'orig', None) or exc}", file=sys.stderr)
        return 1


def _reseal(env: Env) -> int:
    var_dir = Path(env.text("GRIDPLUS_VAR_DIR", "var"))
    keys = KeyRing.from_env(env, var_dir)
    engine = create_database_engine(database_url(env, var_dir))
    try:
        total = reseal_contacts(create_session_factory(engine), keys)
    finally:
        engine.dispose()
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


def _history_arguments(commands: Any) -> None:
    command = commands.add_parser(
        "import-history", help="import a 311 export as closed petitions (idempotent)"
    )
    command.add_argument("file", type=Path, help="the export: a CSV file or a requests.json")
    command.add_argument(
        "--format", choices=[f.value for f in Format], default=Format.NYC311_CSV.value
    )
    command.add_argument(
        "--system",
        default="nyc311",
        help="the source system; with the request id it makes each petition's identity",
    )
    command.add_argument(
        "--timezone",
        default="America/New_York",
        help="zone of the export's times that carry no offset",
    )
    command.add_argument("--strict", action="store_true", help="import nothing when any row is bad")
    command.add_argument("--batch-size", type=int, default=200, help="petitions per transaction")
    command.add_argument(
        "--progress-every", type=int, default=1000, help="rows between progress lines on stderr"
    )


def import_history(args: argparse.Namespace, env: Env) -> int:
    """Read, locate, write; list the bad rows; 0 all good, 2 bad rows reported (the rest
    imported), 1 with --strict and a bad row (nothing imported)."""
    if args.batch_size < 1 or args.progress_every < 1:
        raise ValueError("--batch-size and --progress-every must be at least 1")
    try:
        zone = ZoneInfo(args.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"--timezone {args.timezone!r} is not a known time zone") from None
    var_dir = Path(env.text("GRIDPLUS_VAR_DIR", "var"))
    engine = create_database_engine(database_url(env, var_dir))
    registry = service_channel(
        service_address("grid_registry", env), ServiceToken(JwtSettings.from_env(env), PACKAGE)
    )
    try:
        with args.file.open(encoding="utf-8-sig", newline="") as text:
            rows = (
                history_import.read_nyc311_csv(text, zone)
                if args.format == Format.NYC311_CSV
                else history_import.read_open311_json(text.read(), zone, _Codes(registry))
            )
            report = handler.import_history(
                create_session_factory(engine),
                Outbox(events_topic(PACKAGE), f"/gridplus/{PACKAGE}", SystemClock()),
                rows,
                source=handler.HistorySource(args.system, Format(args.format)),
                locator=RegistryGridLocator(registry),
                categories=RegistryCategories(registry),
                strict=args.strict,
                batch_size=args.batch_size,
                progress=_progress,
                progress_every=args.progress_every,
            )
    finally:
        registry.close()
        engine.dispose()
    # A CSV row by its line; a JSON dump's request by its position in the list.
    where = "line" if args.format == Format.NYC311_CSV else "item"
    for problem in report.bad:
        request = f" (request {problem.request_id})" if problem.request_id else ""
        print(f"{where} {problem.line}{request}: {problem.reason}", file=sys.stderr)
    refused = args.strict and report.bad
    print(
        f"{report.rows} rows: {0 if refused else report.imported} imported, {report.already} "
        f"already imported, {report.not_closed} not closed (skipped), {len(report.bad)} bad"
        f"{' - nothing imported (--strict)' if refused else ''}; "
        f"{report.rows_per_second:.0f} rows/s"
    )
    return 1 if refused else 2 if report.bad else 0


def _progress(report: handler.ImportReport) -> None:
    print(
        f"import-history: {report.rows} rows, {report.imported} imported, {report.already} "
        f"already, {len(report.problems)} reported, {report.rows_per_second:.0f} rows/s",
        file=sys.stderr,
        flush=True,
    )


class _Codes(dict[str, str]):
    """The taxonomy's codes, fetched once when an Open311 dump first asks about one."""

    def __init__(self, channel: grpc.Channel) -> None:
        super().__init__()
        self._categories = RegistryCategories(channel)

    def __contains__(self, code: object) -> bool:
        if not len(self):
            self.update({c.code: c.name_en for c in self._categories.categories()})
        return super().__contains__(code)
