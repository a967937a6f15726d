"""The in-memory directory of a grid-set version (handlers/directory_snapshot.py): ListMembers'
and GetChain's use cases answer from it with no session, keep the stored order, scope what each
caller reads as before, and hand out lists a caller cannot use to change the snapshot."""

from __future__ import annotations

import pytest
import shapely

from gridplus.grid_registry.domain.grids import GridSet, GridSpec
from gridplus.grid_registry.domain.locator import Locator
from gridplus.grid_registry.domain.members import Member, MemberRole
from gridplus.grid_registry.domain.places import Place, PlaceKind
from gridplus.grid_registry.handlers import directory
from gridplus.grid_registry.handlers.directory_snapshot import DirectorySnapshot
from gridplus.grid_registry.handlers.snapshots import GridSetSnapshot
from gridplus.kit.errors import InvalidArgument, NotFound
from gridplus.kit.roles import Principal, Role

SPECS = [
    GridSpec("A", "Grid A", 1, None, shapely.box(0, 0, 1, 1)),
    GridSpec("A1", "Grid A1", 2, "A", shapely.box(0, 0, 1, 1)),
    GridSpec("A11", "Grid A11", 3, "A1", shapely.box(0, 0, 0.5, 1)),
    GridSpec("A12", "Grid A12", 3, "A1", shapely.box(0.5, 0, 1, 1)),
]
HEAD = Member("h-A", "Head A", MemberRole.STREET_CHIEF, "A", email="h@x.org", phone="1")
CHIEF = Member("c-A11", "Chief A11", MemberRole.GRID_CHIEF, "A11", email="c@x.org", phone="2")
# Stored order is role then person: building_chief < grid_chief < grid_worker.
BUILDING = Member("b-A11", "Building A11", MemberRole.BUILDING_CHIEF, "A11", email="b@x.org")
WORKER_1 = Member("w-A11-1", "Worker 1", MemberRole.GRID_WORKER, "A11", email="w1@x.org")
WORKER_2 = Member("w-A11-2", "Worker 2", MemberRole.GRID_WORKER, "A11", email="w2@x.org")
OTHER = Member("w-A12-1", "Worker A12", MemberRole.GRID_WORKER, "A12", email="o@x.org")
HOUSE = Place("P-A11-1", "Building 1", PlaceKind.BUILDING, "A11")
UNIT = Place("P-A11-1-1", "Unit 1", PlaceKind.UNIT, "A11", "P-A11-1")

SERVICE = Principal("dispatch", Role.SERVICE)
WORKER_A12 = Principal("w-A12-1", Role.GRID_WORKER, ("A12",))
INSPECTOR = Principal("i-1", Role.INSPECTOR)


@pytest.fixture
def snapshot() -> GridSetSnapshot:
    grids = GridSet(SPECS)
    held = DirectorySnapshot(
        {
            "A": (HEAD,),
            "A11": (BUILDING, CHIEF, WORKER_1, WORKER_2),
            "A12": (OTHER,),
        },
        {"A11": (HOUSE, UNIT)},
    )
    return GridSetSnapshot(3, grids, Locator.from_grid_set(grids), held)


def test_members_answer_from_memory_in_stored_order(snapshot: GridSetSnapshot) -> None:
    found = directory.members(None, snapshot, grid_code="A11", viewer=SERVICE)
    assert found == [BUILDING, CHIEF, WORKER_1, WORKER_2]
    workers = directory.members(
        None, snapshot, grid_code="A11", role=MemberRole.GRID_WORKER, viewer=SERVICE
    )
    assert workers == [WORKER_1, WORKER_2]
    # A grid of the set with nobody attached, and a role nobody holds: empty, not an error.
    assert directory.members(None, snapshot, grid_code="A1", viewer=SERVICE) == []
    assert (
        directory.members(
            None, snapshot, grid_code="A11", role=MemberRole.VOLUNTEER, viewer=SERVICE
        )
        == []
    )


def test_the_chain_lists_every_level_with_places_on_the_smallest_grid(
    snapshot: GridSetSnapshot,
) -> None:
    steps = directory.chain(None, snapshot, grid_code="A11", viewer=SERVICE)
    assert [step.grid.code for step in steps] == ["A", "A1", "A11"]
    assert [step.members for step in steps] == [[HEAD], [], [BUILDING, CHIEF, WORKER_1, WORKER_2]]
    assert [step.places for step in steps] == [[], [], [HOUSE, UNIT]]


def test_scoping_is_unchanged_contacts_hidden_and_other_grids_not_found(
    snapshot: GridSetSnapshot,
) -> None:
    seen = directory.members(None, snapshot, grid_code="A11", viewer=INSPECTOR)
    assert [(m.person_id, m.email, m.phone) for m in seen] == [
        (m.person_id, "", "") for m in (BUILDING, CHIEF, WORKER_1, WORKER_2)
    ]
    with pytest.raises(NotFound, match="grid 'A11' not found in grid set 3"):
        directory.members(None, snapshot, grid_code="A11", viewer=WORKER_A12)
    with pytest.raises(NotFound, match="grid 'A11' not found in grid set 3"):
        directory.chain(None, snapshot, grid_code="A11", viewer=WORKER_A12)
    with pytest.raises(NotFound, match="grid 'ZZ' not found"):
        directory.members(None, snapshot, grid_code="ZZ", viewer=SERVICE)
    with pytest.raises(InvalidArgument):
        directory.members(None, snapshot, grid_code="", viewer=SERVICE)


def test_a_caller_cannot_change_the_snapshot_through_an_answer(
    snapshot: GridSetSnapshot,
) -> None:
    found = directory.members(None, snapshot, grid_code="A11", viewer=SERVICE)
    found.clear()
    steps = directory.chain(None, snapshot, grid_code="A11", viewer=SERVICE)
    steps[-1].members.clear()
    steps[-1].places.clear()
    again = directory.chain(None, snapshot, grid_code="A11", viewer=SERVICE)
    assert again[-1].members == [BUILDING, CHIEF, WORKER_1, WORKER_2]
    assert again[-1].places == [HOUSE, UNIT]


def test_a_snapshot_without_its_directory_needs_a_session(snapshot: GridSetSnapshot) -> None:
    bare = GridSetSnapshot(snapshot.version, snapshot.grids, snapshot.locator)
    assert directory.needs_session(bare) and not directory.needs_session(snapshot)
    with pytest.raises(ValueError, match="needs a session"):
        directory.members(None, bare, grid_code="A11", viewer=SERVICE)
