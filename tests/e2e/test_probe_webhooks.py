"""The outside probe of issue 18 (hole 2) against the running platform: webhooks to internal
addresses, in every spelling the probe used, are refused when created; a receiver that answers
302 is not followed; and the one receiver the stack's allow-list names is served as before.

The stack allows exactly 127.0.0.1:<its webhook_receiver port> (tools/stack.py); the probe's
addresses — 127.0.0.1:18999, the platform's own resident API — are not on that list."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import grpc
import pytest
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from gridplus.api.notification.v1 import notification_pb2 as pb
from gridplus.api.notification.v1 import notification_pb2_grpc
from gridplus.kit.auth import Role
from gridplus.notification.channels.signing import InvalidSignature, WebhookVerifier
from tests.e2e.client import TIMES_SQUARE, channel, grpc_metadata, submit
from tests.support.ports import wait_for_port
from tools.stack import LocalStack

pytestmark = pytest.mark.e2e

SUBMITTED = "gridplus.events.v1.PetitionSubmitted"


def probe_urls(stack: LocalStack) -> list[str]:
    return [
        "http://127.0.0.1:18999/hooks",
        "http://localhost:18999/hooks",
        "http://2130706433:18999/hooks",
        "http://127.1:18999/hooks",
        "http://0x7f.1:18999/hooks",
        "http://0177.0.0.1:18999/hooks",
        "http://[::ffff:127.0.0.1]:18999/hooks",
        "http://[::1]:18999/hooks",
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.1/hooks",
        f"http://127.0.0.1:{stack.ports.http}/api/v1/petitions",  # the platform's own API
        f"http://127.0.0.1:{stack.ports.grpc['petition']}/",
        f"http://localhost:{stack.ports.http}/api/v1/petitions",
    ]


@pytest.fixture
def notification(stack: LocalStack) -> Iterator[notification_pb2_grpc.NotificationServiceStub]:
    with channel(stack, "notification") as opened:
        yield notification_pb2_grpc.NotificationServiceStub(opened)


def url_violation(error: grpc.RpcError) -> str:
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT, error
    status = rpc_status.from_call(error)  # type: ignore[arg-type]
    assert status is not None
    bad = error_details_pb2.BadRequest()
    status.details[0].Unpack(bad)
    [violation] = bad.field_violations
    assert violation.field == "url"
    return str(violation.description)


def test_webhooks_to_internal_addresses_are_refused_when_created(
    stack: LocalStack, notification: notification_pb2_grpc.NotificationServiceStub
) -> None:
    admin = grpc_metadata(stack, Role.ADMIN)
    reasons = {}
    for url in probe_urls(stack):
        request = pb.CreateWebhookSubscriptionRequest(url=url, event_types=[SUBMITTED])
        with pytest.raises(grpc.RpcError) as refused:
            notification.CreateWebhookSubscription(request, metadata=admin, timeout=10)
        reasons[url] = url_violation(refused.value)
    assert all("only public addresses" in why for why in reasons.values()), reasons
    listed = notification.ListWebhookSubscriptions(
        pb.ListWebhookSubscriptionsRequest(), metadata=admin, timeout=10
    )
    assert not {s.url for s in listed.subscriptions} & set(probe_urls(stack))


@dataclass
class Receiver:
    """The allowed receiver: /hooks/redirect answers 302 to /hooks/stolen on this same server,
    /hooks/ok verifies the signature and answers 204. Every request line is kept."""

    port: int
    requests: list[str] = field(default_factory=list)
    verifiers: dict[str, WebhookVerifier] = field(default_factory=dict)
    verified: list[str] = field(default_factory=list)

    def serve(self) -> ThreadingHTTPServer:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                receiver.requests.append(f"POST {self.path}")
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                status = receiver.answer(self.path, dict(self.headers.items()), body)
                self.send_response(status)
                if status == 302:
                    self.send_header("Location", f"http://127.0.0.1:{receiver.port}/hooks/stolen")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def do_GET(self) -> None:
                receiver.requests.append(f"GET {self.path}")
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
        wait_for_port(self.port)
        return server

    def answer(self, path: str, headers: dict[str, str], body: bytes) -> int:
        if path == "/hooks/redirect":
            return 302
        verifier = self.verifiers.get(path)
        if verifier is None:
            return 404
        try:
            self.verified.append(verifier.verify(headers, body))
        except InvalidSignature:
            return 401
        return 204


def wait_for_final(
    notification: notification_pb2_grpc.NotificationServiceStub,
    admin: list[tuple[str, str]],
    subscription_id: str,
    petition_id: str,
) -> pb.Delivery:
    deadline = time.monotonic() + 30
    while True:
        listed = notification.ListDeliveries(
            pb.ListDeliveriesRequest(recipient_id=subscription_id), metadata=admin, timeout=10
        )
        mine = [d for d in listed.deliveries if d.petition_id == petition_id]
        final = (pb.DELIVERY_STATUS_SENT, pb.DELIVERY_STATUS_FAILED)
        if mine and mine[0].status in final:
            return mine[0]
        assert time.monotonic() < deadline, f"no final delivery for {petition_id}: {mine}"
        time.sleep(0.2)


def test_a_redirect_is_not_followed_and_the_allowed_receiver_is_served(
    stack: LocalStack, notification: notification_pb2_grpc.NotificationServiceStub
) -> None:
    admin = grpc_metadata(stack, Role.ADMIN)
    receiver = Receiver(stack.ports.webhook_receiver)
    server = receiver.serve()
    base = f"http://127.0.0.1:{receiver.port}"
    subscriptions: dict[str, str] = {}
    try:
        for path in ("/hooks/redirect", "/hooks/ok"):
            created = notification.CreateWebhookSubscription(
                pb.CreateWebhookSubscriptionRequest(url=base + path, event_types=[SUBMITTED]),
                metadata=admin,
                timeout=10,
            )
            subscriptions[path] = created.subscription.id
            receiver.verifiers[path] = WebhookVerifier(created.secret)
        petition_id = submit(stack, {"title": "Broken bench", "description": "x", **TIMES_SQUARE})

        redirected = wait_for_final(
            notification, admin, subscriptions["/hooks/redirect"], petition_id
        )
        served = wait_for_final(notification, admin, subscriptions["/hooks/ok"], petition_id)
    finally:
        for subscription_id in subscriptions.values():
            notification.DeleteWebhookSubscription(
                pb.DeleteWebhookSubscriptionRequest(id=subscription_id), metadata=admin, timeout=10
            )
        server.shutdown()
        server.server_close()
    assert redirected.status == pb.DELIVERY_STATUS_FAILED
    assert redirected.attempts == 1
    assert redirected.last_error.startswith("refused: HTTP 302: redirects are not followed")
    assert not any("/hooks/stolen" in line for line in receiver.requests), receiver.requests
    assert served.status == pb.DELIVERY_STATUS_SENT, served.last_error
    assert served.id in receiver.verified  # signed, fresh, and delivered once
