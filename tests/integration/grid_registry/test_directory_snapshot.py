"""Issue 13: ListMembers and GetChain answer from the directory held with the grid set
(handlers/directory_snapshot.py) instead of a transaction per call. The answers are those of
the database, grid by grid and caller by caller; the calls read no table; a membership change
imported elsewhere reaches every replica within the refresh interval, never half-applied. On
SQLite and PostgreSQL."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager

import pytest
from sqlalchemy import event

from gridplus.api.grid.v1 import grid_pb2
from gridplus.grid_registry.domain.demo_workers import DemoMember, demo_places
from gridplus.grid_registry.domain.grids import GridSpec
from gridplus.grid_registry.domain.members import MemberRole
from gridplus.grid_registry.handlers import directory, imports, snapshots
from gridplus.grid_registry.handlers.snapshots import GridSetSnapshot
from gridplus.kit.auth import Role
from gridplus.kit.clock import ManualClock
from gridplus.kit.db import SessionFactory, transaction
from gridplus.kit.errors import NotFound
from gridplus.kit.outbox import Outbox
from gridplus.kit.roles import Principal
from tests.integration.grid_registry.registry import SERVICE, Running, bearer, running_registry
from tests.support.eventually import eventually

pytestmark = pytest.mark.integration

VIEWERS = [
    Principal("dispatch", Role.SERVICE),
    Principal("i-MN05", Role.INSPECTOR),
    Principal("w-MN0502-1", Role.GRID_WORKER, ("MN0502",)),
    Principal("c-MN05", Role.GRID_CHIEF, ("MN05",)),
    Principal("nypd-staff-1", Role.DEPARTMENT_STAFF, department="NYPD"),
]
POLL_SECONDS = 0.3
# The refresh interval, the new version's load, and a shared machine's scheduling.
VISIBLE_WITHIN_SECONDS = 5.0
WORKER_MN0101 = bearer(Role.GRID_WORKER, "w-MN0101-1", ("MN0101",))


def _import(
    sessions: SessionFactory,
    specs: list[GridSpec],
    members: list[DemoMember],
    outbox: Outbox,
    clock: ManualClock,
) -> imports.ImportOutcome:
    with transaction(sessions) as session:
        return imports.import_grid_set(
            session,
            specs,
            members,
            places=demo_places(specs),
            source="test",
            outbox=outbox,
            clock=clock,
        )


def _outcome(answer: Callable[..., object], *args: object, **kwargs: object) -> object:
    """The answer, or the refusal's words: both must be the same from memory and from storage."""
    try:
        return answer(*args, **kwargs)
    except NotFound as refused:
        return ("NOT_FOUND", str(refused))


def test_the_held_directory_answers_what_the_database_does(
    sessions: SessionFactory, demo_specs, demo_members, outbox: Outbox, clock: ManualClock
) -> None:
    _import(sessions, demo_specs, demo_members, outbox, clock)
    with transaction(sessions) as session:
        held = snapshots.load_current(session)
        assert held is not None and held.directory is not None
        bare = GridSetSnapshot(held.version, held.grids, held.locator)
        compared = 0
        for spec in demo_specs:
            for viewer in VIEWERS:
                # One role filter is enough: it is the same filter for every caller.
                for role in (None, MemberRole.GRID_WORKER)[: 2 if viewer is VIEWERS[0] else 1]:
                    asked = {"grid_code": spec.code, "role": role, "viewer": viewer}
                    memory = _outcome(directory.members, None, held, **asked)
                    stored = _outcome(directory.members, session, bare, **asked)
                    assert memory == stored, (spec.code, viewer.subject, role)
                    compared += 1
                if spec.level == 3:
                    asked = {"grid_code": spec.code, "viewer": viewer}
                    memory = _outcome(directory.chain, None, held, **asked)
                    stored = _outcome(directory.chain, session, bare, **asked)
                    assert memory == stored, (spec.code, viewer.subject)
    assert compared == len(demo_specs) * (len(VIEWERS) + 1)
    # Not a comparison of empties: the city's people and places are there, contacts and all.
    everyone = sum(len(found) for found in held.directory.members_by_grid.values())
    assert everyone == len(demo_members) == 2161
    chain = directory.chain(None, held, grid_code="MN0101", viewer=VIEWERS[0])
    assert [len(step.members) > 0 for step in chain] == [True, True, True]
    assert chain[-1].places and all(m.email for m in chain[-1].members)


