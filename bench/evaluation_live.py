"""Evaluation's live consumer path in process (issue 13): the realistic stream of bench.rebuild
(petitions through follow-up, households, visits; evaluation's own topic left out, as the live
service does not consume it) applied by the kit's BatchApplier with evaluation's live handlers,
in batches of 1, 5 and 50 records of a partition, tracing configured as the service configures
it (no exporter). CPU ms per event: process CPU of the applies only (not the stream's
generation nor the migration), best of the rounds. Then a digest of every table the apply left
(rows sorted), to compare one commit's effects with another's at the same batch size (it differs
between batch sizes: status_changes' surrogate ids follow the order of the inserts).

    python -m bench.evaluation_live [--db sqlite|postgresql] [--events 5000] [--rounds 3] \
        [--batches 1,5,50]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import time

from sqlalchemy import MetaData, select

from bench.rebuild import CONSUMER, T0, Record, generate, scratch
from gridplus.evaluation.messaging.consumers import HANDLERS
from gridplus.kit.batch import BatchApplier
from gridplus.kit.clock import ManualClock
from gridplus.kit.db import SessionFactory
from gridplus.kit.tracing import configure_tracing


def chunks(records: list[Record], batch: int) -> list[list[Record]]:
    """The live records cut into polls of at most `batch` records of one partition, in
    publishing order (a partition's batch goes when it is full; the rest at the end)."""
    live = [r for r in records if not r.topic.startswith("evaluation:")]
    result, pending = [], dict[str, list[Record]]()
    for record in live:
        pending.setdefault(record.topic, []).append(record)
        if len(pending[record.topic]) >= batch:
            result.append(pending.pop(record.topic))
    result += pending.values()
    return result


def apply(sessions: SessionFactory, polls: list[list[Record]]) -> float:
    """Process CPU seconds to apply `polls` through the kit's BatchApplier."""

    def one_by_one(record: object, attempts: int) -> bool:
        raise RuntimeError("a batch failed")

    applier = BatchApplier(
        name=CONSUMER,
        handlers=HANDLERS,
        sessions=sessions,
        clock=ManualClock(T0),
        after_commit=lambda: None,
    )
    cpu = time.process_time()
    for poll in polls:
        applier.apply(poll, one_by_one)  # type: ignore[arg-type]
    return time.process_time() - cpu


def contents(sessions: SessionFactory) -> str:
    """sha256 of every table's rows (sorted, as text), the migrations' own table left out."""
    with sessions() as session:
        metadata = MetaData()
        metadata.reflect(session.get_bind())
        digest = hashlib.sha256()
        for name in sorted(metadata.tables):
            if name.startswith("alembic"):
                continue
            rows = session.execute(select(metadata.tables[name])).all()
            digest.update(name.encode())
            for row in sorted(repr(tuple(row)) for row in rows):
                digest.update(row.encode())
        return digest.hexdigest()[:16]


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.evaluation_live")
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--events", type=int, default=5_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--batches", default="1,5,50")
    args = parser.parse_args()
    configure_tracing("evaluation")
    records = generate(args.events)
    live = sum(1 for r in records if not r.topic.startswith("evaluation:"))
    for batch in (int(b) for b in args.batches.split(",")):
        polls = chunks(records, batch)
        best, digests = float("inf"), set()
        for _ in range(args.rounds):
            with scratch(args.db, "live") as sessions:
                best = min(best, apply(sessions, polls))
                digests.add(contents(sessions))
        print(
            f"evaluation live path on {args.db}, batches of {batch}: "
            f"{best / live * 1000:.3f} ms CPU per event (best of {args.rounds}, {live:,} events, "
            f"load {os.getloadavg()[0]:.1f}), tables {' '.join(sorted(digests))}",
            flush=True,
        )


if __name__ == "__main__":
    main()
