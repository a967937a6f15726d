"""Issue 17 part 4: every cell of the authorization matrix (tests/support/authz_matrix.py,
rendered as docs/authorization.md) driven against the running services with real tokens.

For each operation and role: a role marked `-` must get PERMISSION_DENIED; any other cell must
be let through, with the target inside the caller's scope; a scoped cell is tried a second time
by a caller of the same role whose scope does not hold the target (another resident, another
borough's staff, another department), which must get the operation's `outside` answer. An
INVALID_ARGUMENT is never counted as a refusal: it fails the test as a broken probe."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
import requests

from gridplus.api.dispatch.v1 import dispatch_pb2 as di
from gridplus.api.dispatch.v1 import dispatch_pb2_grpc, visits_pb2
from gridplus.api.evaluation.v1 import evaluation_pb2
from gridplus.api.grid.v1 import grid_pb2, households_pb2
from gridplus.api.notification.v1 import notification_pb2
from gridplus.api.petition.v1 import petition_pb2, petition_pb2_grpc
from gridplus.api.petition.v1 import petition_pb2 as pe
from gridplus.kit.roles import Role
from tests.support import authz_households, authz_visits, authz_world
from tests.support.authz_matrix import MATRIX, ROLES, SCOPED, Operation, render
from tests.support.authz_probes import PROBES, Result
from tools.stack import DEV_SUBJECTS, LocalStack

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
ALLOWED_STATUSES = frozenset({"OK", "FAILED_PRECONDITION"})
_SERVICES = (
    ("grid-registry", grid_pb2.DESCRIPTOR.services_by_name["GridRegistryService"]),
    ("grid-registry", households_pb2.DESCRIPTOR.services_by_name["HouseholdService"]),
    ("petition", petition_pb2.DESCRIPTOR.services_by_name["PetitionService"]),
    ("dispatch", di.DESCRIPTOR.services_by_name["DispatchService"]),
    ("dispatch", visits_pb2.DESCRIPTOR.services_by_name["VisitService"]),
    ("notification", notification_pb2.DESCRIPTOR.services_by_name["NotificationService"]),
    ("evaluation", evaluation_pb2.DESCRIPTOR.services_by_name["EvaluationService"]),
)
# The one operation whose allowed callers cannot be shown an object: the e2e stack routes every
# petition (classifier threshold 0), so nothing waits in triage and an allowed caller hears
# NOT_FOUND ("not in triage") while every other role is refused before that.
NOTHING_IN_TRIAGE = "dispatch SetTriageCategory"


@pytest.fixture(scope="module")
def world(stack: LocalStack) -> Iterator[authz_world.World]:
    built = authz_world.build(stack)
    authz_visits.prepare(built)
    authz_households.prepare(built)
    yield built


def test_the_document_is_the_rendering_of_the_table() -> None:
    document = (ROOT / "docs/authorization.md").read_text()
    assert document == render(), (
        "docs/authorization.md differs from tests/support/authz_matrix.py: "
        "python -m tests.support.authz_matrix > docs/authorization.md"
    )


def test_the_table_covers_every_grpc_method_and_has_a_probe_for_each_operation() -> None:
    in_table = {op.key for op in MATRIX}
    methods = {f"{name} {m.name}" for name, svc in _SERVICES for m in svc.methods}
    assert methods - in_table == set(), "methods without a row in the matrix"
    assert {k for k in in_table if not k.startswith("http ")} - methods == set(), "stale rows"
    assert in_table - set(PROBES) == set(), "operations without a probe"


def test_every_cell_of_the_matrix_holds(world: authz_world.World) -> None:
    wrong: list[str] = []
    applied: dict[str, bool] = {}
    calls = 0
    # Callers outside the target's scope first: they must change nothing the inside ones need.
    for op in MATRIX:
        probe = PROBES[op.key]
        for role in ROLES:
            cell = op.cells[role]
            if cell in SCOPED and op.outside != "n/a" and (role, False) in world.callers:
                calls += 1
                result = probe(world, world.caller(role, inside=False))
                problem = _outside_problem(op, result)
                if problem:
                    wrong.append(f"{op.key} [{role.value}, outside {cell}]: {problem}")
        for role in ROLES:
            calls += 1
            cell = op.cells[role]
            result = probe(world, world.caller(role))
            problem = _inside_problem(op, cell, result)
            if problem:
                wrong.append(f"{op.key} [{role.value}, {cell}]: {problem}")
            applied[op.key] = applied.get(op.key, False) or result.status == "OK"
    never = [
        k for k, ok in applied.items() if not ok and k != NOTHING_IN_TRIAGE and _any_allowed(k)
    ]
    print(
        f"\nauthorization matrix: {len(ROLES)} roles x {len(MATRIX)} operations = "
        f"{len(ROLES) * len(MATRIX)} cells, {calls} calls"
    )
    assert not wrong, "cells that do not hold:\n" + "\n".join(wrong)
    assert not never, f"allowed but never applied (a probe's request is not valid?): {never}"


def _any_allowed(key: str) -> bool:
    op = next(o for o in MATRIX if o.key == key)
    return any(cell != "-" for cell in op.cells.values())


def _inside_problem(op: Operation, cell: str, result: Result) -> str:
    if result.status == "INVALID_ARGUMENT":
        return f"the probe's request is invalid: {result.detail}"
    if cell == "-":
        if result.status != "PERMISSION_DENIED":
            return f"expected PERMISSION_DENIED, got {result.status} {result.detail}"
        return ""
    if op.key == NOTHING_IN_TRIAGE and result.status == "NOT_FOUND":
        return ""
    if result.status not in ALLOWED_STATUSES:
        return f"expected to be let through, got {result.status} {result.detail}"
    if result.shown is False:
        return "the target inside the caller's scope was left out"
    return ""


def _outside_problem(op: Operation, result: Result) -> str:
    if result.status == "INVALID_ARGUMENT":
        return f"the probe's request is invalid: {result.detail}"
    if op.outside == "hidden":
        if result.status != "OK":
            return f"expected the list without the target, got {result.status} {result.detail}"
        if result.shown:
            return "the list shows the target outside the caller's scope"
        return ""
    if result.status != op.outside:
        return f"expected {op.outside}, got {result.status} {result.detail}"
    return ""


def test_make_runs_department_tokens_see_the_same_petitions_in_petition_and_dispatch(
    stack: LocalStack,
) -> None:
    """As a new user tries it: the README's petition (a street light at Times Square), then the
    development department tokens ask petition and dispatch what their department holds."""
    resident = stack.token(Role.RESIDENT)
    petition_id = _readme_petition(stack, resident)
    petitions = petition_pb2_grpc.PetitionServiceStub(_channel(stack, "petition"))
    dispatch = dispatch_pb2_grpc.DispatchServiceStub(_channel(stack, "dispatch"))
    for role in (Role.DEPARTMENT_STAFF, Role.DEPARTMENT_HEAD):
        metadata = [("authorization", f"Bearer {stack.token(role)}")]
        listed = petitions.ListPetitions(
            pe.ListPetitionsRequest(page_size=100), metadata=metadata, timeout=10
        ).petitions
        held = dispatch.ListAssignments(
            di.ListAssignmentsRequest(page_size=100), metadata=metadata, timeout=10
        ).assignments
        in_petition = {p.id for p in listed}
        in_dispatch = {a.petition_id for a in held}
        assert petition_id in in_petition, f"{role.value}: ListPetitions misses the petition"
        assert petition_id in in_dispatch, f"{role.value}: ListAssignments misses the petition"
        assert in_petition == in_dispatch, f"{role.value}: petition and dispatch disagree"
        department = {a.department_code for a in held}
        assert department == {"DOT"}, department
    assert all(role in DEV_SUBJECTS for role in ROLES)


def _channel(stack: LocalStack, package: str) -> grpc.Channel:
    return grpc.insecure_channel(f"127.0.0.1:{stack.ports.grpc[package]}")


def _readme_petition(stack: LocalStack, resident_token: str) -> str:
    response = requests.post(
        f"{stack.http_url}/api/v1/petitions",
        json={
            "title": "Street light out",
            "description": "The lamp at the corner is dark",
            "lat": 40.758,
            "lon": -73.9855,
            "category": "nyc.street_light_condition",
        },
        headers={"Authorization": f"Bearer {resident_token}"},
        timeout=10,
    )
    assert response.status_code == 201, response.text
    petition_id = str(response.json()["id"])
    authz_world._wait(
        lambda: _assigned(stack, resident_token, petition_id), "the README petition assigned"
    )
    return petition_id


def _assigned(stack: LocalStack, token: str, petition_id: str) -> bool:
    response = requests.get(
        f"{stack.http_url}/api/v1/petitions/{petition_id}",
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    return bool(response.json().get("status") == "ASSIGNED")
