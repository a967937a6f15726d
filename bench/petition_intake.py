"""Petition intake in process (issue 13): the petition service's WSGI app (Flask, as waitress
serves it) on a temp SQLite file and on PostgreSQL, N submissions through `POST
/api/v1/petitions` with a dev token and an Idempotency-Key each, tracing configured as the
service configures it (no exporter); CPU ms per petition: this process's CPU time per round,
and the best of the rounds; then CPU ms per PetitionAssigned that petition's consumer applies to
the last round's petitions (the handler in a transaction of its own, without Kafka).

    python -m bench.petition_intake [--db sqlite|postgresql|both] [-n 500] [--rounds 3]
"""

from __future__ import annotations

import argparse
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from gridplus.api.common.v1 import common_pb2
from gridplus.api.events.v1 import events_pb2
from gridplus.kit.auth import Role, mint_token
from gridplus.kit.batch import apply_handler
from gridplus.kit.clock import SystemClock
from gridplus.kit.config import JwtSettings
from gridplus.kit.db import SessionFactory, transaction
from gridplus.kit.events import Event
from gridplus.kit.outbox import Outbox
from gridplus.kit.pii import KeyRing
from gridplus.kit.topology import events_topic
from gridplus.kit.tracing import configure_tracing
from gridplus.petition.api.convert import timestamp
from gridplus.petition.api.http import create_app
from gridplus.petition.api.intake_limits import IntakeLimits
from gridplus.petition.api.open311 import Open311Settings
from gridplus.petition.handlers.deps import Deps
from gridplus.petition.messaging.consumers import dispatch_handlers
from gridplus.petition.ports import Category, StaticCategories
from gridplus.petition.storage.blobs import LocalBlobStore
from tests.support.store import migrated_store
from tools.scaled_stack import drop_database, ensure_database

ROOT = Path(__file__).resolve().parents[1]
MIGRATIONS = ROOT / "services/gridplus/petition/storage/alembic"
JWT = JwtSettings("bench-secret-bench-secret-bench-secret", "gridplus")
KEYS = KeyRing([("bench", bytes(range(32)))])
CATEGORIES = StaticCategories([Category("road.manhole", "井盖", "Manhole cover", "road", "road")])
PATH = ["G1", "G1-2", "G1-2-3"]
BODY = {
    "title": "井盖丢失",
    "description": "manhole cover missing at the corner",
    "lat": 39.9,
    "lon": 116.4,
    "contact": {"phone": "13812341234"},
}


def run(database_url: str, blobs: Path, n: int, rounds: int) -> tuple[list[float], float]:
    """CPU ms per petition of each round of `n` submissions, and CPU ms per PetitionAssigned
    consumed for the last round's petitions (the handler in its own transaction, as the kit's
    consumer runs it, without the Kafka poll)."""
    clock = SystemClock()
    outbox = Outbox(topic=events_topic("petition"), source="/gridplus/petition", clock=clock)
    with migrated_store(database_url, MIGRATIONS) as store:
        deps = Deps(
            outbox=outbox,
            clock=clock,
            keys=KEYS,
            blobs=LocalBlobStore(blobs),
            categories=CATEGORIES,
        )
        app = create_app(
            sessions=store.sessions,
            deps=deps,
            jwt=JWT,
            wake=lambda: None,
            categories=CATEGORIES,
            open311_settings=Open311Settings(api_keys=frozenset()),
            intake_limits=IntakeLimits(per_resident=0),  # one bench resident, many petitions
        )
        client = app.test_client()
        auth = f"Bearer {mint_token(JWT, subject='resident-bench', role=Role.RESIDENT)}"
        for _ in range(20):  # warm up: first-request work, statement caches
            submit(client, auth)
        figures = []
        ids: list[str] = []
        for _ in range(rounds):
            started = time.process_time()
            ids = [submit(client, auth) for _ in range(n)]
            figures.append((time.process_time() - started) * 1000 / n)
        return figures, consume_assignments(store.sessions, deps, ids)


def consume_assignments(sessions: SessionFactory, deps: Deps, ids: list[str]) -> float:
    handlers = dispatch_handlers(deps)
    now = datetime.now(UTC)
    events = [
        Event.create(
            events_pb2.PetitionAssigned(
                petition_id=petition_id,
                grid=common_pb2.GridRef(code="G1-2-3", level=3, path=PATH, grid_set_version=1),
                assignee_id="worker-7",
                category="road.manhole",
                deadline=timestamp(now + timedelta(days=3)),
                assigned_at=timestamp(now),
                reasons=["point lies in G1-2-3"],
            ),
            key=petition_id,
            source="/gridplus/dispatch",
            time=now,
        )
        for petition_id in ids
    ]
    started = time.process_time()
    for event in events:
        with transaction(sessions) as session:
            apply_handler(handlers[event.type], session, event, None)
    return (time.process_time() - started) * 1000 / len(events)


def submit(client: object, auth: str) -> str:
    headers = {"Authorization": auth, "Idempotency-Key": uuid.uuid4().hex}
    response = client.post("/api/v1/petitions", json=BODY, headers=headers)  # type: ignore[attr-defined]
    if response.status_code != 201:
        raise RuntimeError(f"{response.status_code}: {response.get_data(as_text=True)[:300]}")
    return str(response.get_json()["id"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("-n", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    configure_tracing("petition")  # as the service does (no exporter: OTEL_... unset)
    kinds = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    for kind in kinds:
        with tempfile.TemporaryDirectory() as tmp:
            if kind == "sqlite":
                figures, consumed = run(
                    f"sqlite:///{tmp}/petition.db", Path(tmp) / "blobs", args.n, args.rounds
                )
            else:
                name = f"bench_petition_{uuid.uuid4().hex[:8]}"
                try:
                    url = ensure_database(name)
                    figures, consumed = run(url, Path(tmp) / "blobs", args.n, args.rounds)
                finally:
                    drop_database(name)
        shown = ", ".join(f"{f:.2f}" for f in figures)
        print(
            f"{kind}: {args.n} petitions x {args.rounds}: CPU ms/petition {shown};"
            f" best {min(figures):.2f}; PetitionAssigned consumed: {consumed:.2f} ms/event"
        )


if __name__ == "__main__":
    main()
