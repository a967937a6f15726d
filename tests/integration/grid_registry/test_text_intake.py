"""Issue 18, hole 5 in grid-registry: names and codes it imports reach staff screens and public
views, so control and bidi characters are refused with a field error naming the offender, and
the registry keeps the version it had (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import pytest

from gridplus.grid_registry.domain.demo_workers import DemoMember
from gridplus.grid_registry.domain.grids import GridSpec
from gridplus.grid_registry.handlers import imports, snapshots
from gridplus.grid_registry.storage import repository
from gridplus.kit.clock import ManualClock
from gridplus.kit.db import SessionFactory, transaction
from gridplus.kit.errors import InvalidArgument
from gridplus.kit.outbox import Outbox

pytestmark = pytest.mark.integration

MANHATTAN = ("1", "MN01", "MN0101")
RLO = "\u202e"  # RIGHT-TO-LEFT OVERRIDE: "Lopez\u202eytuD" reads as "LopezDuty"

City = tuple[list[GridSpec], list[DemoMember]]
Spoil = Callable[[list[GridSpec], list[DemoMember]], City]


def small_city(specs: list[GridSpec], members: list[DemoMember]) -> City:
    return (
        [s for s in specs if s.code in MANHATTAN],
        # Without places: building and unit chiefs stay out too.
        [m for m in members if m.grid_code in MANHATTAN and not m.place_code],
    )


def spoil_grid(specs: list[GridSpec], code: str, name: str) -> list[GridSpec]:
    return [replace(s, name=name) if s.code == code else s for s in specs]


def spoil_member(members: list[DemoMember], person_id: str, **changes: str) -> list[DemoMember]:
    return [replace(m, **changes) if m.person_id == person_id else m for m in members]


CASES = [
    ("grid name", "grids[MN0101].name", lambda g, m: (spoil_grid(g, "MN0101", "Wall\nSt"), m)),
    (
        "member name",
        "members[w-MN0101-1].display_name",
        lambda g, m: (g, spoil_member(m, "w-MN0101-1", display_name=f"Maria {RLO}zepoL")),
    ),
    (
        "member phone",
        "members[c-MN0101].phone",
        lambda g, m: (g, spoil_member(m, "c-MN0101", phone="+1-212-555-0100\x00")),
    ),
    (
        "grid code",
        "grids[0].code",
        lambda g, m: ([replace(g[0], code="1\u2066"), *g[1:]], m),
    ),
]


@pytest.mark.parametrize(("what", "field", "spoil"), CASES, ids=[c[0] for c in CASES])
def test_spoofing_text_is_refused_and_the_registry_keeps_its_version(
    sessions: SessionFactory,
    demo_specs: list[GridSpec],
    demo_members: list[DemoMember],
    outbox: Outbox,
    clock: ManualClock,
    what: str,
    field: str,
    spoil: Spoil,
) -> None:
    specs, members = small_city(demo_specs, demo_members)
    with transaction(sessions) as session:
        imports.import_grid_set(
            session, specs, members, source="test", outbox=outbox, clock=clock, check=False
        )
    bad_specs, bad_members = spoil(specs, members)
    with pytest.raises(InvalidArgument) as refused, transaction(sessions) as session:
        imports.import_grid_set(
            session, bad_specs, bad_members, source="test", outbox=outbox, clock=clock
        )
    [violation] = refused.value.violations
    assert violation.field == field
    assert "control or bidi characters" in violation.description
    with transaction(sessions) as session:
        assert repository.current_version(session) == 1
        current = snapshots.load_current(session)
    assert current is not None
    assert current.grids.get("MN0101").name == "Financial District-Battery Park City"
