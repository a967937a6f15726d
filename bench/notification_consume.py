"""Notification's consumer path in one process (issue 13): N PetitionAssigned events applied by
notification's real handlers (messaging/consumers.py) through the kit's BatchApplier, as the
service's consumer applies a poll of one partition, without the broker. Grid-registry and
petition are the integration tests' contract servers (tests/integration/notification/servers.py)
behind the kit's gRPC server with the service's token, in a child process, so this process's
CPU is notification's (the client side of each call included). Tracing is configured as the
service configures it (no exporter). The city: 200 level-3 grids under 20 level-2 and 5 level-1
grids, each with a chief, workers and a department's staff; each event assigns a petition in one
of them to a worker, and each petition has one reporter (a phone, as residents leave). Channels
as the stack runs them (no SMTP, no SMS gateway: inbox only). A warm-up of one event per grid
first; then CPU ms per event, best of the rounds.

    python -m bench.notification_consume [--db sqlite|postgresql|both] [-n 1000] [--rounds 3]
        [--batch 20] [--uncached]

`--uncached` leaves out the grid cache (handlers/grid_cache.py), as the service ran before it.
"""

from __future__ import annotations

import argparse
import multiprocessing
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from multiprocessing.connection import Connection
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from sqlalchemy import func, select

from gridplus.api.common.v1 import common_pb2
from gridplus.api.events.v1 import events_pb2
from gridplus.kit.auth import ServiceToken
from gridplus.kit.batch import BatchApplier
from gridplus.kit.clock import SystemClock
from gridplus.kit.config import JwtSettings
from gridplus.kit.db import transaction
from gridplus.kit.events import encode_headers
from gridplus.kit.grpc_client import service_channel
from gridplus.kit.pii import KeyRing
from gridplus.kit.tracing import configure_tracing
from gridplus.notification.clients import GrpcDirectory
from gridplus.notification.domain.rules import ChannelPolicy
from gridplus.notification.handlers.grid_cache import CachedDirectory
from gridplus.notification.handlers.notices import Notifier
from gridplus.notification.handlers.reporters_ahead import ReportersAhead
from gridplus.notification.messaging.consumers import handlers
from gridplus.notification.storage.models import InboxItem
from tests.support.store import migrated_store
from tools.scaled_stack import drop_database, ensure_database

ROOT = Path(__file__).resolve().parents[1]
MIGRATIONS = ROOT / "services/gridplus/notification/storage/alembic"
JWT = JwtSettings("bench-secret-bench-secret-bench-secret", "gridplus")
KEYS = KeyRing([("bench", bytes(range(32)))])
LEVEL1, LEVEL2_EACH, LEVEL3_EACH = 5, 4, 10
CONSUMER = "notification"


def level3_codes() -> list[str]:
    return [
        f"G{a}-{b}-{c}"
        for a in range(LEVEL1)
        for b in range(LEVEL2_EACH)
        for c in range(LEVEL3_EACH)
    ]


# -- grid-registry and petition, in a child process ----------------------------------------------


