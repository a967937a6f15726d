"""An import run by another process reaches a running server within ~2 s; gridctl works on the
same database. On SQLite and PostgreSQL."""

from __future__ import annotations

import time
from dataclasses import replace

import grpc
import pytest

from gridplus.api.grid.v1 import grid_pb2
from gridplus.grid_registry import cli
from gridplus.grid_registry.domain.demo_workers import demo_places
from gridplus.grid_registry.handlers import imports
from gridplus.kit.clock import ManualClock
from gridplus.kit.db import SessionFactory, transaction
from gridplus.kit.outbox import Outbox
from tests.integration.grid_registry.registry import (
    SERVICE,
    TIMES_SQUARE,
    Running,
    run_command,
    running_registry,
    service_env,
)
from tests.support.eventually import eventually

pytestmark = pytest.mark.integration

VISIBLE_WITHIN_SECONDS = 5.0


def locate_times_square(registry: Running) -> grid_pb2.LocateGridResponse:
    lat, lon = TIMES_SQUARE
    return registry.stub.LocateGrid(
        grid_pb2.LocateGridRequest(lat=lat, lon=lon), metadata=SERVICE, timeout=5
    )


def wait_for_version(registry: Running, version: int, since: float) -> float:
    """Seconds from `since` until the server answers from grid set `version`."""

    def served() -> float | None:
        try:
            answered = locate_times_square(registry).grid.grid_set_version
        except grpc.RpcError as error:
            assert error.code() is grpc.StatusCode.UNAVAILABLE, error.details()
            return None
        return time.monotonic() - since if answered == version else None

    return eventually(served, f"grid set version {version} served", timeout=10)


def test_a_load_from_another_process_is_served_within_two_seconds(
    database_url: str,
    sessions: SessionFactory,
    demo_specs,
    demo_members,
    outbox: Outbox,
    clock: ManualClock,
) -> None:
    with running_registry(sessions, poll_seconds=0.5) as registry:
        with pytest.raises(grpc.RpcError) as raised:
            locate_times_square(registry)
        assert raised.value.code() is grpc.StatusCode.UNAVAILABLE
        assert "no grid set has been imported yet" in raised.value.details()

        env = service_env(database_url)
        started = time.monotonic()
        said = run_command("gridplus.grid_registry", "load-demo", env)
        loaded = time.monotonic()
        assert "imported grid set version 1: 338 grids, 2161 members" in said
        # The coverage report names the real exceptions: Marble Hill and Rikers Island.
        assert "outside: 304,926 m² of grid BX08 lies outside its parent 2" in said
        assert "gap: 304,926 m² of grid 1 is covered by none of its children" in said
        visible_after = wait_for_version(registry, 1, loaded)
        print(f"\nload-demo took {loaded - started:.2f} s; served {visible_after:.2f} s later")
        assert visible_after < VISIBLE_WITHIN_SECONDS

        # gridctl on the same database: the data is there already, so nothing changes.
        again = run_command("gridplus.grid_registry.cli", "load-demo", env)
        assert "version 1 already holds the demo data" in again

        # A changed grid set, imported elsewhere, replaces the one being served.
        renamed = [replace(s, name="Times Sq") if s.code == "MN0502" else s for s in demo_specs]
        with transaction(sessions) as session:
            imports.import_grid_set(
                session,
                renamed,
                demo_members,
                places=demo_places(renamed),
                source="test",
                outbox=outbox,
                clock=clock,
            )
        assert wait_for_version(registry, 2, time.monotonic()) < VISIBLE_WITHIN_SECONDS
        named = registry.stub.GetGrid(
            grid_pb2.GetGridRequest(code="MN0502"), metadata=SERVICE, timeout=5
        )
        assert named.grid.name == "Times Sq"


def test_gridctl_locates_and_lists_from_the_database(
    database_url: str,
    sessions: SessionFactory,
    demo_specs,
    demo_members,
    outbox: Outbox,
    clock: ManualClock,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for name, value in service_env(database_url).items():
        monkeypatch.setenv(name, value)
    assert cli.main(["locate", "40.758", "-73.9855"]) == 1
    assert "no grid set has been imported yet" in capsys.readouterr().err

    with transaction(sessions) as session:
        imports.import_grid_set(
            session,
            demo_specs,
            demo_members,
            places=demo_places(demo_specs),
            source="test",
            outbox=outbox,
            clock=clock,
        )
    assert cli.main(["locate", "40.758", "-73.9855"]) == 0
    assert "MN0502  Midtown-Times Square\npath 1 > MN05 > MN0502" in capsys.readouterr().out
    assert cli.main(["locate", "40.571483", "-73.85", "--tolerance", "50"]) == 0
    assert "QN1403" in capsys.readouterr().out
    assert cli.main(["locate", "40.45", "-73.70"]) == 1
    assert "out of jurisdiction" in capsys.readouterr().err
    assert cli.main(["list", "--parent", "5"]) == 0
    listed = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in listed] == ["SI01", "SI02", "SI03", "SI95"]
    assert cli.main(["list", "--level", "1"]) == 0
    assert "Manhattan" in capsys.readouterr().out
