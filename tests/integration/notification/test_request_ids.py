"""Every mutating RPC is applied once per request id: the same id again answers as the first call
did and changes nothing; the same id with another request is refused naming request_id."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import grpc
import pytest
from google.rpc import error_details_pb2
from grpc_status import rpc_status
from sqlalchemy import func, select

from gridplus.api.notification.v1 import notification_pb2 as pb
from gridplus.kit.auth import Role
from gridplus.kit.clock import ManualClock
from gridplus.kit.db import transaction
from gridplus.notification.storage.models import Bulletin, Delivery, InboxItem, WebhookSubscription
from tests.integration.notification.conftest import T0, Store, Stub, as_caller
from tests.integration.notification.test_inbox_api import deliver

pytestmark = pytest.mark.integration

ADMIN = as_caller("ops", Role.ADMIN)
CHIEF_1 = as_caller("chief-1", Role.GRID_CHIEF, grid_codes=("G-01",))
ASSIGNED = "gridplus.events.v1.PetitionAssigned"
MERGED = "gridplus.events.v1.PetitionMerged"


def refused_fields(call) -> list[str]:  # type: ignore[no-untyped-def]
    """The fields an INVALID_ARGUMENT names."""
    with pytest.raises(grpc.RpcError) as failed:
        call()
    assert failed.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    status = rpc_status.from_call(failed.value)  # type: ignore[arg-type]
    assert status is not None
    bad_request = error_details_pb2.BadRequest()
    status.details[0].Unpack(bad_request)
    return [v.field for v in bad_request.field_violations]


def count(store: Store, table: type, *where: object) -> int:
    with transaction(store.sessions) as session:
        query = select(func.count()).select_from(table).where(*where)  # type: ignore[arg-type]
        return int(session.execute(query).scalar_one())


def test_mark_read_twice_with_one_request_id_answers_the_first_count(
    store: Store, api: Stub, clock: ManualClock
) -> None:
    for minute in range(2):
        deliver(store, "worker-1", f"p-{minute}", T0 + timedelta(minutes=minute))
    me = as_caller("worker-1")
    first, second = api.ListInbox(pb.ListInboxRequest(recipient_id="worker-1"), metadata=me).items
    request = pb.MarkReadRequest(recipient_id="worker-1", item_ids=[first.id], request_id="r-1")
    assert api.MarkRead(request, metadata=me).unread_count == 1
    read_at = read_times(store)

    api.MarkRead(pb.MarkReadRequest(recipient_id="worker-1", item_ids=[second.id]), metadata=me)
    clock.advance(timedelta(minutes=5))
    assert api.MarkRead(request, metadata=me).unread_count == 1  # the first answer, replayed
    assert read_times(store)[first.id] == read_at[first.id]

    other = pb.MarkReadRequest(recipient_id="worker-1", item_ids=[second.id], request_id="r-1")
    assert refused_fields(lambda: api.MarkRead(other, metadata=me)) == ["request_id"]


def read_times(store: Store) -> dict[str, object]:
    with transaction(store.sessions) as session:
        rows = session.execute(select(InboxItem.id, InboxItem.read_at)).all()
    return {str(item_id): read_at for item_id, read_at in rows}


def test_creating_a_subscription_twice_with_one_request_id_makes_one(
    store: Store, api: Stub
) -> None:
    request = pb.CreateWebhookSubscriptionRequest(
        url="http://127.0.0.1:9/hook", event_types=[ASSIGNED], request_id="sub-1"
    )
    first = api.CreateWebhookSubscription(request, metadata=ADMIN)
    again = api.CreateWebhookSubscription(request, metadata=ADMIN)
    assert again.subscription.id == first.subscription.id
    assert again.secret == first.secret
    assert count(store, WebhookSubscription) == 1

    other = pb.CreateWebhookSubscriptionRequest(
        url="http://127.0.0.1:9/hook", event_types=[MERGED], request_id="sub-1"
    )
    call = lambda: api.CreateWebhookSubscription(other, metadata=ADMIN)  # noqa: E731
    assert refused_fields(call) == ["request_id"]
    assert count(store, WebhookSubscription) == 1

    # Request ids are the caller's own: another operator's "sub-1" is another request.
    theirs = api.CreateWebhookSubscription(request, metadata=as_caller("ops-2", Role.ADMIN))
    assert theirs.subscription.id != first.subscription.id


def test_deleting_a_subscription_twice_with_one_request_id_succeeds_once(
    store: Store, api: Stub, clock: ManualClock
) -> None:
    created = api.CreateWebhookSubscription(
        pb.CreateWebhookSubscriptionRequest(url="http://127.0.0.1:9/h", event_types=[ASSIGNED]),
        metadata=ADMIN,
    )
    sub_id = created.subscription.id
    request = pb.DeleteWebhookSubscriptionRequest(id=sub_id, request_id="del-1")
    api.DeleteWebhookSubscription(request, metadata=ADMIN)
    deleted_at = deleted_times(store)
    clock.advance(timedelta(minutes=1))
    api.DeleteWebhookSubscription(request, metadata=ADMIN)  # a retry: answered, not NOT_FOUND
    assert deleted_times(store) == deleted_at

    with pytest.raises(grpc.RpcError) as gone:  # without the id it is a new request
        api.DeleteWebhookSubscription(
            pb.DeleteWebhookSubscriptionRequest(id=sub_id), metadata=ADMIN
        )
    assert gone.value.code() == grpc.StatusCode.NOT_FOUND

    other = pb.DeleteWebhookSubscriptionRequest(id=str(uuid.uuid4()), request_id="del-1")
    call = lambda: api.DeleteWebhookSubscription(other, metadata=ADMIN)  # noqa: E731
    assert refused_fields(call) == ["request_id"]


def deleted_times(store: Store) -> list[object]:
    with transaction(store.sessions) as session:
        return list(session.scalars(select(WebhookSubscription.deleted_at)))


def test_sending_a_bulletin_twice_with_one_request_id_sends_one(store: Store, api: Stub) -> None:
    request = pb.SendBulletinRequest(
        grid_code="G-01-01", title_zh="停电通知", body_zh="今晚停电。", request_id="b-1"
    )
    first = api.SendBulletin(request, metadata=CHIEF_1)
    deliveries = count(store, Delivery)
    items = count(store, InboxItem)
    again = api.SendBulletin(request, metadata=CHIEF_1)
    assert (again.bulletin_id, again.recipient_count, again.delivery_count) == (
        first.bulletin_id,
        first.recipient_count,
        first.delivery_count,
    )
    assert count(store, Bulletin) == 1
    assert (count(store, Delivery), count(store, InboxItem)) == (deliveries, items)

    other = pb.SendBulletinRequest(
        grid_code="G-01-01", title_zh="停水通知", body_zh="今晚停水。", request_id="b-1"
    )
    assert refused_fields(lambda: api.SendBulletin(other, metadata=CHIEF_1)) == ["request_id"]
    assert count(store, Bulletin) == 1


@pytest.mark.parametrize(
    "call",
    [
        lambda api, rid: api.MarkRead(
            pb.MarkReadRequest(recipient_id="ops", request_id=rid), metadata=ADMIN
        ),
        lambda api, rid: api.DeleteWebhookSubscription(
            pb.DeleteWebhookSubscriptionRequest(id=str(uuid.uuid4()), request_id=rid),
            metadata=ADMIN,
        ),
        lambda api, rid: api.CreateWebhookSubscription(
            pb.CreateWebhookSubscriptionRequest(
                url="http://127.0.0.1:9/h", event_types=[ASSIGNED], request_id=rid
            ),
            metadata=ADMIN,
        ),
    ],
)
def test_a_request_id_longer_than_100_characters_is_refused(api: Stub, call) -> None:  # type: ignore[no-untyped-def]
    assert refused_fields(lambda: call(api, "x" * 101)) == ["request_id"]


def test_copies_of_one_bulletin_racing_each_other_send_it_once(store: Store, api: Stub) -> None:
    # Copies may all pass the first look-up before any has stored; the kit's run-once then
    # retries the losers, which answer with the winner's bulletin.
    request = pb.SendBulletinRequest(
        grid_code="G-01-01", title_zh="停电通知", body_zh="今晚停电。", request_id="b-race"
    )
    with ThreadPoolExecutor(max_workers=4) as pool:
        answers = list(pool.map(lambda _: api.SendBulletin(request, metadata=CHIEF_1), range(4)))
    assert len({answer.bulletin_id for answer in answers}) == 1
    assert count(store, Bulletin) == 1
    assert count(store, InboxItem) == answers[0].recipient_count