def _servers(pipe: Connection) -> None:
    """Serve both contracts until asked to stop; then send the calls each method got and the
    child's CPU seconds."""
    from gridplus.api.grid.v1 import grid_pb2, grid_pb2_grpc
    from gridplus.api.petition.v1 import petition_pb2, petition_pb2_grpc
    from tests.integration.notification.servers import (
        GRID_POLICY,
        GRID_SERVICE,
        PETITION_POLICY,
        PETITION_SERVICE,
        ContractGridRegistry,
        ContractPetition,
        Org,
    )
    from tests.support.grpc import start_server

    parents: dict[str, str] = {}
    members: list[grid_pb2.Member] = []
    role = grid_pb2  # the MemberRole values

    def add(person: str, grid: str, kind: int, department: str = "") -> None:
        members.append(
            grid_pb2.Member(
                person_id=person,
                display_name=person,
                role=kind,  # type: ignore[arg-type]
                grid_code=grid,
                email=f"{person}@gov.example",
                phone="13900000000",
                department_code=department,
            )
        )

    for a in range(LEVEL1):
        top = f"G{a}"
        parents[top] = ""
        add(f"chief-{top}", top, role.MEMBER_ROLE_GRID_CHIEF)
        add(f"roads-head-{top}", top, role.MEMBER_ROLE_DEPARTMENT_HEAD, "roads")
        for b in range(LEVEL2_EACH):
            middle = f"{top}-{b}"
            parents[middle] = top
            add(f"chief-{middle}", middle, role.MEMBER_ROLE_GRID_CHIEF)
            for c in range(LEVEL3_EACH):
                code = f"{middle}-{c}"
                parents[code] = middle
                add(f"chief-{code}", code, role.MEMBER_ROLE_GRID_CHIEF)
                for w in range(3):
                    add(f"worker-{code}-{w}", code, role.MEMBER_ROLE_GRID_WORKER)
                add(f"roads-{code}", code, role.MEMBER_ROLE_DEPARTMENT_STAFF, "roads")
    org = Org(parents=parents, members=members)

    class Reporters(ContractPetition):
        """Every petition has one reporter, reachable by phone."""

        def __init__(self, org: Org) -> None:
            super().__init__(org)

        def GetReporterContacts(self, request: Any, context: Any) -> Any:
            self.calls["GetReporterContacts"] += 1
            return petition_pb2.GetReporterContactsResponse(
                contacts=[reporter_of(request.petition_id)]
            )

        def BatchGetReporterContacts(self, request: Any, context: Any) -> Any:
            self.calls["BatchGetReporterContacts"] += 1
            found = [
                petition_pb2.PetitionReporterContacts(
                    petition_id=petition_id, contacts=[reporter_of(petition_id)]
                )
                for petition_id in dict.fromkeys(request.petition_ids)
            ]
            return petition_pb2.BatchGetReporterContactsResponse(petitions=found)

    def reporter_of(petition_id: str) -> Any:
        return petition_pb2.ReporterContact(reporter_id=f"res-{petition_id}", phone="13812341234")

    grid_servicer = ContractGridRegistry(org)
    petition_servicer = Reporters(org)
    grid = start_server(
        lambda s: grid_pb2_grpc.add_GridRegistryServiceServicer_to_server(grid_servicer, s),
        GRID_SERVICE,
        GRID_POLICY,
        jwt=JWT,
    )
    petition = start_server(
        lambda s: petition_pb2_grpc.add_PetitionServiceServicer_to_server(petition_servicer, s),
        PETITION_SERVICE,
        PETITION_POLICY,
        jwt=JWT,
    )
    pipe.send((grid.port, petition.port))
    while pipe.recv() == "calls":
        calls = Counter(grid_servicer.calls) + petition_servicer.calls
        pipe.send((dict(calls), time.process_time()))
    grid.stop(0).wait(5)
    petition.stop(0).wait(5)


@contextmanager
def servers() -> Iterator[tuple[int, int, Connection]]:
    ours, theirs = multiprocessing.Pipe()
    child = multiprocessing.get_context("spawn").Process(
        target=_servers, args=(theirs,), daemon=True
    )
    child.start()
    try:
        grid_port, petition_port = ours.recv()
        yield grid_port, petition_port, ours
    finally:
        ours.send("stop")
        child.join(10)
        if child.is_alive():
            child.kill()


def asked(pipe: Connection) -> tuple[Counter[str], float]:
    pipe.send("calls")
    calls, cpu = pipe.recv()
    return Counter(calls), cpu


# -- the events --------------------------------------------------------------------------------


def records(count: int, first_offset: int, grids: list[str]) -> list[Any]:
    """`count` PetitionAssigned records of distinct petitions, as a partition's poll holds them."""
    now = datetime.now(UTC)
    found = []
    for n in range(count):
        code = grids[(first_offset + n) % len(grids)]
        petition_id = f"p-{uuid.uuid4().hex[:12]}"
        top, middle = code.split("-")[0], code.rsplit("-", 1)[0]
        payload = events_pb2.PetitionAssigned(
            petition_id=petition_id,
            grid=common_pb2.GridRef(
                code=code, level=3, path=[top, middle, code], grid_set_version=1
            ),
            assignee_id=f"worker-{code}-{n % 3}",
            category="road.manhole",
            reasons=[f"point lies in {code}"],
        )
        payload.assigned_at.FromDatetime(now)
        payload.deadline.FromDatetime(now + timedelta(days=3))
        headers = encode_headers(
            event_id=str(uuid.uuid4()),
            ce_type=payload.DESCRIPTOR.full_name,
            source="/gridplus/dispatch",
            time=now,
            traceparent=None,
        )
        found.append(
            SimpleNamespace(
                key=petition_id.encode(),
                value=payload.SerializeToString(),
                headers=headers,
                topic="gridplus.dispatch.events.v1",
                partition=0,
                offset=first_offset + n,
            )
        )
    return found


