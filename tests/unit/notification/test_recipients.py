"""From audiences to people with contacts, through the directory port."""

from __future__ import annotations

from gridplus.notification.domain.audience import (
    DepartmentPeople,
    GridChiefs,
    Member,
    Person,
    Reporters,
)
from gridplus.notification.domain.notices import Recipient
from gridplus.notification.handlers.recipients import RecipientLookup
from tests.unit.notification.fakes import FakeDirectory

CHAIN = [
    Member("chief-1", "G-01", "grid_chief", email="c1@example.org"),
    Member("chief-3", "G-01-01-01", "grid_chief", email="c3@example.org", language="en"),
    Member("worker-7", "G-01-01-01", "grid_worker", email="w7@example.org", phone="13900000007"),
    Member("roads-head", "G-01", "department_head", department_code="roads", email="rh@x.org"),
    Member("roads-1", "G-01-01", "department_staff", department_code="roads", email="r1@x.org"),
    Member("water-1", "G-01-01", "department_staff", department_code="water"),
]


def directory() -> FakeDirectory:
    return FakeDirectory(
        chains={"G-01-01-01": CHAIN},
        heads={"roads": "roads-head", "water": "water-head"},
        reporters={
            "p-1": [
                (Recipient("r-own", email="own@example.org"), False),
                (Recipient("r-dup", language="en"), True),
            ]
        },
    )


def test_a_person_in_the_grid_chain_comes_with_contacts() -> None:
    (worker,) = RecipientLookup(directory()).recipients([Person("worker-7", "G-01-01-01")])
    assert worker == Recipient("worker-7", "w7@example.org", "13900000007", "")


def test_a_person_outside_any_known_chain_still_gets_the_inbox() -> None:
    assert RecipientLookup(directory()).recipients([Person("someone")]) == [Recipient("someone")]


def test_grid_chiefs_are_the_chiefs_of_that_grid_only() -> None:
    chiefs = RecipientLookup(directory()).recipients([GridChiefs("G-01-01-01")])
    assert [c.person_id for c in chiefs] == ["chief-3"]


def test_a_department_is_its_head_and_with_staff_its_people_in_the_chain() -> None:
    lookup = RecipientLookup(directory())
    heads = lookup.recipients([DepartmentPeople("roads", "G-01-01-01")])
    assert [p.person_id for p in heads] == ["roads-head"]
    assert heads[0].email == "rh@x.org"
    everyone = lookup.recipients([DepartmentPeople("roads", "G-01-01-01", staff=True)])
    assert [p.person_id for p in everyone] == ["roads-head", "roads-1"]
    water = lookup.recipients([DepartmentPeople("water", "G-01-01-01", staff=True)])
    assert [p.person_id for p in water] == ["water-head", "water-1"]


def test_reporters_and_those_merged_in() -> None:
    lookup = RecipientLookup(directory())
    assert [r.person_id for r in lookup.recipients([Reporters("p-1")])] == ["r-own", "r-dup"]
    merged = lookup.recipients([Reporters("p-1", via_duplicate_only=True)])
    assert [r.person_id for r in merged] == ["r-dup"]


def test_each_person_once_and_each_chain_fetched_once() -> None:
    fake = directory()
    people = RecipientLookup(fake).recipients(
        [
            Person("worker-7", "G-01-01-01"),
            GridChiefs("G-01-01-01"),
            Person("worker-7", "G-01-01-01"),
        ]
    )
    assert [p.person_id for p in people] == ["worker-7", "chief-3"]
    assert fake.calls == ["chain G-01-01-01"]
