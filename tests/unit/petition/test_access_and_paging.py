"""Who sees what, which channel a submitter is, and page tokens that cannot be misused."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from gridplus.kit.auth import Role
from gridplus.kit.errors import InvalidArgument
from gridplus.petition.api import paging
from gridplus.petition.domain.access import may_submit, may_view, source_for
from gridplus.petition.domain.petition import Petition
from gridplus.petition.domain.submission import Submission
from gridplus.petition.domain.values import Actor, GeoPoint, Source
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


def test_a_resident_sees_only_their_own_petitions_and_staff_see_any() -> None:
    assert may_view(petition(), OWNER)
    assert not may_view(petition(), Actor("resident-b", Role.RESIDENT))
    assert may_view(petition(), Actor("worker", Role.GRID_WORKER))
    assert may_view(petition(), Actor("head", Role.DEPARTMENT_HEAD))


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
    with pytest.raises(InvalidArgument, match="different query"):
        paging.decode(token, PetitionQuery(reporter_id="resident-b"), field="cursor")


@pytest.mark.parametrize("token", ["not-a-token", "e30", "W10", "!!!"])
def test_a_forged_page_token_is_refused_naming_the_field(token: str) -> None:
    with pytest.raises(InvalidArgument) as bad:
        paging.decode(token, PetitionQuery(), field="page_token")
    assert bad.value.violations[0].field == "page_token"
