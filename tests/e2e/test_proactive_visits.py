"""Proactive work across the real processes (issue 16): a grid worker registers a household with
an elderly member living alone (grid-registry), calls on it and records what was found
(dispatch); the finding becomes a petition routed to the same grid (petition, dispatch), and the
visit and the petition name each other. A point a kilometre away is refused, a worker of another
grid learns nothing, the member's name, phone and ID number are nowhere in the clear (databases,
topics, logs), and a chief's read of the care record is in the access log an inspector lists."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import grpc
import pytest

from gridplus.api.common.v1 import common_pb2
from gridplus.api.dispatch.v1 import visits_pb2, visits_pb2_grpc
from gridplus.api.grid.v1 import households_pb2, households_pb2_grpc
from gridplus.api.petition.v1 import petition_pb2
from gridplus.kit.auth import Role
from tests.e2e.client import (
    TIMES_SQUARE,
    channel,
    eventually,
    raw_files,
    raw_topics,
    staff_metadata,
    staff_petition,
)
from tools.stack import LocalStack

pytestmark = pytest.mark.e2e

GRID = "MN0502"  # Midtown-Times Square
UNIT = "MN0502-B1-U1"  # the demo city's first unit of the grid's building
WORKER, CHIEF = "w-MN0502-1", "c-MN0502"
STRANGER, STRANGER_GRID = "w-MN0604-1", "MN0604"  # a worker of the grid east of it
OUTSIDE = common_pb2.GeoPoint(lat=40.758, lon=-73.96)  # 990 m east of MN0502, inside MN0604
STREET_LIGHT = "nyc.street_light_condition"
# The member's personal data: unusual enough that any hit in raw bytes is a leak.
NAME, PHONE, ID_NUMBER = "欧阳秀英", "13987651234", "11010119400101777X"
ADDRESS = "1501 Broadway"
CALENDAR_ZONE = ZoneInfo("Asia/Shanghai")  # dispatch's default GRIDPLUS_DISPATCH_CALENDAR_ZONE
EVENTS_TIMEOUT = 30.0  # each hop goes through Kafka and a consumer


@dataclass(frozen=True)
class Visited:
    household: households_pb2.Household
    visit: visits_pb2.Visit
    request: visits_pb2.RecordVisitRequest


def households(stack: LocalStack) -> households_pb2_grpc.HouseholdServiceStub:
    return households_pb2_grpc.HouseholdServiceStub(channel(stack, "grid_registry"))


def visits(stack: LocalStack) -> visits_pb2_grpc.VisitServiceStub:
    return visits_pb2_grpc.VisitServiceStub(channel(stack, "dispatch"))


def worker(stack: LocalStack) -> list[tuple[str, str]]:
    return staff_metadata(stack, WORKER, Role.GRID_WORKER, (GRID,))


def stranger(stack: LocalStack) -> list[tuple[str, str]]:
    return staff_metadata(stack, STRANGER, Role.GRID_WORKER, (STRANGER_GRID,))


def register(stack: LocalStack) -> households_pb2.Household:
    member = households_pb2.HouseholdMember(
        name=NAME, phone=PHONE, id_number=ID_NUMBER, birth_year=1940, care_groups=["ELDERLY_ALONE"]
    )
    household = households_pb2.Household(
        place_code=UNIT, address=ADDRESS, unit="3-201", members=[member]
    )
    request = households_pb2.RegisterHouseholdRequest(
        request_id=str(uuid.uuid4()), household=household
    )
    answer = households(stack).RegisterHousehold(request, metadata=worker(stack), timeout=10)
    stored: households_pb2.Household = answer.household
    return stored


def record(stack: LocalStack, request: visits_pb2.RecordVisitRequest) -> visits_pb2.Visit | None:
    """The recorded visit; None while dispatch has not yet heard of the household (it learns
    households from grid-registry's HouseholdChanged events)."""
    try:
        visit: visits_pb2.Visit = (
            visits(stack).RecordVisit(request, metadata=worker(stack), timeout=10).visit
        )
        return visit
    except grpc.RpcError as error:
        if error.code() is grpc.StatusCode.NOT_FOUND:
            return None
        raise


def refusal(call: object, request: object, metadata: list[tuple[str, str]]) -> grpc.RpcError:
    with pytest.raises(grpc.RpcError) as refused:
        call(request, metadata=metadata, timeout=10)  # type: ignore[operator]
    return refused.value


@pytest.fixture(scope="module")
def visited(stack: LocalStack) -> Iterator[Visited]:
    household = register(stack)
    request = visits_pb2.RecordVisitRequest(
        request_id=str(uuid.uuid4()),
        household_id=household.household_id,
        location=common_pb2.GeoPoint(lat=TIMES_SQUARE["lat"], lon=TIMES_SQUARE["lon"]),
        notes="老人独居，精神尚好；楼道路灯不亮",
        findings=[
            visits_pb2.VisitFinding(
                category=STREET_LIGHT,
                title="楼道外路灯不亮",
                description="门口路灯坏了，老人晚上出门看不清",
                raise_petition=True,
            )
        ],
    )
    visit = eventually(lambda: record(stack, request), "dispatch knows the household")
    yield Visited(household, visit, request)


def test_a_finding_raises_a_petition_assigned_to_the_same_grid_and_both_name_each_other(
    stack: LocalStack, visited: Visited
) -> None:
    visit = visited.visit
    [finding] = visit.findings
    expected = str(uuid.uuid5(uuid.NAMESPACE_URL, f"gridplus:visit:{visit.visit_id}:1"))
    assert (finding.index, finding.petition_id) == (1, expected)
    assert visit.grid_code == GRID and visit.worker_id == WORKER
    assert visit.distance_meters == 0
    [member] = visited.household.members
    assert list(visit.care_member_ids) == [member.member_id]

    petition = eventually(
        lambda: (
            (p := staff_petition(stack, finding.petition_id))
            and p.status == petition_pb2.PETITION_STATUS_ASSIGNED
            and p
        ),
        "the visit's petition is ASSIGNED",
        EVENTS_TIMEOUT,
    )
    assert petition.source == petition_pb2.PETITION_SOURCE_VISIT
    assert petition.visit_id == visit.visit_id
    assert petition.grid.code == GRID
    assert petition.category == STREET_LIGHT

    again = visits(stack).GetVisit(
        visits_pb2.GetVisitRequest(visit_id=visit.visit_id), metadata=worker(stack), timeout=10
    )
    assert [f.petition_id for f in again.visit.findings] == [petition.id]


def test_a_retried_visit_is_recorded_once_and_raises_no_second_petition(
    stack: LocalStack, visited: Visited
) -> None:
    retried = record(stack, visited.request)

    assert retried is not None
    assert retried.visit_id == visited.visit.visit_id
    assert [f.petition_id for f in retried.findings] == [
        f.petition_id for f in visited.visit.findings
    ]
    day = visited.visit.visited_at.ToDatetime(tzinfo=CALENDAR_ZONE).date().isoformat()
    diary = visits(stack).ListDiary(
        visits_pb2.ListDiaryRequest(from_day=day, to_day=day), metadata=worker(stack), timeout=10
    )
    recorded = [v.visit_id for d in diary.days for v in d.visits]
    assert recorded.count(visited.visit.visit_id) == 1


def test_the_visit_is_in_the_workers_diary_for_its_day(stack: LocalStack, visited: Visited) -> None:
    day = visited.visit.visited_at.ToDatetime(tzinfo=CALENDAR_ZONE).date().isoformat()
    request = visits_pb2.ListDiaryRequest(from_day=day, to_day=day)

    diary = visits(stack).ListDiary(request, metadata=worker(stack), timeout=10)

    assert [d.day for d in diary.days] == [day]
    assert visited.visit.visit_id in [v.visit_id for v in diary.days[0].visits]


def test_a_point_a_kilometre_outside_the_grid_is_refused_naming_location(
    stack: LocalStack, visited: Visited
) -> None:
    request = visits_pb2.RecordVisitRequest(
        request_id=str(uuid.uuid4()),
        household_id=visited.household.household_id,
        location=OUTSIDE,
        notes="recorded from the office",
    )

    error = refusal(visits(stack).RecordVisit, request, worker(stack))

    assert error.code() is grpc.StatusCode.INVALID_ARGUMENT, error.details()
    assert "location" in (error.details() or "")
    day = visited.visit.visited_at.ToDatetime(tzinfo=CALENDAR_ZONE).date().isoformat()
    diary = visits(stack).ListDiary(
        visits_pb2.ListDiaryRequest(from_day=day, to_day=day), metadata=worker(stack), timeout=10
    )
    assert [v.notes for d in diary.days for v in d.visits].count("recorded from the office") == 0


def test_a_worker_of_another_grid_gets_not_found(stack: LocalStack, visited: Visited) -> None:
    household_id = visited.household.household_id
    asks = [
        (
            households(stack).GetHousehold,
            households_pb2.GetHouseholdRequest(household_id=household_id, reason="care visit"),
        ),
        (visits(stack).GetVisit, visits_pb2.GetVisitRequest(visit_id=visited.visit.visit_id)),
        (
            visits(stack).RecordVisit,
            visits_pb2.RecordVisitRequest(
                request_id=str(uuid.uuid4()), household_id=household_id, location=OUTSIDE
            ),
        ),
    ]
    codes = [refusal(call, request, stranger(stack)).code() for call, request in asks]

    assert codes == [grpc.StatusCode.NOT_FOUND] * 3


def test_the_members_personal_data_is_nowhere_in_the_clear(
    stack: LocalStack, visited: Visited
) -> None:
    [member] = visited.household.members
    assert (member.name, member.phone, member.id_number) == (NAME, PHONE, "")
    assert member.id_number_tail == ID_NUMBER[-4:]
    secrets = [NAME, PHONE, ID_NUMBER, ADDRESS]

    registry = raw_files(stack, "grid_registry.db*")
    every_database = raw_files(stack, "*.db*")
    topics = raw_topics(stack)
    logs = raw_files(stack, "logs/*.log")

    # The scans read the right bytes: the household's own ids are there, only the person is not.
    household_id = visited.household.household_id.encode()
    assert household_id in registry and member.member_id.encode() in registry
    assert b"HouseholdChanged" in topics and b"VisitRecorded" in topics
    assert household_id in topics and visited.visit.visit_id.encode() in topics
    assert logs
    for where, raw in [("databases", every_database), ("topics", topics), ("logs", logs)]:
        assert [s for s in secrets if s.encode() in raw] == [], where


def test_a_chiefs_read_of_a_care_record_is_in_the_inspectors_access_log(
    stack: LocalStack, visited: Visited
) -> None:
    household_id = visited.household.household_id
    chief = staff_metadata(stack, CHIEF, Role.GRID_CHIEF, (GRID,))
    reason = f"care visit planning {uuid.uuid4().hex[:8]}"
    no_reason = households_pb2.GetHouseholdRequest(household_id=household_id)

    refused = refusal(households(stack).GetHousehold, no_reason, chief)
    read = households(stack).GetHousehold(
        households_pb2.GetHouseholdRequest(household_id=household_id, reason=reason),
        metadata=chief,
        timeout=10,
    )
    inspector = staff_metadata(stack, "i-MN05", Role.INSPECTOR, ("MN05",))
    masked = households(stack).GetHousehold(
        households_pb2.GetHouseholdRequest(household_id=household_id, reason=reason),
        metadata=inspector,
        timeout=10,
    )
    log = households(stack).ListCareAccessLog(
        households_pb2.ListCareAccessLogRequest(grid_code=GRID), metadata=inspector, timeout=10
    )

    assert refused.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert "reason" in (refused.details() or "")
    assert (read.household.masked, read.household.members[0].name) == (False, NAME)
    [person] = masked.household.members  # an inspector sees the record masked
    assert masked.household.masked and person.name != NAME and PHONE not in person.phone
    entries = [e for e in log.entries if e.reason == reason]  # newest first
    assert [(e.actor_id, e.actor_role, e.household_id, e.grid_code) for e in entries] == [
        ("i-MN05", Role.INSPECTOR.value, household_id, GRID),
        (CHIEF, Role.GRID_CHIEF.value, household_id, GRID),
    ]
    assert all(e.read_at.seconds > 0 for e in entries)