@contextmanager
def _statements(sessions: SessionFactory) -> Iterator[list[str]]:
    """Every SQL statement run on the sessions' engine meanwhile."""
    engine = sessions.kw["bind"]
    seen: list[str] = []

    def record(conn: object, cursor: object, statement: str, *args: object) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def test_listing_members_and_chains_reads_no_table(registry: Running) -> None:
    registry.current.get()  # the one load of the version (the refresh loop's, or the first call's)
    with _statements(registry.sessions) as seen:
        for _ in range(10):
            listed = registry.stub.ListMembers(
                grid_pb2.ListMembersRequest(grid_code="MN0101"), metadata=SERVICE, timeout=5
            )
            chain = registry.stub.GetChain(
                grid_pb2.GetChainRequest(grid_code="MN0101"), metadata=WORKER_MN0101, timeout=5
            )
    assert [m.person_id for m in listed.members][:2] == ["b-MN0101-1", "c-MN0101"]
    assert [level.grid.code for level in chain.levels] == ["1", "MN01", "MN0101"]
    # Only the refresh loop's look at the newest version, never the directory's tables.
    reads = [s for s in seen if "members" in s.lower() or "places" in s.lower()]
    assert reads == []


def _served(replica: Running) -> tuple[int, list[str]]:
    """(grid-set version, person ids of MN0101) as one GetChain answers them."""
    chain = replica.stub.GetChain(
        grid_pb2.GetChainRequest(grid_code="MN0101"), metadata=SERVICE, timeout=30
    )
    leaf = chain.levels[-1]
    return leaf.grid.grid_set_version, [m.person_id for m in leaf.members]


def test_a_membership_change_reaches_every_replica_within_the_refresh_interval(
    sessions: SessionFactory, demo_specs, demo_members, outbox: Outbox, clock: ManualClock
) -> None:
    _import(sessions, demo_specs, demo_members, outbox, clock)
    with ExitStack() as stack:
        replicas = [
            stack.enter_context(running_registry(sessions, poll_seconds=POLL_SECONDS))
            for _ in range(2)
        ]
        for replica in replicas:
            replica.current.get()  # its first load, which a busy machine may take seconds over
            version, ids = _served(replica)
            assert version == 1 and "w-MN0101-2" in ids and "w-MN0101-9" not in ids
        # w-MN0101-2 leaves MN0101 and w-MN0101-9 joins it, imported by another process.
        moved = [m for m in demo_members if m.person_id != "w-MN0101-2"] + [
            DemoMember("w-MN0101-9", "Nine", "grid_worker", "MN0101", email="w9@example.org")
        ]
        outcome = _import(sessions, demo_specs, moved, outbox, clock)
        committed = time.monotonic()
        assert (outcome.version, outcome.membership_changes) == (2, 2)
        for replica in replicas:

            def changed(replica: Running = replica) -> float | None:
                version, ids = _served(replica)
                # Never half-applied: a version's answer is that version's people.
                assert ("w-MN0101-9" in ids, "w-MN0101-2" in ids) == (
                    (True, False) if version == 2 else (False, True)
                )
                return time.monotonic() - committed if version == 2 else None

            took = eventually(changed, "the new membership served", timeout=10, interval=0.02)
            assert took < VISIBLE_WITHIN_SECONDS
            listed = replica.stub.ListMembers(
                grid_pb2.ListMembersRequest(
                    grid_code="MN0101", role=grid_pb2.MEMBER_ROLE_GRID_WORKER
                ),
                metadata=SERVICE,
                timeout=5,
            )
            assert [m.person_id for m in listed.members] == ["w-MN0101-1", "w-MN0101-9"]
