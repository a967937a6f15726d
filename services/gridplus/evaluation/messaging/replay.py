"""Rebuild the read models by replaying topics from their first offset.

Reads every partition of the given topics from the beginning up to the end offsets seen when
the rebuild starts, and applies each event with the consumer's handlers, recording its id as
the live consumer would (so the live consumer, restarted afterwards, skips what was replayed).
The read models are order-independent, so the interleaving of topics does not matter: an
empty database ends with exactly the numbers the live one had. Replaying into a database that
already holds the events changes nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from kafka import KafkaConsumer, TopicPartition
from sqlalchemy.orm import Session

from gridplus.kit.clock import Clock
from gridplus.kit.db import SessionFactory, transaction
from gridplus.kit.events import Event, MalformedEvent, decode
from gridplus.kit.processed import record_new

log = logging.getLogger(__name__)


@dataclass
class ReplayCount:
    read: int = 0
    applied: int = 0
    skipped: int = 0  # duplicates, types without a handler, malformed records


def replay(
    consumer: KafkaConsumer,
    sessions: SessionFactory,
    topics: Sequence[str],
    handlers: Mapping[str, Callable[..., None]],
    *,
    consumer_name: str,
    clock: Clock,
    poll_timeout_ms: int = 1000,
    max_idle_polls: int = 60,
) -> ReplayCount:
    consumer.topics()  # loads metadata, so partitions_for_topic answers
    partitions = [
        TopicPartition(topic, p)
        for topic in topics
        for p in sorted(consumer.partitions_for_topic(topic) or ())
    ]
    count = ReplayCount()
    if not partitions:
        return count
    consumer.assign(partitions)
    consumer.seek_to_beginning(*partitions)
    end = consumer.end_offsets(partitions)
    # Retention may have emptied a partition: its first offset then equals its end.
    first = consumer.beginning_offsets(partitions)
    pending = {tp for tp in partitions if end[tp] > first[tp]}
    idle_polls = 0
    while pending:
        batches = consumer.poll(timeout_ms=poll_timeout_ms)
        idle_polls = 0 if batches else idle_polls + 1
        if idle_polls > max_idle_polls:
            raise RuntimeError(f"replay stalled: no records from {sorted(map(str, pending))}")
        for tp, records in batches.items():
            wanted = [r for r in records if r.offset < end[tp]]
            if wanted:
                count.read += len(wanted)
                with transaction(sessions) as session:
                    _apply_batch(session, wanted, handlers, consumer_name, clock, count)
            if not wanted or wanted[-1].offset + 1 >= end[tp]:
                pending.discard(tp)
    log.info("replay finished", extra={"read": count.read, "applied": count.applied})
    return count


def _apply_batch(
    session: Session,
    records: Sequence[object],
    handlers: Mapping[str, Callable[..., None]],
    consumer_name: str,
    clock: Clock,
    count: ReplayCount,
) -> None:
    """One poll's records of a partition: their ids recorded with one multi-row statement (as
    the live consumer's batches do), then the new ones applied in offset order."""
    events = [event for record in records if (event := _decoded(record, handlers, count))]
    fresh = record_new(session, consumer_name, [event.id for event in events], clock.now())
    for event in events:
        if event.id not in fresh:
            count.skipped += 1
            continue
        fresh.discard(event.id)  # the same id twice in one poll is applied once
        handlers[event.type](session, event)
        count.applied += 1


def _decoded(
    record: object, handlers: Mapping[str, Callable[..., None]], count: ReplayCount
) -> Event | None:
    try:
        event = decode(record.key, record.value, record.headers)  # type: ignore[attr-defined]
    except MalformedEvent as exc:
        log.warning("malformed record skipped in replay", extra={"error": str(exc)})
        count.skipped += 1
        return None
    if event.type not in handlers:
        count.skipped += 1
        return None
    return event
