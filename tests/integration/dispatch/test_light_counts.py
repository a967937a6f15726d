"""CountLights: the map board's red / yellow / green counts per grid, within the caller's scope."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import grpc
import pytest

from gridplus.api.dispatch.v1 import dispatch_pb2
from gridplus.kit.auth import Role
from tests.integration.dispatch.api_harness import Api, auth, dispatch_api
from tests.integration.dispatch.grid_registry_stub import FakeGridDirectory

pytestmark = pytest.mark.integration

ADMIN = auth(Role.ADMIN, "admin-1")


@pytest.fixture
def api(database_url: str) -> Iterator[Api]:
    with dispatch_api(database_url, FakeGridDirectory()) as running:
        yield running


def counts(
    api: Api, metadata: list[tuple[str, str]], **request: int | str
) -> dict[str, tuple[int, int, int]]:
    answer = api.stub.CountLights(
        dispatch_pb2.CountLightsRequest(**request), metadata=metadata, timeout=5
    )
    assert answer.counted_at.ToDatetime().year == 2026
    return {g.grid_code: (g.red, g.yellow, g.green) for g in answer.grids}


@pytest.fixture
def lit(api: Api) -> Api:
    api.route("p-signal", "MN0502", "nyc.traffic_signal_condition")  # urgent: 30 min
    api.route("p-noise", "MN0502")  # high: 2 h, yellow from 1 h 30
    api.route("p-water", "MN0503", "nyc.water_system")  # urgent: 30 min
    api.clock.advance(timedelta(hours=1))
    return api


def test_counts_by_light_at_each_level(lit: Api) -> None:
    assert counts(lit, ADMIN, level=3) == {"MN0502": (1, 0, 1), "MN0503": (1, 0, 0)}
    assert counts(lit, ADMIN, level=2) == {"MN05": (2, 0, 1)}
    assert counts(lit, ADMIN, level=1) == {"1": (2, 0, 1)}
    lit.clock.advance(timedelta(minutes=35))  # the noise petition enters its last quarter
    assert counts(lit, ADMIN, level=3)["MN0502"] == (1, 1, 0)
    assert counts(lit, ADMIN, level=3, grid_code="MN0503") == {"MN0503": (1, 0, 0)}
    assert counts(lit, ADMIN, level=3, department_code="dep-other") == {}


def test_a_chief_counts_their_own_grid_only(lit: Api) -> None:
    chief = auth(Role.GRID_CHIEF, "c-MN0503", grids=("MN0503",))
    assert counts(lit, chief, level=3) == {"MN0503": (1, 0, 0)}
    # The enclosing grid shows what the chief may see of it, never the neighbour's petitions.
    assert counts(lit, chief, level=2) == {"MN05": (1, 0, 0)}
    assert counts(lit, chief, level=3, grid_code="MN0502") == {}


def test_a_resident_is_refused_and_a_bad_level_is_named(lit: Api) -> None:
    with pytest.raises(grpc.RpcError) as refused:
        counts(lit, auth(Role.RESIDENT, "r-1"), level=1)
    assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED  # type: ignore[attr-defined]
    with pytest.raises(grpc.RpcError) as bad:
        counts(lit, ADMIN, level=4)
    assert bad.value.code() == grpc.StatusCode.INVALID_ARGUMENT  # type: ignore[attr-defined]
    assert "level" in (bad.value.details() or "")  # type: ignore[attr-defined]
