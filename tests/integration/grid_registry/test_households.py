"""Issue 16: households and the care register over real gRPC with real tokens, on SQLite and
PostgreSQL — who reads them in full, masked or not at all, the care access log, events through
the outbox, request ids, and bad input that names its field and changes nothing."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass

import grpc
import pytest
from sqlalchemy import func, select

from gridplus.api.events.v1 import events_pb2
from gridplus.api.grid.v1 import grid_pb2, grid_pb2_grpc, households_pb2, households_pb2_grpc
from gridplus.grid_registry.api import households as household_api
from gridplus.grid_registry.api.grpc import POLICY, GridRegistryServicer
from gridplus.grid_registry.config import DEFAULT_CARE_GROUPS
from gridplus.grid_registry.domain.demo_workers import DemoMember, demo_places
from gridplus.grid_registry.domain.grids import GridSpec
from gridplus.grid_registry.handlers import imports
from gridplus.grid_registry.handlers.households import HouseholdDeps
from gridplus.grid_registry.handlers.snapshots import grid_sets
from gridplus.grid_registry.storage import MIGRATIONS
from gridplus.grid_registry.storage.households import Sealing
from gridplus.grid_registry.storage.models import CareAccessRow, HouseholdRow
from gridplus.grid_registry.storage.seed_files import read_care_groups
from gridplus.kit.auth import Role
from gridplus.kit.clock import ManualClock
from gridplus.kit.db import (
    SessionFactory,
    create_database_engine,
    create_session_factory,
    transaction,
)
from gridplus.kit.migrations import migrate
from gridplus.kit.outbox import Outbox
from gridplus.kit.pii import KeyRing
from gridplus.kit.tables import outbox_messages
from gridplus.kit.topology import events_topic
from tests.integration.grid_registry.conftest import IMPORTED_AT
from tests.integration.grid_registry.registry import JWT, Metadata, bearer, database
from tests.support.grpc import start_server
from tests.support.postgres import drop_database

pytestmark = pytest.mark.integration

WORKER = bearer(Role.GRID_WORKER, "w-MN0101-1", ("MN0101",))
OTHER_WORKER = bearer(Role.GRID_WORKER, "w-MN0502-1", ("MN0502",))
CHIEF_MN01 = bearer(Role.GRID_CHIEF, "c-MN01", ("MN01",))
CHIEF_BK06 = bearer(Role.GRID_CHIEF, "c-BK06", ("BK06",))
INSPECTOR = bearer(Role.INSPECTOR, "i-MN01")
ADMIN = bearer(Role.ADMIN, "admin-1")
SERVICE = bearer(Role.SERVICE, "dispatch")
RESIDENT = bearer(Role.RESIDENT, "r-1")
DEPARTMENT = bearer(Role.DEPARTMENT_STAFF, "nypd-staff-1", department="NYPD")

NAME, PHONE, ID_NUMBER = "王秀英", "13812345678", "110101194501011234"
ADDRESS, UNIT = "Manhattan, 120 Broadway", "3-201"
SECRETS = [NAME, PHONE, ID_NUMBER, ADDRESS, "120 Broadway", "194501011234"]
PLACE = "MN0101-B1-U1"


@dataclass
class World:
    grid: grid_pb2_grpc.GridRegistryServiceStub
    households: households_pb2_grpc.HouseholdServiceStub
    sessions: SessionFactory
    url: str


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def world(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    demo_specs: list[GridSpec],
    demo_members: list[DemoMember],
) -> Iterator[World]:
    url, pg_name = database(request.param, tmp_path_factory.mktemp("households"))
    engine = create_database_engine(url)
    migrate(engine, MIGRATIONS)
    sessions = create_session_factory(engine)
    clock = ManualClock(IMPORTED_AT)
    outbox = Outbox(topic=events_topic("grid"), source="/test", clock=clock)
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
    current = grid_sets(sessions, poll_seconds=0.2)
    deps = HouseholdDeps(
        sealing=Sealing(KeyRing([("k1", os.urandom(32))]), os.urandom(32)),
        care_groups=read_care_groups(DEFAULT_CARE_GROUPS),
        outbox=outbox,
        clock=clock,
    )
    grid_servicer = GridRegistryServicer(current, sessions)
    household_servicer = household_api.HouseholdServicer(current, sessions, deps)

    def register(server: grpc.Server) -> None:
        grid_pb2_grpc.add_GridRegistryServiceServicer_to_server(grid_servicer, server)
        households_pb2_grpc.add_HouseholdServiceServicer_to_server(household_servicer, server)

    policy = {**POLICY, **household_api.POLICY}
    server = start_server(register, household_api.SERVICE_NAME, policy, jwt=JWT)
    channel = grpc.insecure_channel(f"127.0.0.1:{server.port}")
    stop = threading.Event()
    loop = threading.Thread(target=current.run, args=(stop,), daemon=True)
    loop.start()
    try:
        yield World(
            grid_pb2_grpc.GridRegistryServiceStub(channel),
            households_pb2_grpc.HouseholdServiceStub(channel),
            sessions,
            url,
        )
    finally:
        stop.set()
        loop.join(5)
        channel.close()
        server.stop(0).wait(5)
        engine.dispose()
        if pg_name:
            drop_database(pg_name)


def household(
    *, care: tuple[str, ...] = ("ELDERLY_ALONE",), place: str = PLACE
) -> households_pb2.Household:
    return households_pb2.Household(
        place_code=place,
        address=ADDRESS,
        unit=UNIT,
        members=[
            households_pb2.HouseholdMember(
                name=NAME, phone=PHONE, id_number="", birth_year=1945, care_groups=list(care)
            ),
            households_pb2.HouseholdMember(name="李四", phone="13900001111", birth_year=1980),
        ],
    )


def register(
    world: World, value: households_pb2.Household, caller: Metadata = WORKER, request_id: str = ""
) -> households_pb2.Household:
    return world.households.RegisterHousehold(
        households_pb2.RegisterHouseholdRequest(request_id=request_id, household=value),
        metadata=caller,
        timeout=10,
    ).household


def get(
    world: World, household_id: str, caller: Metadata, reason: str = "care visit"
) -> households_pb2.Household:
    return world.households.GetHousehold(
        households_pb2.GetHouseholdRequest(household_id=household_id, reason=reason),
        metadata=caller,
        timeout=10,
    ).household


def refused(call: object) -> grpc.StatusCode:
    with pytest.raises(grpc.RpcError) as error:
        call()  # type: ignore[operator]
    return error.value.code()


def events_of(world: World, household_id: str) -> list[events_pb2.HouseholdChanged]:
    with transaction(world.sessions) as session:
        rows = session.execute(
            select(outbox_messages.c.payload, outbox_messages.c.ce_type, outbox_messages.c.topic)
            .where(outbox_messages.c.key == household_id)
            .order_by(outbox_messages.c.id)
        ).all()
    assert all(row.ce_type == "gridplus.events.v1.HouseholdChanged" for row in rows)
    assert all(row.topic == "gridplus.grid.events.v1" for row in rows)
    return [events_pb2.HouseholdChanged.FromString(row.payload) for row in rows]


def count(world: World, table: type) -> int:
    with transaction(world.sessions) as session:
        return int(session.scalar(select(func.count()).select_from(table)) or 0)


def test_the_households_grid_staff_read_it_in_full_others_masked_or_not_at_all(
    world: World,
) -> None:
    value = household()
    value.members[0].id_number = ID_NUMBER
    made = register(world, value)
    assert made.household_id and made.grid_code == "MN0101" and not made.masked
    assert made.members[0].name == NAME and made.members[0].id_number_tail == "1234"
    assert made.has_care_members and made.members[0].care_groups == ["ELDERLY_ALONE"]
    hid = made.household_id

    for caller in (WORKER, CHIEF_MN01, ADMIN):
        full = get(world, hid, caller)
        assert not full.masked and full.members[0].phone == PHONE and full.address == ADDRESS
    for caller in (INSPECTOR, SERVICE):
        seen = get(world, hid, caller)
        assert (
            seen.masked
            and seen.members[0].name == "王**"
            and seen.members[0].phone == "138****5678"
        )
        assert (
            seen.unit == "***"
            and ADDRESS not in seen.address
            and seen.members[0].id_number_tail == ""
        )
        assert seen.members[0].care_groups == ["ELDERLY_ALONE"]
    # Another grid's worker and chief: as if it did not exist. Residents, departments: refused.
    assert refused(lambda: get(world, hid, OTHER_WORKER)) is grpc.StatusCode.NOT_FOUND
    assert refused(lambda: get(world, hid, CHIEF_BK06)) is grpc.StatusCode.NOT_FOUND
    assert refused(lambda: get(world, "no-such-household", WORKER)) is grpc.StatusCode.NOT_FOUND
    assert refused(lambda: get(world, hid, RESIDENT)) is grpc.StatusCode.PERMISSION_DENIED
    assert refused(lambda: get(world, hid, DEPARTMENT)) is grpc.StatusCode.PERMISSION_DENIED
    # Another grid's worker cannot register under this grid's place either.
    assert refused(lambda: register(world, household(), OTHER_WORKER)) is grpc.StatusCode.NOT_FOUND


def test_each_staff_read_of_a_care_record_needs_a_reason_and_is_logged(world: World) -> None:
    hid = register(world, household()).household_id
    plain = register(world, household(care=())).household_id
    before = count(world, CareAccessRow)
    with pytest.raises(grpc.RpcError) as error:
        get(world, hid, WORKER, reason="")
    assert error.value.code() is grpc.StatusCode.INVALID_ARGUMENT and "reason" in str(
        error.value.details()
    )
    assert count(world, CareAccessRow) == before
    get(world, hid, WORKER, reason="weekly care visit")
    get(world, hid, INSPECTOR, reason="spot check")
    get(world, hid, SERVICE, reason="")  # a service reads masked ids for its own work: no row
    get(world, plain, WORKER, reason="")  # no care member: nothing to log
    assert count(world, CareAccessRow) == before + 2

    listed = world.households.ListCareAccessLog(
        households_pb2.ListCareAccessLogRequest(grid_code="MN0101", page_size=2),
        metadata=INSPECTOR,
        timeout=10,
    )
    newest = listed.entries[0]
    assert (newest.actor_id, newest.actor_role, newest.household_id) == ("i-MN01", "inspector", hid)
    assert newest.reason == "spot check" and newest.grid_code == "MN0101"
    assert listed.entries[1].reason == "weekly care visit" and listed.next_page_token
    own = world.households.ListCareAccessLog(
        households_pb2.ListCareAccessLogRequest(), metadata=CHIEF_MN01, timeout=10
    )
    assert {entry.grid_code for entry in own.entries} == {"MN0101"}
    other = world.households.ListCareAccessLog(
        households_pb2.ListCareAccessLogRequest(), metadata=CHIEF_BK06, timeout=10
    )
    assert list(other.entries) == []
    assert (
        refused(
            lambda: world.households.ListCareAccessLog(
                households_pb2.ListCareAccessLogRequest(grid_code="MN0101"), metadata=CHIEF_BK06
            )
        )
        is grpc.StatusCode.NOT_FOUND
    )
    assert (
        refused(
            lambda: world.households.ListCareAccessLog(
                households_pb2.ListCareAccessLogRequest(), metadata=WORKER
            )
        )
        is grpc.StatusCode.PERMISSION_DENIED
    )


def test_changes_publish_household_changed_without_personal_data(world: World) -> None:
    made = register(world, household())
    hid = made.household_id
    elderly = made.members[0].member_id
    changed = households_pb2.Household(household_id=hid)
    changed.CopyFrom(made)
    changed.members[0].care_groups.append("DISABLED")
    del changed.members[1]
    changed.members.add(name="赵六", birth_year=2015, care_groups=["LEFT_BEHIND_CHILD"])
    updated = world.households.UpdateHousehold(
        households_pb2.UpdateHouseholdRequest(request_id="u-1", household=changed),
        metadata=WORKER,
        timeout=10,
    ).household
    assert updated.members[0].member_id == elderly and len(updated.members) == 2
    world.households.RemoveHousehold(
        households_pb2.RemoveHouseholdRequest(
            request_id="r-1", household_id=hid, reason="moved away"
        ),
        metadata=WORKER,
        timeout=10,
    )
    # Removing again (another request id) is "already happened": no new event.
    world.households.RemoveHousehold(
        households_pb2.RemoveHouseholdRequest(
            request_id="r-2", household_id=hid, reason="moved away"
        ),
        metadata=WORKER,
        timeout=10,
    )
    first, second, third = events_of(world, hid)
    assert (first.version, second.version, third.version) == (1, 2, 3)
    assert [
        (m.member_id, list(m.care_groups), m.visit_interval_days) for m in first.care_members
    ] == [(elderly, ["ELDERLY_ALONE"], 7)]
    assert first.member_count == 2 and first.place_code == PLACE and first.grid_code == "MN0101"
    assert {m.member_id: m.visit_interval_days for m in second.care_members}[elderly] == 7
    assert len(second.care_members) == 2 and second.member_count == 2
    assert third.removed and third.member_count == 0 and not third.care_members
    assert refused(lambda: get(world, hid, WORKER)) is grpc.StatusCode.NOT_FOUND


def test_a_retried_request_id_is_applied_once(world: World) -> None:
    one = register(world, household(), request_id="reg-1")
    again = register(world, household(), request_id="reg-1")
    assert one.household_id == again.household_id
    assert len(events_of(world, one.household_id)) == 1
    other = household()
    other.address = "Manhattan, 1 Centre Street"
    with pytest.raises(grpc.RpcError) as error:
        register(world, other, request_id="reg-1")
    assert error.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert "request_id" in str(error.value.details())


def test_bad_input_names_the_field_and_changes_nothing(world: World) -> None:
    before = (count(world, HouseholdRow), count(world, CareAccessRow))
    cases = {
        "household.members[0].care_groups": household(care=("ASTRONAUT",)),
        "household.address": households_pb2.Household(place_code=PLACE, members=[{"name": "x"}]),
        "household.members": households_pb2.Household(place_code=PLACE, address=ADDRESS),
    }
    bad_year = household()
    bad_year.members[1].birth_year = 1800
    cases["household.members[1].birth_year"] = bad_year
    for field, value in cases.items():
        with pytest.raises(grpc.RpcError) as error:
            register(world, value, request_id=f"bad-{field}")
        assert error.value.code() is grpc.StatusCode.INVALID_ARGUMENT, field
        assert field in str(error.value.details())
    twice = household()
    twice.members[0].id_number = twice.members[1].id_number = "110101198001011111"
    with pytest.raises(grpc.RpcError) as error:
        register(world, twice)
    assert "household.members[1].id_number" in str(error.value.details())
    assert (
        refused(lambda: register(world, household(place="NOWHERE-B1"))) is grpc.StatusCode.NOT_FOUND
    )
    assert (count(world, HouseholdRow), count(world, CareAccessRow)) == before


def test_lists_are_masked_scoped_filtered_and_paged(world: World) -> None:
    for _ in range(3):
        register(world, household())
    register(world, household(care=(), place="MN0101-B1-U2"))
    seen: list[households_pb2.Household] = []
    token = ""
    while True:
        page = world.households.ListHouseholds(
            households_pb2.ListHouseholdsRequest(grid_code="MN01", page_size=2, page_token=token),
            metadata=CHIEF_MN01,
            timeout=10,
        )
        seen += page.households
        token = page.next_page_token
        if not token:
            break
    assert len(seen) >= 4 and all(h.masked and NAME not in str(h) for h in seen)
    assert len({h.household_id for h in seen}) == len(seen)
    care = world.households.ListHouseholds(
        households_pb2.ListHouseholdsRequest(care_group="ELDERLY_ALONE"),
        metadata=WORKER,
        timeout=10,
    ).households
    assert care and all(h.has_care_members and h.grid_code == "MN0101" for h in care)
    assert (
        world.households.ListHouseholds(
            households_pb2.ListHouseholdsRequest(), metadata=OTHER_WORKER, timeout=10
        ).households
        == []
    )
    assert (
        refused(
            lambda: world.households.ListHouseholds(
                households_pb2.ListHouseholdsRequest(grid_code="MN0101"), metadata=OTHER_WORKER
            )
        )
        is grpc.StatusCode.NOT_FOUND
    )
    groups = world.households.ListCareGroups(
        households_pb2.ListCareGroupsRequest(), metadata=WORKER, timeout=10
    ).care_groups
    assert {(g.code, g.visit_interval_days) for g in groups} == {
        ("DISABLED", 14), ("ELDERLY_ALONE", 7), ("IN_DIFFICULTY", 14),
        ("LEFT_BEHIND_CHILD", 14), ("SUBSISTENCE", 30),
    }  # fmt: skip


def test_no_name_phone_or_id_number_in_tables_outbox_or_logs(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("DEBUG")
    value = household()
    value.members[0].id_number = "110101194501015678"
    hid = register(world, value, request_id="privacy-1").household_id
    get(world, hid, INSPECTOR, reason="audit")
    dump = table_dump(world.url)
    secrets = [*SECRETS, "110101194501015678"]
    assert [s for s in secrets if s in dump] == []
    assert [s for s in secrets if s in caplog.text] == []
    for event in events_of(world, hid):
        text = event.SerializeToString().decode("utf-8", "replace") + str(event)
        assert [s for s in secrets if s in text] == []


def table_dump(database_url: str) -> str:
    """Every row of every table as text: what someone reading the database directly sees."""
    from sqlalchemy import MetaData, create_engine

    engine = create_engine(database_url)
    metadata = MetaData()
    metadata.reflect(engine)
    parts = []
    with engine.connect() as connection:
        for table in metadata.sorted_tables:
            for row in connection.execute(select(table)):
                parts += [
                    v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v) for v in row
                ]
    engine.dispose()
    return "\n".join(parts)


def test_distance_to_a_grid_in_metres(world: World) -> None:
    inside = world.grid.MeasureDistanceToGrid(
        grid_pb2.MeasureDistanceToGridRequest(grid_code="MN0101", lat=40.7075, lon=-74.0113),
        metadata=SERVICE,
        timeout=10,
    )
    located = world.grid.LocateGrid(
        grid_pb2.LocateGridRequest(lat=40.7075, lon=-74.0113), metadata=SERVICE, timeout=10
    ).grid.code
    assert located != "MN0101" or (inside.inside and inside.distance_meters == 0.0)
    # Times Square lies in MN05's grids; the Financial District's MN0101 is kilometres south.
    far = world.grid.MeasureDistanceToGrid(
        grid_pb2.MeasureDistanceToGridRequest(grid_code="MN0101", lat=40.758, lon=-73.9855),
        metadata=SERVICE,
        timeout=10,
    )
    assert not far.inside and 3_000 < far.distance_meters < 8_000 and far.grid_set_version >= 1
    assert (
        refused(
            lambda: world.grid.MeasureDistanceToGrid(
                grid_pb2.MeasureDistanceToGridRequest(grid_code="XX99", lat=40.7, lon=-74.0),
                metadata=SERVICE,
            )
        )
        is grpc.StatusCode.NOT_FOUND
    )


def test_a_household_moved_to_another_grid_goes_with_its_place(world: World) -> None:
    made = register(world, household(), CHIEF_MN01)
    moved = households_pb2.Household()
    moved.CopyFrom(made)
    moved.place_code = "MN0102-B1-U1"
    # The grid's own worker cannot move it out of reach; their chief can.
    assert (
        refused(
            lambda: world.households.UpdateHousehold(
                households_pb2.UpdateHouseholdRequest(household=moved), metadata=WORKER, timeout=10
            )
        )
        is grpc.StatusCode.NOT_FOUND
    )
    after = world.households.UpdateHousehold(
        households_pb2.UpdateHouseholdRequest(household=moved), metadata=CHIEF_MN01, timeout=10
    ).household
    assert (after.grid_code, after.place_code) == ("MN0102", "MN0102-B1-U1")
    assert [e.grid_code for e in events_of(world, made.household_id)] == ["MN0101", "MN0102"]
    assert refused(lambda: get(world, made.household_id, WORKER)) is grpc.StatusCode.NOT_FOUND
