"""ListInbox and MarkRead over a real in-process gRPC server, on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import grpc
import pytest
from google.rpc import error_details_pb2
from grpc_status import rpc_status
from prometheus_client import REGISTRY
from sqlalchemy import func, select

from gridplus.api.common.v1 import common_pb2
from gridplus.api.events.v1 import events_pb2
from gridplus.api.notification.v1 import notification_pb2 as pb
from gridplus.api.notification.v1 import notification_pb2_grpc
from gridplus.kit.auth import Role
from gridplus.kit.clock import ManualClock
from gridplus.kit.db import transaction
from gridplus.kit.events import Event
from gridplus.notification.api.convert import received
from gridplus.notification.domain.rules import ChannelPolicy
from gridplus.notification.handlers.notices import Notifier
from gridplus.notification.storage.models import InboxItem
from tests.integration.notification.conftest import KEYS, Store, as_caller
from tests.unit.notification.fakes import FakeDirectory

pytestmark = pytest.mark.integration

Stub = notification_pb2_grpc.NotificationServiceStub
T0 = datetime(2025, 3, 4, 8, 0, tzinfo=UTC)


def deliver(store: Store, assignee: str, petition_id: str, at: datetime, event_id: str = "") -> str:
    payload = events_pb2.PetitionAssigned(
        petition_id=petition_id,
        grid=common_pb2.GridRef(code="G-01-01-01", level=3),
        assignee_id=assignee,
    )
    payload.deadline.FromDatetime(at + timedelta(hours=2))
    event = Event(
        id=event_id or str(uuid.uuid4()),
        type=payload.DESCRIPTOR.full_name,
        source="/gridplus/dispatch",
        time=at,
        key=petition_id,
        payload=payload,
    )
    # Nobody here is in a known chain and no petition has reporters: inbox items only.
    notifier = Notifier(FakeDirectory(), ChannelPolicy(), ManualClock(at), keys=KEYS)
    plan = notifier.prepare(received(event))
    with transaction(store.sessions) as session:
        notifier.apply(session, plan)
    return event.id


def all_pages(api: Stub, recipient: str, page_size: int, unread_only: bool = False) -> list[list]:
    pages, token = [], ""
    while True:
        page = api.ListInbox(
            pb.ListInboxRequest(
                recipient_id=recipient,
                page_size=page_size,
                page_token=token,
                unread_only=unread_only,
            ),
            metadata=as_caller(recipient),
        )
        pages.append([item.petition_id for item in page.items])
        token = page.next_page_token
        if not token:
            return pages


def code_of(call) -> grpc.StatusCode:  # type: ignore[no-untyped-def]
    with pytest.raises(grpc.RpcError) as failed:
        call()
    return failed.value.code()


def test_the_inbox_pages_newest_first_without_gaps_or_repeats(
    store: Store, inbox_api: Stub
) -> None:
    # p-2 and p-3 arrive at the same instant: the page boundary must still not lose either.
    times = {"p-0": 0, "p-1": 1, "p-2": 2, "p-3": 2, "p-4": 3}
    for petition_id, minutes in times.items():
        deliver(store, "worker-1", petition_id, T0 + timedelta(minutes=minutes))
    deliver(store, "worker-2", "p-other", T0 + timedelta(minutes=9))

    pages = all_pages(inbox_api, "worker-1", page_size=2)
    assert [len(page) for page in pages] == [2, 2, 1]
    flat = [petition_id for page in pages for petition_id in page]
    assert sorted(flat) == sorted(times)
    assert flat[0] == "p-4" and flat[-1] == "p-0"
    assert set(flat[1:3]) == {"p-2", "p-3"}

    everything = inbox_api.ListInbox(
        pb.ListInboxRequest(recipient_id="worker-1"), metadata=as_caller("worker-1")
    )
    assert everything.unread_count == 5
    assert everything.next_page_token == ""
    newest = everything.items[0]
    assert newest.created_at.ToDatetime(tzinfo=UTC) == T0 + timedelta(minutes=3)


def test_marking_read_counts_down_and_filters_the_unread(store: Store, inbox_api: Stub) -> None:
    for minute in range(4):
        deliver(store, "worker-1", f"p-{minute}", T0 + timedelta(minutes=minute))
    deliver(store, "worker-2", "p-theirs", T0)
    me = as_caller("worker-1")
    items = inbox_api.ListInbox(pb.ListInboxRequest(recipient_id="worker-1"), metadata=me).items
    theirs = inbox_api.ListInbox(
        pb.ListInboxRequest(recipient_id="worker-2"), metadata=as_caller("worker-2")
    ).items[0]

    # Another person's item id, an unknown id and a repeat are ignored.
    marked = inbox_api.MarkRead(
        pb.MarkReadRequest(
            recipient_id="worker-1",
            item_ids=[items[0].id, items[1].id, items[1].id, theirs.id, str(uuid.uuid4())],
        ),
        metadata=me,
    )
    assert marked.unread_count == 2
    again = inbox_api.MarkRead(
        pb.MarkReadRequest(recipient_id="worker-1", item_ids=[items[0].id]), metadata=me
    )
    assert again.unread_count == 2
    assert all_pages(inbox_api, "worker-1", page_size=10, unread_only=True) == [["p-1", "p-0"]]
    still = inbox_api.ListInbox(
        pb.ListInboxRequest(recipient_id="worker-2"), metadata=as_caller("worker-2")
    )
    assert still.unread_count == 1


def test_one_event_applied_twice_still_makes_one_item(store: Store, inbox_api: Stub) -> None:
    # E.g. replayed from the DLQ under another consumer name: the table itself refuses a twin.
    before = notices_created()
    event_id = deliver(store, "worker-1", "p-1", T0)
    deliver(store, "worker-1", "p-1", T0, event_id=event_id)
    with transaction(store.sessions) as session:
        count = session.execute(select(func.count()).select_from(InboxItem)).scalar_one()
    assert count == 1
    assert notices_created() == before + 1


def notices_created() -> float:
    labels = {"kind": "petition_assigned", "channel": "inbox"}
    value = REGISTRY.get_sample_value("gridplus_notification_notices_created_total", labels)
    return value or 0.0


def test_admins_and_services_read_any_inbox_others_only_their_own(
    store: Store, inbox_api: Stub
) -> None:
    deliver(store, "worker-1", "p-1", T0)
    request = pb.ListInboxRequest(recipient_id="worker-1")
    for role in (Role.ADMIN, Role.SERVICE):
        assert len(inbox_api.ListInbox(request, metadata=as_caller("ops", role)).items) == 1
    for role in (Role.GRID_CHIEF, Role.RESIDENT, Role.INSPECTOR):
        denied = code_of(lambda r=role: inbox_api.ListInbox(request, metadata=as_caller("x", r)))
        assert denied == grpc.StatusCode.PERMISSION_DENIED
    assert code_of(lambda: inbox_api.ListInbox(request)) == grpc.StatusCode.UNAUTHENTICATED


@pytest.mark.parametrize(
    "request_",
    [
        pb.ListInboxRequest(recipient_id=""),
        pb.ListInboxRequest(recipient_id="worker-1", page_size=-1),
        pb.ListInboxRequest(recipient_id="worker-1", page_token="not-a-token"),
    ],
)
def test_bad_list_requests_are_invalid_arguments(
    inbox_api: Stub, request_: pb.ListInboxRequest
) -> None:
    call = lambda: inbox_api.ListInbox(request_, metadata=as_caller("worker-1"))  # noqa: E731
    assert code_of(call) == grpc.StatusCode.INVALID_ARGUMENT


def test_a_malformed_item_id_is_an_invalid_argument_and_marks_nothing(
    store: Store, inbox_api: Stub
) -> None:
    deliver(store, "worker-1", "p-1", T0)
    me = as_caller("worker-1")
    (item,) = inbox_api.ListInbox(pb.ListInboxRequest(recipient_id="worker-1"), metadata=me).items
    request = pb.MarkReadRequest(recipient_id="worker-1", item_ids=[item.id, "nope"])
    with pytest.raises(grpc.RpcError) as failed:
        inbox_api.MarkRead(request, metadata=me)
    assert failed.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    status = rpc_status.from_call(failed.value)  # type: ignore[arg-type]
    assert status is not None
    bad_request = error_details_pb2.BadRequest()
    status.details[0].Unpack(bad_request)
    assert [v.field for v in bad_request.field_violations] == ["item_ids[1]"]
    listed = inbox_api.ListInbox(pb.ListInboxRequest(recipient_id="worker-1"), metadata=me)
    assert listed.unread_count == 1
