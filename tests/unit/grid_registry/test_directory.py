"""Who may read whose phone and email (domain/directory.py): the rule, case by case."""

from __future__ import annotations

import pytest
from shapely.geometry import box

from gridplus.grid_registry.domain.directory import as_seen_by, may_see_contacts
from gridplus.grid_registry.domain.grids import GridSet, GridSpec
from gridplus.grid_registry.domain.members import Member, MemberRole
from gridplus.kit.auth import Principal, Role

GRIDS = GridSet(
    [
        GridSpec("1", "Manhattan", 1, None, box(0, 0, 2, 2)),
        GridSpec("MN05", "Midtown", 2, "1", box(0, 0, 1, 1)),
        GridSpec("MN0501", "Midtown South", 3, "MN05", box(0, 0, 1, 0.5)),
        GridSpec("MN0502", "Times Square", 3, "MN05", box(0, 0.5, 1, 1)),
        GridSpec("3", "Brooklyn", 1, None, box(2, 0, 4, 2)),
        GridSpec("BK06", "Park Slope", 2, "3", box(2, 0, 3, 1)),
        GridSpec("BK0602", "Park Slope South", 3, "BK06", box(2, 0, 3, 1)),
    ]
)


def person(person_id: str, role: MemberRole, grid: str, department: str = "") -> Member:
    return Member(
        person_id,
        f"Name of {person_id}",
        role,
        grid,
        email=f"{person_id}@example.org",
        phone="+1-212-555-0100",
        department_code=department,
    )


WORKER_BK0602 = person("w-BK0602-1", MemberRole.GRID_WORKER, "BK0602")
WORKER_MN0502 = person("w-MN0502-2", MemberRole.GRID_WORKER, "MN0502")
WORKER_MN0501 = person("w-MN0501-1", MemberRole.GRID_WORKER, "MN0501")
CHIEF_MN05 = person("c-MN05", MemberRole.GRID_CHIEF, "MN05")
HEAD_NYPD = person("head-nypd", MemberRole.DEPARTMENT_HEAD, "1", "NYPD")
HEAD_DSNY = person("head-dsny", MemberRole.DEPARTMENT_HEAD, "1", "DSNY")
INSPECTOR_MN05 = person("i-MN05", MemberRole.INSPECTOR, "MN05")


def caller(role: Role, grids: tuple[str, ...] = (), department: str | None = None) -> Principal:
    return Principal(f"caller-{role.value}", role, grids, department)


@pytest.mark.parametrize(
    ("viewer", "member", "sees"),
    [
        # The probe: a worker of MN0502 and a Brooklyn grid's people.
        (caller(Role.GRID_WORKER, ("MN0502",)), WORKER_BK0602, False),
        (caller(Role.GRID_WORKER, ("MN0502",)), WORKER_MN0502, True),  # own grid
        (caller(Role.GRID_WORKER, ("MN0502",)), CHIEF_MN05, True),  # the chief above
        (caller(Role.GRID_WORKER, ("MN0502",)), HEAD_DSNY, True),  # heads of the borough above
        (caller(Role.GRID_WORKER, ("MN0502",)), WORKER_MN0501, False),  # a sibling grid
        (caller(Role.GRID_CHIEF, ("MN05",)), WORKER_MN0501, True),  # the subtree below
        (caller(Role.GRID_CHIEF, ("MN05",)), WORKER_BK0602, False),
        (caller(Role.GRID_WORKER, ("XX99",)), WORKER_MN0502, False),  # a grid no longer there
        (caller(Role.GRID_WORKER), WORKER_MN0502, False),  # no grids claim: nothing
        (caller(Role.DEPARTMENT_STAFF, department="NYPD"), HEAD_NYPD, True),
        (caller(Role.DEPARTMENT_HEAD, department="NYPD"), HEAD_DSNY, False),
        (caller(Role.DEPARTMENT_STAFF, department="NYPD"), WORKER_MN0502, False),
        (caller(Role.DEPARTMENT_STAFF), HEAD_NYPD, False),  # no department claim: nothing
        (caller(Role.INSPECTOR, ("MN05",)), WORKER_MN0502, False),
        (Principal("i-MN05", Role.INSPECTOR), INSPECTOR_MN05, True),  # one's own entry
        (caller(Role.ADMIN), WORKER_BK0602, True),
        (caller(Role.SERVICE), HEAD_DSNY, True),
    ],
)
def test_who_sees_contacts(viewer: Principal, member: Member, sees: bool) -> None:
    assert may_see_contacts(viewer, member, GRIDS) is sees


def test_hidden_contacts_keep_the_name_role_and_order() -> None:
    viewer = caller(Role.GRID_WORKER, ("MN0502",))
    seen = as_seen_by(viewer, [WORKER_BK0602, WORKER_MN0502], GRIDS)
    assert [(m.person_id, m.display_name, m.role) for m in seen] == [
        ("w-BK0602-1", "Name of w-BK0602-1", MemberRole.GRID_WORKER),
        ("w-MN0502-2", "Name of w-MN0502-2", MemberRole.GRID_WORKER),
    ]
    assert [(m.email, m.phone) for m in seen] == [
        ("", ""),
        ("w-MN0502-2@example.org", "+1-212-555-0100"),
    ]
