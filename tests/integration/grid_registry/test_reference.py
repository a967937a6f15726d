"""Categories, departments and responsibility over gRPC: seeded by the migration alone."""

from __future__ import annotations

from collections.abc import Iterator

import grpc
import pytest

from gridplus.api.grid.v1 import grid_pb2
from gridplus.grid_registry.domain.grids import GridSpec
from gridplus.grid_registry.handlers import imports, reference
from gridplus.grid_registry.storage import MIGRATIONS, reference_repository
from gridplus.kit.clock import SystemClock
from gridplus.kit.db import transaction
from gridplus.kit.outbox import Outbox
from gridplus.kit.topology import events_topic
from tests.integration.grid_registry.registry import (
    RESIDENT,
    SERVICE,
    Running,
    database,
    running_registry,
)
from tests.support.postgres import drop_database
from tests.support.store import migrated_store

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def registry(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    demo_specs: list[GridSpec],
) -> Iterator[Running]:
    url, pg_name = database(request.param, tmp_path_factory.mktemp("reference"))
    try:
        with migrated_store(url, MIGRATIONS) as store:
            outbox = Outbox(topic=events_topic("grid"), source="/test", clock=SystemClock())
            with transaction(store.sessions) as session:
                imports.import_grid_set(
                    session, demo_specs, [], source="test", outbox=outbox, clock=SystemClock()
                )
            with running_registry(store.sessions, poll_seconds=0.2) as running:
                yield running
    finally:
        if pg_name:
            drop_database(pg_name)


def test_a_migrated_database_lists_the_taxonomy(registry: Running) -> None:
    categories = registry.stub.ListCategories(
        grid_pb2.ListCategoriesRequest(), metadata=RESIDENT, timeout=5
    ).categories
    assert len(categories) == 758
    assert categories[0].code == "urban_rural_construction"
    assert categories[0].top_level_code == categories[0].code and not categories[0].parent_code
    by_code = {c.code: c for c in categories}
    heat = by_code["nyc.heat_hot_water"]
    assert heat.priority == grid_pb2.CATEGORY_PRIORITY_URGENT
    assert heat.verify_sla_minutes == 30 and not heat.business_calendar


def test_get_category(registry: Running) -> None:
    got = registry.stub.GetCategory(
        grid_pb2.GetCategoryRequest(code="environmental_protection"), metadata=SERVICE, timeout=5
    ).category
    assert (got.name_zh, got.name_en) == ("环境保护", "Environmental protection")
    with pytest.raises(grpc.RpcError) as error:
        registry.stub.GetCategory(
            grid_pb2.GetCategoryRequest(code="no.such"), metadata=SERVICE, timeout=5
        )
    assert error.value.code() is grpc.StatusCode.NOT_FOUND


@pytest.mark.parametrize(
    ("code", "priority", "verify", "handle", "business_calendar"),
    [
        # The two copies of the taxonomy disagreed here (issue 12): the seed is the one answer.
        ("discipline_inspection", grid_pb2.CATEGORY_PRIORITY_LOW, 960, 7200, True),
        ("nyc.heating", grid_pb2.CATEGORY_PRIORITY_URGENT, 30, 240, False),
    ],
)
def test_time_limits_and_priorities_are_the_seeds(
    registry: Running,
    code: str,
    priority: int,
    verify: int,
    handle: int,
    business_calendar: bool,
) -> None:
    got = registry.stub.GetCategory(
        grid_pb2.GetCategoryRequest(code=code), metadata=SERVICE, timeout=5
    ).category
    assert (got.priority, got.verify_sla_minutes, got.handle_sla_minutes) == (
        priority,
        verify,
        handle,
    )
    assert got.business_calendar is business_calendar


def test_departments(registry: Running) -> None:
    departments = registry.stub.ListDepartments(
        grid_pb2.ListDepartmentsRequest(), metadata=RESIDENT, timeout=5
    ).departments
    codes = {d.code: d for d in departments}
    assert {"NYPD", "DSNY", "DOT", "DEP", "HPD", "DPR", "DOB", "DOHMH"} <= set(codes)
    assert codes["cn_urban_management"].name_zh == "城管局"
    assert codes["NYPD"].head_person_id == "head-nypd"


def test_resolve_responsibility_in_a_grid(registry: Running) -> None:
    found = registry.stub.ResolveResponsibility(
        grid_pb2.ResolveResponsibilityRequest(
            category_code="nyc.noise_residential", grid_code="MN0502"
        ),
        metadata=SERVICE,
        timeout=5,
    )
    assert found.department.code == "NYPD"
    assert "nyc.noise_residential" in found.reason


def test_resolve_refuses_unknown_codes(registry: Running) -> None:
    for request in (
        grid_pb2.ResolveResponsibilityRequest(category_code="nope"),
        grid_pb2.ResolveResponsibilityRequest(category_code="transport", grid_code="ZZ99"),
    ):
        with pytest.raises(grpc.RpcError) as error:
            registry.stub.ResolveResponsibility(request, metadata=SERVICE, timeout=5)
        assert error.value.code() is grpc.StatusCode.INVALID_ARGUMENT


def test_sync_is_a_no_op_when_the_seed_is_unchanged(registry: Running) -> None:
    with transaction(registry.sessions) as session:
        before = reference_repository.reference_version(session)
        outcome = reference.sync_reference_data(session)
    assert not outcome.changed and before is not None and outcome.version == before[0]
