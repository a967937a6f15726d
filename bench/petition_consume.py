"""Petition's consumer path in process (issue 13): dispatch's PetitionAssigned for N submitted
petitions, as Kafka records (CloudEvents headers, protobuf value, the fields dispatch sets), applied
by petition's real dispatch handlers through the kit's BatchApplier in batches of `--batch`
records of one partition (decode, processed-event ids, the handlers, the commit), on a temp
SQLite file and on PostgreSQL. CPU ms per event: this process's CPU time per round over N
events, and the best of the rounds; wall ms per event: the consumer thread's pace (on
PostgreSQL it includes waiting for each statement's answer). The petitions are submitted
before each round, untimed.

    python -m bench.petition_consume [--db sqlite|postgresql|both] [-n 500] [--batch 5]
        [--rounds 3] [--no-apply]
"""

from __future__ import annotations

import argparse
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from kafka.consumer.fetcher import ConsumerRecord
from sqlalchemy import bindparam, func, select

from gridplus.api.common.v1 import common_pb2
from gridplus.api.events.v1 import events_pb2
from gridplus.api.grid.v1 import grid_pb2
from gridplus.kit.batch import BatchApplier
from gridplus.kit.clock import SystemClock
from gridplus.kit.db import SessionFactory, transaction
from gridplus.kit.events import encode_headers
from gridplus.kit.outbox import Outbox
from gridplus.kit.pii import KeyRing
from gridplus.kit.roles import Role
from gridplus.kit.topology import events_topic
from gridplus.kit.tracing import configure_tracing
from gridplus.petition.api.convert import timestamp
from gridplus.petition.domain.access import Viewer
from gridplus.petition.domain.lifecycle import Status
from gridplus.petition.domain.submission import validate_submission
from gridplus.petition.handlers.deps import Deps
from gridplus.petition.handlers.intake import NewPetition, submit_petition
from gridplus.petition.messaging.consumers import dispatch_handlers
from gridplus.petition.ports import Category, StaticCategories
from gridplus.petition.storage.blobs import LocalBlobStore
from gridplus.petition.storage.rows import PETITIONS
from tests.support.store import migrated_store
from tools.scaled_stack import drop_database, ensure_database

ROOT = Path(__file__).resolve().parents[1]
MIGRATIONS = ROOT / "services/gridplus/petition/storage/alembic"
KEYS = KeyRing([("bench", bytes(range(32)))])
CATEGORIES = StaticCategories([Category("road.manhole", "井盖", "Manhole cover", "road", "road")])
PATH = ["G1", "G1-2", "G1-2-3"]
REPORTER = Viewer(id="resident-bench", role=Role.RESIDENT)
SUBMISSION = validate_submission(
    title="井盖丢失",
    description="manhole cover missing at the corner",
    lat=39.9,
    lon=116.4,
    category=None,
)
_ASSIGNED = select(func.count()).where(
    PETITIONS.c.id.in_(bindparam("ids", expanding=True)),
    PETITIONS.c.status == Status.ASSIGNED.value,
)
TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


def run(
    database_url: str, blobs: Path, n: int, batch: int, rounds: int, apply: bool = True
) -> list[tuple[float, float]]:
    """(CPU, wall) ms per PetitionAssigned of each round of `n` events, applied `batch` at a time
    (`apply` False: everything but the applies, for instruction counts taken as a run with
    minus a run without)."""
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
        applier = BatchApplier(
            name="petition-dispatch",
            handlers=dispatch_handlers(deps),
            sessions=store.sessions,
            clock=clock,
            after_commit=lambda: None,
        )
        apply_round(store.sessions, deps, applier, 20, batch, apply)  # warm up: statement caches
        return [apply_round(store.sessions, deps, applier, n, batch, apply) for _ in range(rounds)]


