"""How soon a caught-up consumer looks again: the first pause after an empty poll is the
consumer's own (short on the path a resident waits on), doubling to 0.2 s while nothing comes,
and back to the first pause after events arrive. A fake broker client; the real loop."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from kafka import TopicPartition

from gridplus.kit.clock import SystemClock
from gridplus.kit.config import ConfigError, Env
from gridplus.kit.consumer import (
    DEFAULT_FIRST_IDLE_PAUSE_SECONDS,
    SHORT_FIRST_IDLE_PAUSE_SECONDS,
    EventConsumer,
)
from gridplus.kit.service import ServiceApp


class _QuietBroker:
    """A consumer with one partition and nothing to fetch."""

    def poll(self, timeout_ms: int = 0) -> dict[Any, Any]:
        return {}

    def assignment(self) -> set[TopicPartition]:
        return {TopicPartition("petition.events.v1", 0)}


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


def _pauses(consumer: EventConsumer, polls: int) -> list[float]:
    stop = _RecordedPauses()
    broker = _QuietBroker()
    for _ in range(polls):
        consumer._poll_once(broker, stop)  # type: ignore[arg-type]
    return stop.pauses


def test_a_path_consumer_looks_again_after_5_ms_then_backs_off_to_200_ms() -> None:
    pauses = _pauses(_consumer(first_idle_pause_seconds=SHORT_FIRST_IDLE_PAUSE_SECONDS), 9)

    assert pauses == pytest.approx([0.005, 0.01, 0.02, 0.04, 0.08, 0.16, 0.2, 0.2, 0.2])


def test_other_consumers_keep_the_50_ms_first_pause() -> None:
    pauses = _pauses(_consumer(), 4)

    assert DEFAULT_FIRST_IDLE_PAUSE_SECONDS == 0.05
    assert pauses == pytest.approx([0.05, 0.1, 0.2, 0.2])


def test_a_first_pause_of_zero_never_spins_the_poll_loop() -> None:
    pauses = _pauses(_consumer(first_idle_pause_seconds=0.0), 3)

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


def test_an_operator_sets_the_first_pause_in_milliseconds(tmp_path: Path) -> None:
    app = _app(tmp_path, GRIDPLUS_CONSUMER_FIRST_IDLE_PAUSE_MS="20")
    consumer = app.consume(["petition.events.v1"], {})

    assert _pauses(consumer, 2) == pytest.approx([0.02, 0.04])


def test_the_service_s_own_first_pause_when_the_operator_sets_none(tmp_path: Path) -> None:
    consumer = _app(tmp_path).consume(
        ["petition.events.v1"], {}, first_idle_pause_seconds=SHORT_FIRST_IDLE_PAUSE_SECONDS
    )

    assert _pauses(consumer, 1) == pytest.approx([0.005])


def test_a_first_pause_that_is_not_a_number_is_refused_by_name(tmp_path: Path) -> None:
    app = _app(tmp_path, GRIDPLUS_CONSUMER_FIRST_IDLE_PAUSE_MS="soon")

    with pytest.raises(ConfigError, match="GRIDPLUS_CONSUMER_FIRST_IDLE_PAUSE_MS"):
        app.consume(["petition.events.v1"], {})
