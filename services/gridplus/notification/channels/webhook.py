"""Signed webhook POSTs (see signing.py for the scheme and the receivers' verifier)."""

from __future__ import annotations

from gridplus.kit.clock import Clock
from gridplus.kit.egress import EgressGuard
from gridplus.notification.channels import posting
from gridplus.notification.channels.base import ChannelAdapter, Outgoing
from gridplus.notification.channels.signing import signature_headers
from gridplus.notification.domain.notices import Channel


class SignedWebhook(ChannelAdapter):
    channel = Channel.WEBHOOK

    def __init__(self, clock: Clock, timeout_seconds: float = 10.0, *, egress: EgressGuard) -> None:
        self._clock = clock
        self._timeout = timeout_seconds
        self._egress = egress

    def endpoint(self, message: Outgoing) -> str:
        return posting.origin(message.address)

    def send(self, message: Outgoing) -> None:
        body = message.body.encode()
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "gridplus-notification",
            "X-GridPlus-Event-Type": message.event_type,
            **signature_headers(
                message.secret, body, delivery_id=message.delivery_id, now=self._clock.now()
            ),
        }
        posting.post(self._egress, message.address, body, headers, timeout=self._timeout)
