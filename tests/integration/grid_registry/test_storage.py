"""Importing grid sets: versions, idempotent re-import, the outbox event, reading them back."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import func, select

from gridplus.api.events.v1 import events_pb2
from gridplus.api.grid.v1 import grid_pb2
from gridplus.grid_registry.domain.demo_workers import DemoMember, demo_places
from gridplus.grid_registry.domain.grids import GridSpec
from gridplus.grid_registry.domain.members import MemberRole
from gridplus.grid_registry.handlers import directory, grids, imports, snapshots
from gridplus.grid_registry.storage import repository
from gridplus.grid_registry.storage.models import GridSetRow
from gridplus.kit.auth import Principal, Role
from gridplus.kit.clock import ManualClock
from gridplus.kit.db import SessionFactory, transaction
from gridplus.kit.errors import InvalidArgument
from gridplus.kit.outbox import Outbox
from gridplus.kit.tables import outbox_messages
from tests.integration.grid_registry.conftest import IMPORTED_AT

SERVICE = Principal("dispatch", Role.SERVICE)

pytestmark = pytest.mark.integration


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


def _outbox_rows(sessions: SessionFactory) -> list:
    with transaction(sessions) as session:
        return list(session.execute(select(outbox_messages).order_by(outbox_messages.c.id)))


def test_demo_city_import_is_version_1_with_its_event(
    sessions: SessionFactory, demo_specs, demo_members, outbox: Outbox, clock: ManualClock
) -> None:
    outcome = _import(sessions, demo_specs, demo_members, outbox, clock)
    assert (outcome.version, outcome.created, outcome.grid_count) == (1, True, 338)
    assert outcome.member_count == len(demo_members) == 2161
    # The first import announces the set; membership events describe changes between versions.
    assert outcome.membership_changes == 0
    assert outcome.coverage is not None
    assert ("BX08", "2") in [issue.codes for issue in outcome.coverage.issues]
    [row] = _outbox_rows(sessions)
    assert (row.topic, row.key, row.ce_type) == (
        "gridplus.grid.events.v1",
        "grid-set",
        "gridplus.events.v1.GridSetImported",
    )
    event = events_pb2.GridSetImported.FromString(row.payload)
    assert (event.grid_set_version, event.grid_count) == (1, 338)
    assert event.imported_at.ToDatetime().replace(tzinfo=IMPORTED_AT.tzinfo) == IMPORTED_AT
    with transaction(sessions) as session:
        snapshot = snapshots.load_current(session)
        workers = directory.members(
            session, snapshot, grid_code="MN0101", role=MemberRole.GRID_WORKER, viewer=SERVICE
        )
        everyone = directory.members(session, snapshot, grid_code="MN0101", viewer=SERVICE)
    assert snapshot is not None and snapshot.version == 1
    assert [len(snapshot.grids.at_level(level)) for level in (1, 2, 3)] == [5, 71, 262]
    assert snapshot.grids.get("4").name == "Queens"
    assert grids.locate(snapshot, lat=40.758, lon=-73.9855).grid.code == "MN0502"
    assert [m.person_id for m in workers] == ["w-MN0101-1", "w-MN0101-2"]
    assert [(m.person_id, m.role) for m in everyone] == [
        ("b-MN0101-1", MemberRole.BUILDING_CHIEF),
        ("c-MN0101", MemberRole.GRID_CHIEF),
        ("w-MN0101-1", MemberRole.GRID_WORKER),
        ("w-MN0101-2", MemberRole.GRID_WORKER),
        ("s-MN0101", MemberRole.STREET_CHIEF),
        ("u-MN0101-1-1", MemberRole.UNIT_CHIEF),
        ("u-MN0101-1-2", MemberRole.UNIT_CHIEF),
    ]


def test_importing_the_same_data_again_changes_nothing(
    sessions: SessionFactory, demo_specs, demo_members, outbox: Outbox, clock: ManualClock
) -> None:
    first = _import(sessions, demo_specs, demo_members, outbox, clock)
    # Same content in another order, later: still the same grid set.
    again = _import(sessions, demo_specs[::-1], demo_members[::-1], outbox, clock)
    assert again == replace(first, created=False, coverage=None)
    with transaction(sessions) as session:
        assert session.execute(select(func.count()).select_from(GridSetRow)).scalar_one() == 1
    assert len(_outbox_rows(sessions)) == 1


def test_changed_data_becomes_the_next_version(
    sessions: SessionFactory, demo_specs, demo_members, outbox: Outbox, clock: ManualClock
) -> None:
    _import(sessions, demo_specs, demo_members, outbox, clock)
    renamed = [replace(s, name="Times Square") if s.code == "MN0502" else s for s in demo_specs]
    outcome = _import(sessions, renamed, demo_members[:10], outbox, clock)
    assert (outcome.version, outcome.created, outcome.member_count) == (2, True, 10)
    with transaction(sessions) as session:
        current = snapshots.load_current(session)
        previous = repository.get_grid_set(session, version=1)
    assert current is not None and current.grids.get("MN0502").name == "Times Square"
    assert previous.get("MN0502").name == "Midtown-Times Square"
    rows = _outbox_rows(sessions)
    imported = [
        events_pb2.GridSetImported.FromString(r.payload)
        for r in rows
        if r.ce_type == "gridplus.events.v1.GridSetImported"
    ]
    assert [e.grid_set_version for e in imported] == [1, 2]
    # Everyone but the first ten left: one MembershipChanged each, on the grid-set key, in order.
    changes = [
        events_pb2.MembershipChanged.FromString(r.payload)
        for r in rows
        if r.ce_type == "gridplus.events.v1.MembershipChanged"
    ]
    assert outcome.membership_changes == len(changes) == len(demo_members) - 10
    assert all(c.removed for c in changes)
    assert {r.key for r in rows} == {"grid-set"}
    gone = next(c for c in changes if c.person_id == "w-MN0101-1")
    assert (gone.grid_code, gone.role) == ("MN0101", grid_pb2.MEMBER_ROLE_GRID_WORKER)


def test_a_bad_member_refuses_the_whole_import(
    sessions: SessionFactory, demo_specs, demo_members, outbox: Outbox, clock: ManualClock
) -> None:
    stray = DemoMember("w-XX-1", "Nobody", "grid_worker", "XX0101")
    with pytest.raises(InvalidArgument, match="XX0101") as raised:
        _import(sessions, demo_specs, [*demo_members, stray], outbox, clock)
    assert raised.value.violations[0].field == "members[w-XX-1]"
    with transaction(sessions) as session:
        assert repository.current_version(session) is None
    assert _outbox_rows(sessions) == []
