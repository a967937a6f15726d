"""The service runner keeps background loops alive through a database outage (a restart after a
pause) and still stops the service on any other failure."""

from __future__ import annotations

import threading

from sqlalchemy.exc import IntegrityError, OperationalError

from gridplus.kit.runner import ServiceRunner, is_database_outage


def outage() -> OperationalError:
    return OperationalError("SELECT 1", {}, Exception("server closed the connection"))


def test_a_loop_that_loses_the_database_is_restarted_and_the_service_keeps_running() -> None:
    runner = ServiceRunner("test", 5.0, restart_backoff=(0.01, 0.05))
    calls: list[int] = []
    back = threading.Event()

    def loop(stop: threading.Event) -> None:
        calls.append(1)
        if len(calls) < 3:
            raise outage()
        back.set()
        stop.wait()

    thread = threading.Thread(target=runner.supervise("scanner", loop), daemon=True)
    thread.start()
    assert back.wait(5), "the loop was not restarted"
    assert len(calls) == 3
    assert not runner.stopping.is_set()
    runner.stopping.set()
    thread.join(5)
    assert not thread.is_alive()


def test_any_other_failure_stops_the_service() -> None:
    runner = ServiceRunner("test", 5.0, restart_backoff=(0.01, 0.05))

    def loop(stop: threading.Event) -> None:
        raise ValueError("a bug")

    runner.supervise("scanner", loop)()
    assert runner.stopping.is_set()


def test_a_stop_during_the_pause_ends_the_loop_without_restarting_it() -> None:
    runner = ServiceRunner("test", 5.0, restart_backoff=(30.0, 30.0))
    calls: list[int] = []

    def loop(stop: threading.Event) -> None:
        calls.append(1)
        raise outage()

    thread = threading.Thread(target=runner.supervise("scanner", loop), daemon=True)
    thread.start()
    runner.stopping.set()
    thread.join(5)
    assert not thread.is_alive() and calls == [1]


def test_what_counts_as_a_database_outage() -> None:
    assert is_database_outage(outage())
    assert not is_database_outage(IntegrityError("INSERT", {}, Exception("duplicate key")))
    assert not is_database_outage(ValueError("a bug"))
