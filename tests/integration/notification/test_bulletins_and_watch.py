"""Bulletins fan out to a grid subtree with a progress count; WatchInbox streams new items;
webhook subscriptions are checked and scoped."""

from __future__ import annotations

import threading
import uuid
from datetime import timedelta

import grpc
import pytest

from gridplus.api.common.v1 import common_pb2
from gridplus.api.events.v1 import events_pb2
from gridplus.api.notification.v1 import notification_pb2 as pb
from gridplus.kit.auth import Role
from gridplus.kit.clock import ManualClock
from gridplus.kit.db import transaction
from gridplus.kit.events import Event
from gridplus.notification.api.convert import received
from gridplus.notification.handlers.notices import Notifier
from tests.integration.notification.conftest import Store, Stub, WorkerFactory, as_caller
from tests.integration.notification.servers import SmtpSink

pytestmark = pytest.mark.integration

CHIEF_1 = as_caller("chief-1", Role.GRID_CHIEF, grid_codes=("G-01",))
ADMIN = as_caller("ops", Role.ADMIN)


def bulletin(grid: str = "G-01-01", request_id: str = "") -> pb.SendBulletinRequest:
    return pb.SendBulletinRequest(
        grid_code=grid,
        title_zh="停水通知",
        body_zh="明日 9:00-12:00 停水。",
        title_en="Water cut",
        body_en="No water tomorrow 9:00-12:00.",
        request_id=request_id or str(uuid.uuid4()),
    )


def code_of(call) -> grpc.StatusCode:  # type: ignore[no-untyped-def]
    with pytest.raises(grpc.RpcError) as failed:
        call()
    return failed.value.code()


def test_a_bulletin_reaches_the_subtree_once_with_progress(
    api: Stub, smtp: SmtpSink, make_worker: WorkerFactory
) -> None:
    request = bulletin()
    sent = api.SendBulletin(request, metadata=CHIEF_1)
    # G-01-01 and G-01-01-01: chief-3, worker-7, worker-8 (G-01's own people are above it).
    assert sent.recipient_count == 3
    assert sent.delivery_count == 5  # three inbox items, two emails
    progress = api.GetBulletinProgress(
        pb.GetBulletinProgressRequest(bulletin_id=sent.bulletin_id), metadata=CHIEF_1
    )
    assert (progress.total, progress.sent, progress.pending, progress.failed) == (5, 3, 2, 0)

    make_worker().run_once()
    progress = api.GetBulletinProgress(
        pb.GetBulletinProgressRequest(bulletin_id=sent.bulletin_id), metadata=CHIEF_1
    )
    assert (progress.total, progress.sent, progress.pending) == (5, 5, 0)
    assert smtp.to("chief3@gov.example")[0]["Subject"] == "Water cut"
    assert smtp.to("worker7@gov.example")[0]["Subject"] == "停水通知"

    again = api.SendBulletin(request, metadata=CHIEF_1)  # a retried call
    assert again.bulletin_id == sent.bulletin_id
    assert make_worker().run_once() == 0
    inbox = api.ListInbox(pb.ListInboxRequest(recipient_id="worker-8"), metadata=ADMIN)
    assert [item.title for item in inbox.items] == ["停水通知"]
    assert inbox.items[0].petition_id == ""


def test_bulletins_stay_inside_the_senders_subtree(api: Stub) -> None:
    assert code_of(lambda: api.SendBulletin(bulletin("G-02"), metadata=CHIEF_1)) == (
        grpc.StatusCode.PERMISSION_DENIED
    )
    assert code_of(lambda: api.SendBulletin(bulletin("G-404"), metadata=ADMIN)) == (
        grpc.StatusCode.NOT_FOUND
    )
    worker = as_caller("worker-7", Role.GRID_WORKER, grid_codes=("G-01",))
    assert code_of(lambda: api.SendBulletin(bulletin(), metadata=worker)) == (
        grpc.StatusCode.PERMISSION_DENIED
    )
    empty = pb.SendBulletinRequest(grid_code="G-01", request_id="r")
    assert code_of(lambda: api.SendBulletin(empty, metadata=ADMIN)) == (
        grpc.StatusCode.INVALID_ARGUMENT
    )
    sent = api.SendBulletin(bulletin("G-02"), metadata=ADMIN)
    other_chief = as_caller("chief-2", Role.GRID_CHIEF, grid_codes=("G-02",))
    progress = pb.GetBulletinProgressRequest(bulletin_id=sent.bulletin_id)
    assert code_of(lambda: api.GetBulletinProgress(progress, metadata=other_chief)) == (
        grpc.StatusCode.NOT_FOUND
    )


