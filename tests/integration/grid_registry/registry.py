"""A grid-registry server for tests: the real servicer in the real kit GrpcServer, real JWTs."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import grpc

from gridplus.api.grid.v1 import grid_pb2_grpc
from gridplus.grid_registry.api.grpc import POLICY, SERVICE_NAME, GridRegistryServicer
from gridplus.grid_registry.handlers.snapshots import GridSetSnapshot, grid_sets
from gridplus.kit.auth import Role, mint_token
from gridplus.kit.config import JwtSettings
from gridplus.kit.db import SessionFactory
from gridplus.kit.snapshot import Snapshot
from tests.conftest import JWT_SECRET
from tests.support.grpc import serving
from tests.support.postgres import create_database

ROOT = Path(__file__).resolve().parents[3]
JWT = JwtSettings(JWT_SECRET, "gridplus")
TIMES_SQUARE = (40.758, -73.9855)
ATLANTIC_OCEAN = (40.45, -73.70)
ROCKAWAY_10M_OUT = (40.571483, -73.85)

Metadata = tuple[tuple[str, str]]


def bearer(
    role: Role, subject: str, grid_codes: tuple[str, ...] = (), department: str | None = None
) -> Metadata:
    token = mint_token(
        JWT, subject=subject, role=role, grid_codes=grid_codes, department=department
    )
    return (("authorization", f"Bearer {token}"),)


RESIDENT = bearer(Role.RESIDENT, "r-1")
WORKER = bearer(Role.GRID_WORKER, "w-MN0101-1", ("MN0101",))
SERVICE = bearer(Role.SERVICE, "petition")


def database(kind: str, tmp: Path) -> tuple[str, str | None]:
    """A URL for a fresh "sqlite" or "postgresql" database, and the PostgreSQL name to drop."""
    if kind == "sqlite":
        return f"sqlite:///{tmp}/grid_registry.db", None
    name, url = create_database("gridplus_test")
    return url, name


@dataclass
class Running:
    stub: grid_pb2_grpc.GridRegistryServiceStub
    sessions: SessionFactory
    current: Snapshot[GridSetSnapshot]


@contextmanager
def running_registry(sessions: SessionFactory, *, poll_seconds: float) -> Iterator[Running]:
    """The servicer in a real GrpcServer on a free port, with its refresh loop running."""
    current = grid_sets(sessions, poll_seconds=poll_seconds)
    servicer = GridRegistryServicer(current, sessions)

    def register(server: grpc.Server) -> None:
        grid_pb2_grpc.add_GridRegistryServiceServicer_to_server(servicer, server)

    stop = threading.Event()
    loop = threading.Thread(target=current.run, args=(stop,), daemon=True)
    with serving(register, SERVICE_NAME, POLICY, jwt=JWT, grace_seconds=1) as channel:
        loop.start()
        try:
            yield Running(grid_pb2_grpc.GridRegistryServiceStub(channel), sessions, current)
        finally:
            stop.set()
            loop.join(5)


def service_env(database_url: str, **extra: str) -> dict[str, str]:
    """Environment for a grid-registry process of this checkout on `database_url`."""
    return {
        **os.environ,
        "PYTHONPATH": str(ROOT / "services"),
        "GRIDPLUS_GRID_REGISTRY_DATABASE_URL": database_url,
        "GRIDPLUS_JWT_SECRET": JWT_SECRET,
        "GRIDPLUS_LOG_LEVEL": "WARNING",
        **extra,
    }


def run_command(module: str, command: str, env: dict[str, str]) -> str:
    """Run `python -m <module> <command>` to completion; its stdout."""
    done = subprocess.run(
        [sys.executable, "-m", module, command],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout
