"""Where a consumer group stands on a topic, and why an event left no effect in its database.

The chaos run checks that every PetitionAssigned notified someone; when some did not, a bare
count says nothing. For each missing event this tells which of four things happened:
applied (the consumer recorded its id, yet stored nothing), dead-lettered (it is on the DLQ
topic), skipped (the group's committed offset is past it but it was never applied: a loss),
or not reached (still ahead of the committed offset: the consumer is behind, not wrong).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from kafka import KafkaConsumer, TopicPartition
from kafka.consumer.fetcher import ConsumerRecord

from gridplus.kit.topology import dlq_topic


@dataclass(frozen=True)
class Position:
    partition: int
    offset: int


def event_positions(bootstrap: str, topic: str, event_ids: set[str]) -> dict[str, Position]:
    """Where each of `event_ids` (the ce_id header) sits on `topic`."""
    found: dict[str, Position] = {}
    for record in _records(bootstrap, topic):
        event_id = dict(record.headers).get("ce_id", b"").decode()
        if event_id in event_ids:
            found[event_id] = Position(record.partition, record.offset)
    return found


def dead_lettered(bootstrap: str, topic: str, event_ids: set[str]) -> set[str]:
    """Which of `event_ids` were sent to `topic`'s dead-letter topic."""
    found: set[str] = set()
    for record in _records(bootstrap, dlq_topic(topic)):
        event_id = dict(record.headers).get("ce_id", b"").decode()
        if event_id in event_ids:
            found.add(event_id)
    return found


def committed_offsets(bootstrap: str, group: str, topic: str) -> dict[int, int]:
    """The group's committed offset per partition of `topic` (absent: nothing committed).

    A consumer with the group's id that never subscribes reads the commits without joining."""
    probe = KafkaConsumer(bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False)
    try:
        found: dict[int, int] = {}
        for partition in probe.partitions_for_topic(topic) or ():
            offset = probe.committed(TopicPartition(topic, partition))
            if offset is not None:
                found[partition] = offset
        return found
    finally:
        probe.close()


def lag(bootstrap: str, group: str, topic: str) -> int:
    """Records on `topic` the group has not committed past yet, summed over partitions."""
    consumer = KafkaConsumer(bootstrap_servers=bootstrap)
    try:
        partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
        ends = consumer.end_offsets(partitions)
    finally:
        consumer.close()
    committed = committed_offsets(bootstrap, group, topic)
    return sum(max(0, end - committed.get(tp.partition, 0)) for tp, end in ends.items())


def why_missing(
    missing: Iterable[str],
    *,
    applied: set[str],
    dead: set[str],
    positions: dict[str, Position],
    committed: dict[int, int],
) -> Counter[str]:
    """Each missing event counted under the first explanation that fits."""
    reasons: Counter[str] = Counter()
    for event_id in missing:
        position = positions.get(event_id)
        if event_id in applied:
            reasons["applied, stored nothing"] += 1
        elif event_id in dead:
            reasons["dead-lettered"] += 1
        elif position is None:
            reasons["not on the topic"] += 1
        elif position.offset < committed.get(position.partition, 0):
            reasons["skipped: committed past, never applied"] += 1
        else:
            reasons["not reached: consumer behind"] += 1
    return reasons


def _records(bootstrap: str, topic: str) -> Iterator[ConsumerRecord]:
    consumer = KafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        consumer_timeout_ms=5000,
    )
    try:
        yield from consumer
    finally:
        consumer.close()