def test_watch_inbox_streams_items_as_they_arrive(
    store: Store, api: Stub, notifier: Notifier, clock: ManualClock
) -> None:
    me = as_caller("worker-7")
    stream = api.WatchInbox(pb.WatchInboxRequest(recipient_id="worker-7"), metadata=me, timeout=20)
    assert dict(stream.initial_metadata())["gridplus-watch-cursor"]  # established
    first: list[pb.WatchInboxResponse] = []
    reader = threading.Thread(target=lambda: first.append(next(stream)), daemon=True)
    reader.start()
    clock.advance(timedelta(seconds=1))
    payload = events_pb2.PetitionAssigned(
        petition_id="p-live", grid=common_pb2.GridRef(code="G-01-01-01"), assignee_id="worker-7"
    )
    event = Event.create(payload, key="p-live", source="/gridplus/dispatch", time=clock.now())
    plan = notifier.prepare(received(event))
    with transaction(store.sessions) as session:
        notifier.apply(session, plan)
    reader.join(10)
    stream.cancel()
    assert [r.item.petition_id for r in first] == ["p-live"]
    assert first[0].item.recipient_id == "worker-7"

    other = api.WatchInbox(pb.WatchInboxRequest(recipient_id="worker-7"), metadata=as_caller("x"))
    assert code_of(lambda: next(other)) == grpc.StatusCode.PERMISSION_DENIED


@pytest.mark.parametrize(
    ("url", "types", "field"),
    [
        ("ftp://example.org/x", ["gridplus.events.v1.PetitionAssigned"], "url"),
        ("http://example.org/x", [], "event_types"),
        ("http://example.org/x", ["gridplus.events.v1.Nope"], "event_types[0]"),
    ],
)
def test_bad_subscriptions_are_refused(api: Stub, url: str, types: list[str], field: str) -> None:
    request = pb.CreateWebhookSubscriptionRequest(url=url, event_types=types)
    with pytest.raises(grpc.RpcError) as failed:
        api.CreateWebhookSubscription(request, metadata=ADMIN)
    assert failed.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert field in (failed.value.details() or "")


def test_only_operators_manage_webhooks_and_deleting_stops_deliveries(api: Stub) -> None:
    request = pb.CreateWebhookSubscriptionRequest(
        url="http://127.0.0.1:9/x", event_types=["gridplus.events.v1.PetitionAssigned"]
    )
    staff = as_caller("d-1", Role.DEPARTMENT_HEAD)
    assert code_of(lambda: api.CreateWebhookSubscription(request, metadata=staff)) == (
        grpc.StatusCode.PERMISSION_DENIED
    )
    created = api.CreateWebhookSubscription(request, metadata=ADMIN)
    assert len(created.secret) >= 32
    listed = api.ListWebhookSubscriptions(pb.ListWebhookSubscriptionsRequest(), metadata=ADMIN)
    assert [s.id for s in listed.subscriptions] == [created.subscription.id]
    api.DeleteWebhookSubscription(
        pb.DeleteWebhookSubscriptionRequest(id=created.subscription.id), metadata=ADMIN
    )
    listed = api.ListWebhookSubscriptions(pb.ListWebhookSubscriptionsRequest(), metadata=ADMIN)
    assert list(listed.subscriptions) == []


def test_people_see_only_their_own_deliveries(api: Stub) -> None:
    mine = pb.ListDeliveriesRequest(recipient_id="worker-7")
    assert list(api.ListDeliveries(mine, metadata=as_caller("worker-7")).deliveries) == []
    assert code_of(lambda: api.ListDeliveries(mine, metadata=as_caller("worker-8"))) == (
        grpc.StatusCode.PERMISSION_DENIED
    )
    assert code_of(lambda: api.ListDeliveries(pb.ListDeliveriesRequest(), metadata=ADMIN)) == (
        grpc.StatusCode.INVALID_ARGUMENT
    )
