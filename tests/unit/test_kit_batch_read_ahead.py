"""A one-step handler's `ahead` (kit.batch.ReadAhead): called inside the batch's transaction,
once, with the batch's new events in order before the first is handled (an event already
applied is not among them); a failure there fails the batch, whose events are then applied one
at a time, so nothing is lost."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from gridplus.kit.batch import ReadAhead
from gridplus.kit.events import Event
from tests.unit.test_kit_consumer_batch import (
    OneByOne,
    Store,
    applier,
    record,
    store,
    titles,
    write,
)

__all__ = ["store"]  # the fixture, from the batch tests


class Recorder:
    def __init__(self, *, fail_ahead: bool = False) -> None:
        self.calls: list[tuple[str, list[str], bool]] = []
        self._fail_ahead = fail_ahead

    def ahead(self, session: Session, events: Sequence[Event]) -> None:
        titles_ = [e.payload.title for e in events]  # type: ignore[attr-defined]
        self.calls.append(("ahead", titles_, session.in_transaction()))
        if self._fail_ahead:
            raise ConnectionError("the database went away")

    def handle(self, session: Session, event: Event) -> None:
        self.calls.append(("handle", [event.payload.title], session.in_transaction()))  # type: ignore[attr-defined]
        write(session, event)

    def handler(self) -> ReadAhead:
        return ReadAhead(handle=self.handle, ahead=self.ahead)


def test_ahead_once_in_the_transaction_with_the_new_events_then_each_handled_in_order(
    store: Store,
) -> None:
    done_before = record(0, "p-0", "t0", event_id="already-applied")
    applier(store).apply([done_before], OneByOne())
    recorder = Recorder()
    records = [record(n, f"p-{n % 2}", f"t{n}") for n in range(1, 5)]
    repeated = record(5, "p-0", "again", event_id="already-applied")
    commits_before = len(store.commits)

    applier(store, recorder.handler()).apply([*records, repeated], OneByOne())
    assert len(store.commits) - commits_before == 1, "one transaction for the batch"

    assert recorder.calls[0] == ("ahead", ["t1", "t2", "t3", "t4"], True)
    assert recorder.calls[1:] == [("handle", [f"t{n}"], True) for n in range(1, 5)]
    assert titles(store) == ["t0", "t1", "t2", "t3", "t4"]


def test_a_failing_ahead_loses_nothing_the_events_go_one_at_a_time(store: Store) -> None:
    recorder = Recorder(fail_ahead=True)
    records = [record(n, f"p-{n}", f"t{n}") for n in range(3)]
    one = OneByOne()

    applier(store, recorder.handler()).apply(records, one)

    assert one.handed == [(0, 0), (1, 0), (2, 0)]
    assert [kind for kind, _, _ in recorder.calls] == ["ahead"]
    assert titles(store) == []  # the per-event path (here a stand-in) applies them
