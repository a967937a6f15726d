"""How soon a caught-up consumer looks again: the first pause after an empty poll and the most it
grows to are the consumer's own (short on the path a resident waits on: 5 ms, at most 50 ms;
others 50 ms, at most 200 ms), doubling while nothing comes; after a batch that left it caught
up, the others wait 50 ms before the next poll and the path's look again at once. A fake broker
client; the real loop."""

from __future__ import annotations

import threading
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from kafka import TopicPartition

from gridplus.kit.clock import SystemClock
from gridplus.kit.config import ConfigError, Env
from gridplus.kit.consumer import DEFAULT_IDLE_PAUSE, PATH_IDLE_PAUSE, EventConsumer, IdlePause
from gridplus.kit.service import ServiceApp


class _QuietBroker:
    """A consumer with one partition and nothing to fetch."""

    def poll(self, timeout_ms: int = 0) -> dict[Any, Any]:
        return {}

    def assignment(self) -> set[TopicPartition]:
        return {TopicPartition("petition.events.v1", 0)}


class _OneBatchBroker(_QuietBroker):
    """One poll returns a record; the last fetch's high-water mark says what is left after it."""

    def __init__(self, left_after: int) -> None:
        self._partition = TopicPartition("petition.events.v1", 0)
        self._left_after = left_after
        self._polls = 0

    def poll(self, timeout_ms: int = 0) -> dict[Any, Any]:
        self._polls += 1
        if self._polls > 1:
            return {}
        return {
            self._partition: [SimpleNamespace(topic="petition.events.v1", partition=0, offset=0)]
        }

    def highwater(self, partition: TopicPartition) -> int:
        return 1 + self._left_after

    def position(self, partition: TopicPartition) -> int:
        return 1

    def commit(self, offsets: Any = None) -> None:
        pass


class _RecordedPauses(threading.Event):
    def __init__(self) -> None:
        super().__init__()
        self.pauses: list[float] = []

    def wait(self, timeout: float | None = None) -> bool:
        self.pauses.append(float(timeout or 0.0))
        return False


def _consumer(**options: Any) -> EventConsumer:
    def unused() -> Any:
        raise AssertionError("the idle loop connects nothing")

    return EventConsumer(
        name="test",
        topics=["petition.events.v1"],
        handlers={},
        sessions=unused,  # type: ignore[arg-type]
        consumer_factory=unused,
        producer_factory=unused,
        clock=SystemClock(),
        **options,
    )


def _pauses(consumer: EventConsumer, polls: int, broker: _QuietBroker | None = None) -> list[float]:
    stop = _RecordedPauses()
    broker = broker or _QuietBroker()
    consumer._apply_records = lambda records, stop: None  # type: ignore[method-assign]
    for _ in range(polls):
        consumer._poll_once(broker, stop)  # type: ignore[arg-type]
    return stop.pauses


def test_a_path_consumer_looks_again_after_5_ms_and_never_waits_more_than_50() -> None:
    pauses = _pauses(_consumer(idle_pause=PATH_IDLE_PAUSE), 7)

    assert pauses == pytest.approx([0.005, 0.01, 0.02, 0.04, 0.05, 0.05, 0.05])


def test_other_consumers_start_at_50_ms_and_back_off_to_200() -> None:
    pauses = _pauses(_consumer(), 4)

    assert IdlePause(0.05, 0.2, after_batch=0.05) == DEFAULT_IDLE_PAUSE
    assert pauses == pytest.approx([0.05, 0.1, 0.2, 0.2])


def test_after_a_batch_that_caught_it_up_a_consumer_waits_50_ms_before_polling_again() -> None:
    pauses = _pauses(_consumer(), 3, _OneBatchBroker(left_after=0))

    # the batch, then 50 ms instead of an at-once poll that would find nothing, then idle
    assert pauses == pytest.approx([0.05, 0.05, 0.1])


def test_a_consumer_still_behind_after_a_batch_polls_again_at_once() -> None:
    pauses = _pauses(_consumer(), 3, _OneBatchBroker(left_after=40))

    assert pauses == pytest.approx([0.05, 0.1])  # only the two empty polls after it paused


def test_a_path_consumer_polls_again_at_once_after_a_batch() -> None:
    pauses = _pauses(_consumer(idle_pause=PATH_IDLE_PAUSE), 3, _OneBatchBroker(left_after=0))

    assert pauses == pytest.approx([0.005, 0.01])


def test_a_pause_of_zero_never_spins_the_poll_loop() -> None:
    pauses = _pauses(_consumer(idle_pause=IdlePause(0.0, 0.0)), 3)

    assert min(pauses) > 0


def _app(tmp_path: Path, **environ: str) -> ServiceApp:
    env = Env(
        {
            "GRIDPLUS_JWT_SECRET": "x" * 32,
            "GRIDPLUS_VAR_DIR": str(tmp_path),
            **environ,
        }
    )
    return ServiceApp("evaluation", area="evaluation", migrations=tmp_path, env=env)


def test_an_operator_sets_both_pauses_in_milliseconds(tmp_path: Path) -> None:
    app = _app(
        tmp_path,
        GRIDPLUS_CONSUMER_FIRST_IDLE_PAUSE_MS="20",
        GRIDPLUS_CONSUMER_MAX_IDLE_PAUSE_MS="60",
    )
    consumer = app.consume(["petition.events.v1"], {})

    assert _pauses(consumer, 3) == pytest.approx([0.02, 0.04, 0.06])


def test_an_operator_turns_the_pause_after_a_batch_off(tmp_path: Path) -> None:
    app = _app(tmp_path, GRIDPLUS_CONSUMER_AFTER_BATCH_PAUSE_MS="0")
    consumer = app.consume(["petition.events.v1"], {})

    assert _pauses(consumer, 2, _OneBatchBroker(left_after=0)) == pytest.approx([0.05])


def test_the_service_s_own_pauses_when_the_operator_sets_none(tmp_path: Path) -> None:
    consumer = _app(tmp_path).consume(["petition.events.v1"], {}, idle_pause=PATH_IDLE_PAUSE)

    assert _pauses(consumer, 5) == pytest.approx([0.005, 0.01, 0.02, 0.04, 0.05])


@pytest.mark.parametrize(
    "name",
    [
        "GRIDPLUS_CONSUMER_FIRST_IDLE_PAUSE_MS",
        "GRIDPLUS_CONSUMER_MAX_IDLE_PAUSE_MS",
        "GRIDPLUS_CONSUMER_AFTER_BATCH_PAUSE_MS",
    ],
)
def test_a_pause_that_is_not_a_number_is_refused_by_name(tmp_path: Path, name: str) -> None:
    app = _app(tmp_path, **{name: "soon"})

    with pytest.raises(ConfigError, match=name):
        app.consume(["petition.events.v1"], {})
