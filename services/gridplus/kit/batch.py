"""A poll's records applied in as few database transactions as the rules allow.

One transaction per batch: the batch's event ids recorded with one multi-row insert (those
already there are skipped), every handler's effect in order, one commit; the caller commits the
Kafka offset after. Per event this saves a transaction, a look-up and an insert, which is most
of what a trivial handler costs.

A batch is cut short where the per-event path's promises would otherwise break:
- a two-step handler (`Prepared`) runs `prepare` before the transaction opens, and `prepare`
  may read what earlier events of the same key wrote (dispatch reads the petition it routed),
  so an earlier event of that key still pending is committed first;
- a malformed record is dead-lettered in its place in the order.
If a batch fails, for whatever reason, it is rolled back and its events applied one at a time
by the per-event path: only an event that fails alone is retried and dead-lettered.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from kafka.consumer.fetcher import ConsumerRecord
from sqlalchemy.orm import Session

from gridplus.kit import metrics
from gridplus.kit.clock import Clock
from gridplus.kit.db import SessionFactory, transaction
from gridplus.kit.events import Event, MalformedEvent, decode
from gridplus.kit.processed import record_new
from gridplus.kit.tracing import continued_from

log = logging.getLogger(__name__)

# The bound on a batch (GRIDPLUS_CONSUMER_MAX_BATCH): a batch holds its transaction's locks (on
# SQLite the database's one writer lock) until it commits, so the service's own requests wait
# for at most one batch; 1 turns batching off (one transaction per event, as before).
DEFAULT_MAX_BATCH = 200


# A read inside a batch's transaction, before its first event, with the events it concerns.
ReadFirst = Callable[[Session, Sequence[Event]], None]


@dataclass(frozen=True)
class Prepared:
    """A handler in two steps, for effects that need remote calls first (e.g. dispatch asking
    grid-registry): `prepare` runs before the transaction opens, so no database lock is held
    while waiting on the network; `apply` gets its result inside the transaction. `prepare`
    sees the effects of every earlier event of the same key."""

    prepare: Callable[[Event], Any]
    apply: Callable[[Session, Event, Any], None]
    # Called once per poll with every event of the poll this handler will prepare (in order),
    # before the first `prepare`: a chance to fetch what they all need in one remote call
    # instead of one per event. A hint only: each `prepare` must still work without it, and a
    # failure here is logged and ignored.
    prepare_ahead: Callable[[Sequence[Event]], None] | None = None
    # As ReadAhead's `ahead`: inside the batch's transaction, before the first `apply`.
    read_ahead: ReadFirst | None = None


@dataclass(frozen=True)
class ReadAhead:
    """A one-step handler that reads first what a whole batch's events of its kind need:
    `ahead` runs inside the batch's transaction, before the first event's `handle`, with every
    new event of the batch this handler will handle (in order), e.g. to lock and read their rows
    in one statement instead of one per event. A hint only: the per-event path calls `handle`
    alone, so `handle` must work without it; a failure in `ahead` fails the batch (its events
    are then applied one at a time)."""

    handle: Callable[[Session, Event], None]
    ahead: ReadFirst


EventHandler = Callable[[Session, Event], None] | Prepared | ReadAhead


def apply_handler(handler: EventHandler, session: Session, event: Event, prepared: Any) -> None:
    if isinstance(handler, Prepared):
        handler.apply(session, event, prepared)
    elif isinstance(handler, ReadAhead):
        handler.handle(session, event)
    else:
        handler(session, event)


@dataclass(frozen=True)
class _Ready:
    record: ConsumerRecord
    event: Event
    handler: EventHandler
    prepared: Any


# The per-event path for one record, given the attempts it already used: False when shutdown
# interrupted it.
OneByOne = Callable[[ConsumerRecord, int], bool]


class BatchApplier:
    """Applies a list of one partition's records (in offset order) for consumer `name`."""

    def __init__(
        self,
        *,
        name: str,
        handlers: dict[str, EventHandler],
        sessions: SessionFactory,
        clock: Clock,
        after_commit: Callable[[], None],
    ) -> None:
        self._name = name
        self._handlers = handlers
        self._sessions = sessions
        self._clock = clock
        self._after_commit = after_commit
        self._any_ahead = any(
            isinstance(h, Prepared) and h.prepare_ahead is not None for h in handlers.values()
        )

    def apply(self, records: list[ConsumerRecord], one_by_one: OneByOne) -> ConsumerRecord | None:
        """Apply `records` (each partition's in offset order; partitions may be mixed: a key
        lives in one partition); returns None when all were finished, else the first record
        shutdown left unfinished (it and every later one are redelivered to the next owner).
        `one_by_one` is the per-event path, for what cannot go in a batch."""
        self._prepare_ahead(records)
        segment: list[_Ready] = []
        for record in records:
            ready_or_done = self._ready(record, segment, one_by_one)
            if isinstance(ready_or_done, _Stopped):
                return ready_or_done.record
            if ready_or_done is not None:
                segment.append(ready_or_done)
        return self._flush(segment, one_by_one)

    def _prepare_ahead(self, records: list[ConsumerRecord]) -> None:
        if not self._any_ahead:
            return  # decoding every record twice costs only those who asked for it
        ahead: dict[int, tuple[Prepared, list[Event]]] = {}
        for record in records:
            try:
                event = decode(record.key, record.value, record.headers)
            except MalformedEvent:
                continue  # dead-lettered in its place later
            handler = self._handlers.get(event.type)
            if isinstance(handler, Prepared) and handler.prepare_ahead is not None:
                ahead.setdefault(id(handler), (handler, []))[1].append(event)
        for handler, events in ahead.values():
            try:
                handler.prepare_ahead(events)  # type: ignore[misc]
            except Exception as exc:
                log.warning(
                    "prepare_ahead failed; each event prepares on its own",
                    extra={"consumer": self._name, "error": repr(exc)},
                )

    def _ready(
        self, record: ConsumerRecord, segment: list[_Ready], one_by_one: OneByOne
    ) -> _Ready | _Stopped | None:
        """The record decoded and prepared for the segment; None when it needs no transaction
        (ignored, or finished here); _Stopped when shutdown interrupted the work."""
        try:
            event = decode(record.key, record.value, record.headers)
        except MalformedEvent:
            return self._flush_then_one(segment, record, one_by_one)
        handler = self._handlers.get(event.type)
        if handler is None:
            metrics.EVENTS_CONSUMED.labels(self._name, event.type, "ignored").inc()
            return None
        if not isinstance(handler, Prepared):
            return _Ready(record, event, handler, None)
        if any(pending.event.key == event.key for pending in segment):
            stopped_at = self._flush(segment, one_by_one)
            if stopped_at is not None:
                return _Stopped(stopped_at)
        try:
            # In the producer's trace, so the remote calls it makes continue that trace.
            with continued_from(event.traceparent, f"prepare {event.type}", consumer=self._name):
                prepared = handler.prepare(event)
        except Exception:
            # A remote dependency away, say: the per-event path retries it with backoff.
            return self._flush_then_one(segment, record, one_by_one, attempts_used=1)
        return _Ready(record, event, handler, prepared)

    def _flush_then_one(
        self,
        segment: list[_Ready],
        record: ConsumerRecord,
        one_by_one: OneByOne,
        *,
        attempts_used: int = 0,
    ) -> _Stopped | None:
        stopped_at = self._flush(segment, one_by_one)
        if stopped_at is not None:
            return _Stopped(stopped_at)
        return None if one_by_one(record, attempts_used) else _Stopped(record)

    def _flush(self, segment: list[_Ready], one_by_one: OneByOne) -> ConsumerRecord | None:
        """Apply the pending segment in one transaction and empty it. Returns the record
        shutdown interrupted at, if it did."""
        pending = list(segment)
        segment.clear()
        return self._apply_pending(pending, one_by_one)

    def _apply_pending(self, pending: list[_Ready], one_by_one: OneByOne) -> ConsumerRecord | None:
        if not pending:
            return None
        try:
            outcomes = self._in_one_transaction(pending)
        except _BatchFailed as failed:
            return self._after_failure(pending, failed, one_by_one)
        for ready, outcome in zip(pending, outcomes, strict=True):
            metrics.EVENTS_CONSUMED.labels(self._name, ready.event.type, outcome).inc()
        if "applied" in outcomes:
            self._after_commit()
        return None

    def _after_failure(
        self, pending: list[_Ready], failed: _BatchFailed, one_by_one: OneByOne
    ) -> ConsumerRecord | None:
        """The batch was rolled back. When one event's handler failed, the events before it
        are applied again as a batch, it alone by the per-event path (this failure counts as
        its first attempt), the events after it as a batch; else (the commit failed, say)
        every event one at a time."""
        cause = repr(failed.__cause__)
        if failed.index is None:
            log.warning(
                "a batch failed; applying its events one at a time",
                extra={"consumer": self._name, "events": len(pending), "error": cause},
            )
            for ready in pending:
                if not one_by_one(ready.record, 0):
                    return ready.record
            return None
        poison = pending[failed.index]
        log.warning(
            "event failed in a batch, retrying it alone",
            extra={"consumer": self._name, "event_id": poison.event.id, "error": cause},
        )
        stopped_at = self._apply_pending(pending[: failed.index], one_by_one)
        if stopped_at is not None:
            return stopped_at
        if not one_by_one(poison.record, 1):
            return poison.record
        return self._apply_pending(pending[failed.index + 1 :], one_by_one)

    def _in_one_transaction(self, pending: list[_Ready]) -> list[str]:
        outcomes: list[str] = []
        index: int | None = None
        try:
            with transaction(self._sessions) as session:
                fresh = record_new(
                    session, self._name, [ready.event.id for ready in pending], self._clock.now()
                )
                _read_ahead(session, [ready for ready in pending if ready.event.id in fresh])
                for ready in pending:
                    index = len(outcomes)  # the event a failure from here on is blamed on
                    outcomes.append(self._apply_one(session, ready, fresh))
                index = None  # past the handlers: a failure now is the commit's
        except Exception as exc:
            raise _BatchFailed(index) from exc
        return outcomes

    def _apply_one(self, session: Session, ready: _Ready, fresh: set[str]) -> str:
        event = ready.event
        if event.id not in fresh:
            return "duplicate"
        fresh.discard(event.id)  # the same event twice in one poll: the copy is a no-op
        started = time.perf_counter()
        with continued_from(event.traceparent, f"consume {event.type}", consumer=self._name):
            apply_handler(ready.handler, session, event, ready.prepared)
        metrics.EVENT_HANDLING.labels(self._name, event.type).observe(time.perf_counter() - started)
        return "applied"


def _read_ahead(session: Session, pending: list[_Ready]) -> None:
    """Each handler's in-transaction read, once, with the batch's events it will handle."""
    ahead: dict[int, tuple[ReadFirst, list[Event]]] = {}
    for ready in pending:
        read = _read_first(ready.handler)
        if read is not None:
            ahead.setdefault(id(ready.handler), (read, []))[1].append(ready.event)
    for read, events in ahead.values():
        read(session, events)


def _read_first(handler: EventHandler) -> ReadFirst | None:
    if isinstance(handler, ReadAhead):
        return handler.ahead
    return handler.read_ahead if isinstance(handler, Prepared) else None


@dataclass(frozen=True)
class _Stopped:
    """Shutdown interrupted the work at `record` (it and the rest are left for the next owner)."""

    record: ConsumerRecord


class _BatchFailed(Exception):
    """A batch's transaction failed; `index`: the event whose handler raised, if one did."""

    def __init__(self, index: int | None) -> None:
        super().__init__(index)
        self.index = index
