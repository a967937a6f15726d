"""A background loop whose database connection is killed (pg_terminate_backend, as in a
failover) is restarted by the runner and carries on; the service keeps running."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import text

from gridplus.kit.db import create_database_engine
from gridplus.kit.runner import ServiceRunner
from tests.support.eventually import eventually
from tests.support.postgres import create_database, drop_database

pytestmark = pytest.mark.integration


def test_a_loop_survives_its_database_connection_being_killed() -> None:
    name, url = create_database("gridplus_runner")
    engine = create_database_engine(f"{url}?application_name=scanner-loop")
    admin = create_database_engine(url)
    runner = ServiceRunner("test", 5.0, restart_backoff=(0.05, 0.5))
    ticks: list[int] = []

    def scanner(stop: threading.Event) -> None:
        # Holds one connection for its life, as a scanner inside a long transaction does.
        with engine.connect() as connection:
            while not stop.wait(0.05):
                ticks.append(int(connection.execute(text("SELECT 1")).scalar_one()))

    thread = threading.Thread(target=runner.supervise("scanner", scanner), daemon=True)
    thread.start()
    try:
        eventually(lambda: len(ticks) >= 3, "the loop runs")
        with admin.connect() as connection:
            killed = connection.execute(
                text(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE application_name = 'scanner-loop'"
                )
            ).scalar_one()
            connection.commit()
        assert killed == 1
        before = len(ticks)
        eventually(lambda: len(ticks) >= before + 3, "the loop runs again after the outage")
        assert not runner.stopping.is_set()
    finally:
        runner.stopping.set()
        thread.join(5)
        engine.dispose()
        admin.dispose()
        drop_database(name)
