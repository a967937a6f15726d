"""Issue 18, hole 4: the staff directory (ListMembers, GetChain) gives phones and emails only
where the work needs them. The outside probe reproduced against the real gRPC server with real
tokens, on SQLite and PostgreSQL; before the fix every staff token read every contact."""

from __future__ import annotations

import grpc
import pytest

from gridplus.api.grid.v1 import grid_pb2
from gridplus.kit.auth import Role
from tests.integration.grid_registry.registry import SERVICE, Metadata, Running, bearer

pytestmark = pytest.mark.integration

WORKER_MN0502 = bearer(Role.GRID_WORKER, "w-MN0502-1", ("MN0502",))
CHIEF_MN05 = bearer(Role.GRID_CHIEF, "c-MN05", ("MN05",))
NYPD_STAFF = bearer(Role.DEPARTMENT_STAFF, "nypd-staff-1", department="NYPD")
DOT_STAFF_WITHOUT_CLAIM = bearer(Role.DEPARTMENT_STAFF, "dot-staff-1")
INSPECTOR = bearer(Role.INSPECTOR, "i-MN05")
ADMIN = bearer(Role.ADMIN, "admin-1")

Contacts = dict[str, tuple[str, str]]


def members(registry: Running, grid_code: str, caller: Metadata) -> list[grid_pb2.Member]:
    response = registry.stub.ListMembers(
        grid_pb2.ListMembersRequest(grid_code=grid_code), metadata=caller, timeout=5
    )
    return list(response.members)


def chain_contacts(registry: Running, grid_code: str, caller: Metadata) -> Contacts:
    """person id -> (email, phone) for every person on the chain of `grid_code`."""
    levels = registry.stub.GetChain(
        grid_pb2.GetChainRequest(grid_code=grid_code), metadata=caller, timeout=5
    ).levels
    return {m.person_id: (m.email, m.phone) for level in levels for m in level.members}


def with_contacts(found: Contacts) -> set[str]:
    return {person for person, (email, phone) in found.items() if email or phone}


def test_a_worker_of_another_grid_is_told_the_grid_is_not_found(registry: Running) -> None:
    """The probe: w-MN0502-1 lists BK0602's people. Issue 17: a grid worker or chief reads the
    directory of the grids on their own line only; another grid answers as an unknown one."""
    for ask in (
        lambda: members(registry, "BK0602", WORKER_MN0502),
        lambda: chain_contacts(registry, "BK0602", WORKER_MN0502),
        lambda: members(registry, "BK0602", CHIEF_MN05),
    ):
        with pytest.raises(grpc.RpcError) as hidden:
            ask()
        assert hidden.value.code() is grpc.StatusCode.NOT_FOUND
        assert "BK0602" in str(hidden.value.details())
    # Staff who serve the whole city read its names (contacts as below).
    brooklyn = members(registry, "BK0602", NYPD_STAFF)
    assert {(m.person_id, m.role) for m in brooklyn} >= {
        ("c-BK0602", grid_pb2.MEMBER_ROLE_GRID_CHIEF),
        ("w-BK0602-1", grid_pb2.MEMBER_ROLE_GRID_WORKER),
    }


def test_the_own_subtree_and_the_chiefs_above_keep_their_contacts(registry: Running) -> None:
    own = members(registry, "MN0502", WORKER_MN0502)
    assert own and all(m.email.endswith("@example.org") and m.phone for m in own)
    # A chief reaches the workers below; a worker reaches the chiefs above.
    below = members(registry, "MN0502", CHIEF_MN05)
    assert all(m.email and m.phone for m in below)
    chain = chain_contacts(registry, "MN0502", WORKER_MN0502)
    assert {"c-MN05", "c-1", "w-MN0502-2"} <= with_contacts(chain)
    # A sibling grid of the same district is not on the worker's line; the district above is.
    with pytest.raises(grpc.RpcError) as sibling:
        chain_contacts(registry, "MN0501", WORKER_MN0502)
    assert sibling.value.code() is grpc.StatusCode.NOT_FOUND
    levels = registry.stub.GetChain(
        grid_pb2.GetChainRequest(grid_code="MN05"), metadata=WORKER_MN0502, timeout=5
    ).levels
    by_grid = {level.grid.code: list(level.members) for level in levels}
    assert all(m.email and m.phone for m in by_grid["MN05"])


def test_department_staff_see_only_their_own_departments_contacts(registry: Running) -> None:
    chain = chain_contacts(registry, "MN0502", NYPD_STAFF)
    assert with_contacts(chain) == {"head-nypd"}
    assert {"head-dsny", "c-MN0502", "w-MN0502-1"} <= chain.keys()  # names are still there
    assert with_contacts(chain_contacts(registry, "MN0502", DOT_STAFF_WITHOUT_CLAIM)) == set()


def test_an_inspector_sees_only_their_own_contacts(registry: Running) -> None:
    chain = chain_contacts(registry, "MN0502", INSPECTOR)
    assert with_contacts(chain) == {"i-MN05"}
    assert len(chain) > 40  # the whole chain, by name and role


def test_admins_and_services_see_every_contact(registry: Running) -> None:
    for caller in (ADMIN, SERVICE):
        chain = chain_contacts(registry, "BK0602", caller)
        assert with_contacts(chain) == set(chain)


def test_residents_do_not_reach_the_directory(registry: Running) -> None:
    resident = bearer(Role.RESIDENT, "r-1")
    for call, request in (
        (registry.stub.ListMembers, grid_pb2.ListMembersRequest(grid_code="MN0502")),
        (registry.stub.GetChain, grid_pb2.GetChainRequest(grid_code="MN0502")),
    ):
        with pytest.raises(grpc.RpcError) as refused:
            call(request, metadata=resident, timeout=5)
        assert refused.value.code() is grpc.StatusCode.PERMISSION_DENIED