def one_by_one(record: Any, attempts: int) -> bool:
    raise RuntimeError(f"record {record.offset} left its batch (attempts {attempts})")


# -- a run -------------------------------------------------------------------------------------


def run(
    database_url: str, n: int, rounds: int, batch: int, uncached: bool
) -> list[tuple[float, float]]:
    """(CPU, wall) ms per event of each round; the wall time is the consumer thread's pace
    (on PostgreSQL it includes waiting for each statement's answer)."""
    """CPU ms per event of each round of `n` events, after one warm-up event per grid."""
    grids = level3_codes()
    with (
        servers() as (grid_port, petition_port, pipe),
        migrated_store(database_url, MIGRATIONS) as store,
    ):
        token = ServiceToken(JWT, "notification")
        grid_channel = service_channel(f"127.0.0.1:{grid_port}", token)
        petition_channel = service_channel(f"127.0.0.1:{petition_port}", token)
        remote = GrpcDirectory(grid_channel, petition_channel)
        # As __main__ wires it; `uncached`: every event asks grid-registry (before the cache).
        directory = None if uncached else CachedDirectory(remote)
        clock = SystemClock()
        reporters = ReportersAhead(directory or remote)  # a poll's reporters in one call
        notifier = Notifier(reporters, ChannelPolicy(), clock, keys=KEYS)
        applier = BatchApplier(
            name=CONSUMER,
            handlers=handlers(notifier, grid_events=directory, reporters_ahead=reporters),
            sessions=store.sessions,
            clock=clock,
            after_commit=lambda: None,
        )

        def apply_all(polled: list[Any]) -> None:
            for start in range(0, len(polled), batch):
                assert applier.apply(polled[start : start + batch], one_by_one) is None

        offset = 0
        apply_all(records(len(grids), offset, grids))
        offset += len(grids)
        figures: list[tuple[float, float]] = []
        for _ in range(rounds):
            polled = records(n, offset, grids)
            offset += n
            calls_before, server_before = asked(pipe)
            started, wall_started = time.process_time(), time.perf_counter()
            apply_all(polled)
            used, wall = time.process_time() - started, time.perf_counter() - wall_started
            figures.append((used * 1000 / n, wall * 1000 / n))
            calls_after, server_after = asked(pipe)
        per_event = {k: v / n for k, v in (calls_after - calls_before).items()}
        print(
            f"  last round: calls per event {per_event};"
            f" servers' CPU {(server_after - server_before) * 1000 / n:.2f} ms/event"
        )
        with transaction(store.sessions) as session:
            items = session.execute(select(func.count()).select_from(InboxItem)).scalar_one()
        print(f"  inbox items: {items} for {offset} events")
        grid_channel.close()
        petition_channel.close()
        return figures


@contextmanager
def scratch_url(db: str) -> Iterator[str]:
    if db != "postgresql":
        with tempfile.TemporaryDirectory() as tmp:
            yield f"sqlite:///{tmp}/notification.db"
        return
    name = f"gridplus_bench_notification_{uuid.uuid4().hex[:8]}"
    try:
        yield ensure_database(name)
    finally:
        drop_database(name)


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.notification_consume", description=__doc__
    )
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("-n", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--batch", type=int, default=20, help="records per poll of a partition")
    parser.add_argument(
        "--uncached", action="store_true", help="no grid cache: GetChain for every event"
    )
    args = parser.parse_args()
    configure_tracing("notification")  # as the service does (no exporter: OTEL_... unset)
    kinds = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    for kind in kinds:
        with scratch_url(kind) as url:
            figures = run(url, args.n, args.rounds, args.batch, args.uncached)
        cpu = ", ".join(f"{c:.2f}" for c, _ in figures)
        wall = ", ".join(f"{w:.2f}" for _, w in figures)
        print(
            f"{kind}: {args.n} PetitionAssigned x {args.rounds}, batches of {args.batch}:"
            f" CPU ms/event {cpu}; best {min(c for c, _ in figures):.2f};"
            f" wall ms/event {wall}; best {min(w for _, w in figures):.2f}"
        )


if __name__ == "__main__":
    main()
