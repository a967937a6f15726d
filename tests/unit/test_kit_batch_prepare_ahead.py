"""A two-step handler's `prepare_ahead`: told once per poll of every event it will prepare, in
order, before the first `prepare` (so one remote call can serve them all); a failure there is
only a lost hint, every event is still prepared and applied."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from gridplus.api.events.v1 import events_pb2
from gridplus.kit.batch import BatchApplier, Prepared
from gridplus.kit.clock import SystemClock
from gridplus.kit.consumer import handler_table
from gridplus.kit.events import Event
from tests.unit.test_kit_consumer_batch import OneByOne, Store, record, store, titles, write

__all__ = ["store"]  # the fixture, from the batch tests


class Recorder:
    def __init__(self, *, fail_ahead: bool = False) -> None:
        self.calls: list[tuple[str, list[str]]] = []
        self._fail_ahead = fail_ahead

    def prepare_ahead(self, events: Sequence[Event]) -> None:
        self.calls.append(("ahead", [e.payload.title for e in events]))  # type: ignore[attr-defined]
        if self._fail_ahead:
            raise ConnectionError("the remote service is away")

    def prepare(self, event: Event) -> str:
        self.calls.append(("prepare", [event.payload.title]))  # type: ignore[attr-defined]
        return "ready"

    def handler(self) -> Prepared:
        return Prepared(
            prepare=self.prepare,
            apply=lambda session, event, _prepared: write(session, event),
            prepare_ahead=self.prepare_ahead,
        )


def _applier(store: Store, handler: Any) -> BatchApplier:
    return BatchApplier(
        name="ahead-test",
        handlers=handler_table((events_pb2.PetitionSubmitted, handler)),
        sessions=store.sessions,
        clock=SystemClock(),
        after_commit=lambda: None,
    )


def test_one_call_ahead_with_the_whole_poll_then_each_event_prepared_in_order(
    store: Store,
) -> None:
    recorder = Recorder()
    records = [record(n, f"p-{n}", f"t{n}") for n in range(5)]

    _applier(store, recorder.handler()).apply(records, OneByOne())

    assert recorder.calls[0] == ("ahead", ["t0", "t1", "t2", "t3", "t4"])
    assert recorder.calls[1:] == [("prepare", [f"t{n}"]) for n in range(5)]
    assert titles(store) == [f"t{n}" for n in range(5)]


def test_a_failing_call_ahead_loses_nothing(store: Store) -> None:
    recorder = Recorder(fail_ahead=True)
    records = [record(n, f"p-{n}", f"t{n}") for n in range(3)]
    one = OneByOne()

    _applier(store, recorder.handler()).apply(records, one)

    assert [kind for kind, _ in recorder.calls] == ["ahead", "prepare", "prepare", "prepare"]
    assert titles(store) == ["t0", "t1", "t2"]
    assert one.handed == [], "no event needed the per-event path"


def test_a_handler_without_a_call_ahead_is_prepared_as_before(store: Store) -> None:
    prepared: list[str] = []
    handler = Prepared(
        prepare=lambda event: prepared.append(event.payload.title),  # type: ignore[attr-defined]
        apply=lambda session, event, _p: write(session, event),
    )

    _applier(store, handler).apply([record(0, "p-0", "t0"), record(1, "p-1", "t1")], OneByOne())

    assert prepared == ["t0", "t1"]
    assert titles(store) == ["t0", "t1"]
