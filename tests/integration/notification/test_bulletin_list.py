"""ListBulletins: a chief's own bulletins with their progress, newest first; admins see all."""

from __future__ import annotations

import uuid

import grpc
import pytest

from gridplus.api.notification.v1 import notification_pb2 as pb
from gridplus.kit.auth import Role
from tests.integration.notification.conftest import Stub, WorkerFactory, as_caller

pytestmark = pytest.mark.integration

CHIEF_1 = as_caller("chief-1", Role.GRID_CHIEF, grid_codes=("G-01",))
CHIEF_3 = as_caller("chief-3", Role.GRID_CHIEF, grid_codes=("G-01-01",))
ADMIN = as_caller("ops", Role.ADMIN)


def send(api: Stub, metadata: list[tuple[str, str]], grid: str = "G-01-01") -> str:
    request = pb.SendBulletinRequest(
        grid_code=grid, title_zh="停水通知", body_zh="明日停水。", request_id=str(uuid.uuid4())
    )
    return api.SendBulletin(request, metadata=metadata).bulletin_id


def listed(api: Stub, metadata: list[tuple[str, str]], size: int = 0) -> list[pb.BulletinSummary]:
    request = pb.ListBulletinsRequest(page_size=size)
    return list(api.ListBulletins(request, metadata=metadata).bulletins)


def test_each_chief_lists_their_own_with_progress_and_admins_all(
    api: Stub, make_worker: WorkerFactory
) -> None:
    first = send(api, CHIEF_1)
    second = send(api, CHIEF_1, "G-01")
    third = send(api, CHIEF_3)
    mine = listed(api, CHIEF_1)
    assert {b.bulletin_id for b in mine} == {first, second}
    assert all(b.sent_by == "chief-1" and b.HasField("sent_at") for b in mine)
    assert [b.bulletin_id for b in listed(api, CHIEF_3)] == [third]
    assert {b.bulletin_id for b in listed(api, ADMIN)} == {first, second, third}
    assert len(listed(api, ADMIN, size=1)) == 1

    one = next(b for b in listed(api, CHIEF_1) if b.bulletin_id == first)
    assert (one.grid_code, one.recipient_count, one.total, one.pending) == ("G-01-01", 3, 5, 2)
    make_worker().run_once()
    one = next(b for b in listed(api, CHIEF_1) if b.bulletin_id == first)
    assert (one.sent, one.pending, one.failed) == (5, 0, 0)


def test_workers_are_refused_and_a_bad_page_size_is_named(api: Stub) -> None:
    worker = as_caller("worker-7", Role.GRID_WORKER, grid_codes=("G-01-01",))
    with pytest.raises(grpc.RpcError) as refused:
        listed(api, worker)
    assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED  # type: ignore[attr-defined]
    with pytest.raises(grpc.RpcError) as bad:
        listed(api, ADMIN, size=-1)
    assert bad.value.code() == grpc.StatusCode.INVALID_ARGUMENT  # type: ignore[attr-defined]
    assert "page_size" in (bad.value.details() or "")  # type: ignore[attr-defined]
