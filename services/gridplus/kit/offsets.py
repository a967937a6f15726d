"""Offsets of applied events, committed to the group at most once per interval.

An offset commit is a synchronous round trip to the group coordinator; committing after every
poll cost a busy consumer a third of its CPU (evaluation, issue 13's profile). Applied events
are recorded in the database with their effects, so an offset committed late only means a few
events are redelivered after a crash or a rebalance, and those find their ids recorded and
change nothing. The offsets are committed when the interval has passed, when a poll comes back
empty (so an idle group shows no lag), and when the consumer stops.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from kafka import KafkaConsumer, TopicPartition
from kafka.errors import CommitFailedError, KafkaError
from kafka.structs import OffsetAndMetadata

log = logging.getLogger(__name__)

DEFAULT_COMMIT_INTERVAL_SECONDS = 1.0


class PendingOffsets:
    """The next offset to commit per partition, for events already applied in the database."""

    def __init__(
        self,
        interval_seconds: float = DEFAULT_COMMIT_INTERVAL_SECONDS,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._interval = interval_seconds
        self._monotonic = monotonic
        self._pending: dict[TopicPartition, int] = {}
        self._last_commit = monotonic()

    def applied(self, partition: TopicPartition, next_offset: int) -> None:
        self._pending[partition] = next_offset

    def __bool__(self) -> bool:
        return bool(self._pending)

    def commit_if_due(self, consumer: KafkaConsumer) -> None:
        if self._pending and self._monotonic() - self._last_commit >= self._interval:
            self.commit(consumer)

    def commit(self, consumer: KafkaConsumer) -> None:
        """Commit what is pending for the partitions this member still owns.

        A KafkaError leaves the offsets pending for the next attempt; a refused commit (the
        group rebalanced) drops them: the partitions' new owners get the events again and skip
        them as duplicates.
        """
        self._last_commit = self._monotonic()
        if not self._pending:
            return
        owned = consumer.assignment()
        offsets = {
            partition: OffsetAndMetadata(offset, "", -1)
            for partition, offset in self._pending.items()
            if partition in owned
        }
        try:
            if offsets:
                consumer.commit(offsets)
        except CommitFailedError:
            self._pending.clear()
            raise
        self._pending.clear()

    def commit_on_stop(self, consumer: KafkaConsumer) -> None:
        """Best effort on the way out: what is not committed is redelivered and skipped."""
        try:
            self.commit(consumer)
        except KafkaError as exc:
            log.warning("offsets not committed on stop", extra={"error": repr(exc)})
