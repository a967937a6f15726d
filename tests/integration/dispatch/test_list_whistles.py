"""ListWhistles: who was summoned, who reported, who is late — each caller sees their own."""

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
CHIEF_0502 = auth(Role.GRID_CHIEF, "c-MN0502", grids=("MN0502",))
CHIEF_0503 = auth(Role.GRID_CHIEF, "c-MN0503", grids=("MN0503",))
ENV = auth(Role.DEPARTMENT_STAFF, "s-env", department="dep-env")
ROADS = auth(Role.DEPARTMENT_STAFF, "s-roads", department="dep-roads")


@pytest.fixture
def api(database_url: str) -> Iterator[Api]:
    with dispatch_api(database_url, FakeGridDirectory()) as running:
        yield running


def blow(api: Api, petition_id: str, departments: list[str], chief: list[tuple[str, str]]) -> str:
    answer = api.stub.BlowWhistle(
        dispatch_pb2.BlowWhistleRequest(
            petition_id=petition_id, department_codes=departments, reason="blocked road"
        ),
        metadata=chief,
        timeout=5,
    )
    return answer.whistle.whistle_id


def listed(api: Api, metadata: list[tuple[str, str]], **request: object) -> list[str]:
    answer = api.stub.ListWhistles(
        dispatch_pb2.ListWhistlesRequest(**request),  # type: ignore[arg-type]
        metadata=metadata,
        timeout=5,
    )
    return [w.petition_id for w in answer.whistles]


def test_each_caller_sees_the_whistles_of_their_scope_newest_first(api: Api) -> None:
    api.route("p-1", "MN0502")
    api.route("p-2", "MN0503")
    blow(api, "p-1", ["dep-env", "dep-police"], CHIEF_0502)
    api.clock.advance(timedelta(minutes=1))
    blow(api, "p-2", ["dep-env"], CHIEF_0503)
    assert listed(api, ADMIN) == ["p-2", "p-1"]
    assert listed(api, ENV) == ["p-2", "p-1"]
    assert listed(api, auth(Role.DEPARTMENT_HEAD, "h-p", department="dep-police")) == ["p-1"]
    assert listed(api, ROADS) == []  # never summoned
    assert listed(api, CHIEF_0502) == ["p-1"]  # never the neighbour grid's whistle
    assert listed(api, CHIEF_0503, petition_id="p-1") == []
    assert listed(api, ADMIN, page_size=1) == ["p-2"]


def test_reports_show_who_reported_and_open_only_leaves_the_settled_out(api: Api) -> None:
    api.route("p-1", "MN0502")
    whistle_id = blow(api, "p-1", ["dep-env"], CHIEF_0502)
    assert listed(api, CHIEF_0502, open_only=True) == ["p-1"]
    api.stub.ReportToWhistle(
        dispatch_pb2.ReportToWhistleRequest(whistle_id=whistle_id, note="on our way"),
        metadata=ENV,
        timeout=5,
    )
    assert listed(api, CHIEF_0502, open_only=True) == []
    shown = api.stub.ListWhistles(
        dispatch_pb2.ListWhistlesRequest(), metadata=CHIEF_0502, timeout=5
    ).whistles[0]
    assert shown.whistle_id == whistle_id and shown.reason == "blocked road"
    assert [(r.department_code, r.HasField("reported_at")) for r in shown.reports] == [
        ("dep-env", True)
    ]


def test_residents_are_refused_and_bad_input_is_named(api: Api) -> None:
    with pytest.raises(grpc.RpcError) as refused:
        listed(api, auth(Role.RESIDENT, "r-1"))
    assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED  # type: ignore[attr-defined]
    with pytest.raises(grpc.RpcError) as bad:
        listed(api, ADMIN, page_size=-1)
    assert bad.value.code() == grpc.StatusCode.INVALID_ARGUMENT  # type: ignore[attr-defined]
    assert "page_size" in (bad.value.details() or "")  # type: ignore[attr-defined]