def apply_round(
    sessions: SessionFactory, deps: Deps, applier: BatchApplier, n: int, batch: int, apply: bool
) -> tuple[float, float]:
    """(CPU ms, wall ms) per event: the wall time is the consumer thread's pace, which on
    PostgreSQL includes waiting for each statement's answer."""
    ids = submitted(sessions, deps, n)
    records = [record(petition_id, offset) for offset, petition_id in enumerate(ids)]
    if not apply:
        return 0.0, 0.0
    started, wall_started = time.process_time(), time.perf_counter()
    for start in range(0, len(records), batch):
        if applier.apply(records[start : start + batch], _one_by_one) is not None:
            raise RuntimeError("the batch stopped early")
    used, wall = time.process_time() - started, time.perf_counter() - wall_started
    with transaction(sessions) as session:  # every petition moved on: nothing was ignored
        count = session.execute(_ASSIGNED, {"ids": ids}).scalar_one()
    if count != len(ids):
        raise RuntimeError(f"{len(ids) - count} of {len(ids)} petitions were not assigned")
    return used * 1000 / n, wall * 1000 / n


def submitted(sessions: SessionFactory, deps: Deps, n: int) -> list[str]:
    ids: list[str] = []
    for start in range(0, n, 100):
        with transaction(sessions) as session:
            for _ in range(min(100, n - start)):
                new = NewPetition(SUBMISSION)
                ids.append(submit_petition(session, deps, new=new, reporter=REPORTER).id)
    return ids


def record(petition_id: str, offset: int) -> ConsumerRecord:
    """Dispatch's PetitionAssigned for the petition, as petition's consumer polls it."""
    now = datetime.now(UTC)
    deadline = now + timedelta(days=3)
    payload = events_pb2.PetitionAssigned(
        petition_id=petition_id,
        grid=common_pb2.GridRef(code="G1-2-3", level=3, path=PATH, grid_set_version=1),
        assignee_id="worker-7",
        assignee_role=grid_pb2.MEMBER_ROLE_GRID_WORKER,
        category="road.manhole",
        reasons=["point lies in G1-2-3", "classifier 0.91"],
        category_choice=events_pb2.CategoryChoice(
            code="road.manhole",
            name_zh="井盖",
            name_en="Manhole cover",
            top_level_code="road",
            source=events_pb2.CATEGORY_SOURCE_CLASSIFIED,
            confidence=0.91,
        ),
        department_code="road",
        deadline=timestamp(deadline),
        yellow_at=timestamp(deadline - timedelta(hours=12)),
        assigned_at=timestamp(now),
    )
    value = payload.SerializeToString()
    headers = encode_headers(
        event_id=str(uuid.uuid4()),
        ce_type=payload.DESCRIPTOR.full_name,
        source="/gridplus/dispatch",
        time=now,
        traceparent=TRACEPARENT,
    )
    return ConsumerRecord(
        topic=events_topic("dispatch"),
        partition=0,
        leader_epoch=0,
        offset=offset,
        timestamp=0,
        timestamp_type=0,
        key=petition_id.encode(),
        value=value,
        headers=headers,
        checksum=None,
        serialized_key_size=len(petition_id),
        serialized_value_size=len(value),
        serialized_header_size=-1,
    )


def _one_by_one(record: ConsumerRecord, attempts: int) -> bool:
    raise RuntimeError(f"offset {record.offset} left the batch path (a handler failed?)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("-n", type=int, default=500)
    parser.add_argument("--batch", type=int, default=5, help="records per BatchApplier.apply")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--no-apply", action="store_true", help="all but the applies (a baseline for callgrind)"
    )
    args = parser.parse_args()
    configure_tracing("petition")  # as the service does (no exporter: OTEL_... unset)
    kinds = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    sizes = (args.n, args.batch, args.rounds, not args.no_apply)
    for kind in kinds:
        with tempfile.TemporaryDirectory() as tmp:
            if kind == "sqlite":
                url = f"sqlite:///{tmp}/petition.db"
                figures = run(url, Path(tmp) / "blobs", *sizes)
            else:
                name = f"bench_petition_{uuid.uuid4().hex[:8]}"
                try:
                    url = ensure_database(name)
                    figures = run(url, Path(tmp) / "blobs", *sizes)
                finally:
                    drop_database(name)
        cpu = ", ".join(f"{c:.3f}" for c, _ in figures)
        wall = ", ".join(f"{w:.3f}" for _, w in figures)
        print(
            f"{kind}: {args.n} PetitionAssigned x {args.rounds}, batches of {args.batch}:"
            f" CPU ms/event {cpu}; best {min(c for c, _ in figures):.3f};"
            f" wall ms/event {wall}; best {min(w for _, w in figures):.3f}"
        )


if __name__ == "__main__":
    main()
