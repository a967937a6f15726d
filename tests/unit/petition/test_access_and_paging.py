"""Who sees what, which channel a submitter is, and page tokens that cannot be misused."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from gridplus.kit.auth import Role
from gridplus.kit.errors import InvalidArgument
from gridplus.petition.api import paging
from gridplus.petition.domain.access import Viewer, may_submit, may_view, source_for
from gridplus.petition.domain.petition import Petition
from gridplus.petition.domain.submission import Submission
from gridplus.petition.domain.values import Actor, GeoPoint, GridRef, Source
from gridplus.petition.storage.repository import PageKey, PetitionQuery

OWNER = Actor("resident-a", Role.RESIDENT)


def petition() -> Petition:
    return Petition.submit(
        petition_id="p-1",
        submission=Submission("t", "", GeoPoint(0, 0), None),
        reporter=OWNER,
        source=Source.RESIDENT,
        at=datetime(2026, 11, 27, tzinfo=UTC),
    )


def routed() -> Petition:
    shown = petition()
    shown.assign(
        grid=GridRef("G1-2-3", 3, ("G1", "G1-2", "G1-2-3"), 1),
        assignee_id="worker-7",
        deadline=datetime(2026, 11, 28, tzinfo=UTC),
        category="road.manhole",
        actor=Actor("dispatch", Role.SERVICE),
        at=datetime(2026, 11, 27, 1, tzinfo=UTC),
    )
    shown.record_routing(choice=None, department_code="roads")
    return shown


def test_a_resident_sees_only_their_own_petitions_or_those_they_follow() -> None:
    assert may_view(petition(), Viewer("resident-a", Role.RESIDENT))
    assert not may_view(petition(), Viewer("resident-b", Role.RESIDENT))
    assert may_view(petition(), Viewer("resident-b", Role.RESIDENT), follows=True)


@pytest.mark.parametrize(
    ("viewer", "sees"),
    [
        (Viewer("w-1", Role.GRID_WORKER, grid_codes=("G1-2",)), True),  # an ancestor grid
        (Viewer("w-2", Role.GRID_WORKER, grid_codes=("G1-2-3",)), True),
        (Viewer("w-3", Role.GRID_CHIEF, grid_codes=("G2",)), False),
        (Viewer("w-4", Role.GRID_WORKER, grid_codes=("G1-2-",)), False),
        (Viewer("worker-7", Role.GRID_WORKER), True),  # the assignee
        (Viewer("d-1", Role.DEPARTMENT_STAFF, department="roads"), True),
        (Viewer("d-2", Role.DEPARTMENT_HEAD, department="water"), False),
        (Viewer("d-3", Role.DEPARTMENT_STAFF), False),
        (Viewer("a-1", Role.ADMIN), True),
        (Viewer("i-1", Role.INSPECTOR), True),
        (Viewer("resident-b", Role.RESIDENT), False),
    ],
)
def test_staff_see_their_grid_subtree_or_their_departments_petitions(
    viewer: Viewer, sees: bool
) -> None:
    assert may_view(routed(), viewer) is sees


def test_people_submit_services_do_not() -> None:
    assert may_submit(OWNER)
    assert not may_submit(Actor("dispatch", Role.SERVICE))


@pytest.mark.parametrize(
    ("role", "source"),
    [
        (Role.RESIDENT, Source.RESIDENT),
        (Role.GRID_WORKER, Source.GRID_WORKER),
        (Role.GRID_CHIEF, Source.GRID_WORKER),
        (Role.DEPARTMENT_STAFF, Source.HOTLINE),
    ],
)
def test_the_channel_follows_the_submitters_role(role: Role, source: Source) -> None:
    assert source_for(Actor("someone", role)) is source


def test_a_page_token_round_trips_for_its_own_query_only() -> None:
    key = PageKey(datetime(2026, 11, 27, 9, 30, 0, 123456, tzinfo=UTC), "p-9")
    mine = PetitionQuery(reporter_id="resident-a")
    token = paging.encode(key, mine)

    assert paging.decode(token, mine, field="cursor") == key
    with pytest.raises(InvalidArgument, match="other filters"):
        paging.decode(token, PetitionQuery(reporter_id="resident-b"), field="cursor")


@pytest.mark.parametrize("token", ["not-a-token", "e30", "W10", "!!!"])
def test_a_forged_page_token_is_refused_naming_the_field(token: str) -> None:
    with pytest.raises(InvalidArgument) as bad:
        paging.decode(token, PetitionQuery(), field="page_token")
    assert bad.value.violations[0].field == "page_token"
