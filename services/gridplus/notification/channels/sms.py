"""SMS through a provider-agnostic HTTP gateway.

The gateway takes `POST <url>` with `Authorization: Bearer <token>` and a JSON body
{"to": phone, "text": text, "reference": delivery id, "language": tag}; any 2xx means accepted.
A provider's own API sits behind a small gateway of that shape, so no provider SDK lives here.
"""

from __future__ import annotations

import json

from gridplus.kit.egress import EgressGuard
from gridplus.notification.channels import posting
from gridplus.notification.channels.base import ChannelAdapter, Outgoing
from gridplus.notification.domain.notices import Channel

MAX_TEXT = 300  # a few SMS segments; longer text belongs in the inbox


class HttpSmsGateway(ChannelAdapter):
    channel = Channel.SMS

    def __init__(
        self, url: str, token: str, timeout_seconds: float = 10.0, *, egress: EgressGuard
    ) -> None:
        self._url = url
        self._token = token
        self._timeout = timeout_seconds
        self._egress = egress

    def endpoint(self, message: Outgoing) -> str:
        return posting.origin(self._url)

    def send(self, message: Outgoing) -> None:
        text = f"【Grid+】{message.title}: {message.body}"[:MAX_TEXT]
        document = {"to": message.address, "text": text, "reference": message.delivery_id}
        headers = {
            "Content-Type": "application/json",
            "Authorization": f"Bearer {self._token}",
            "Idempotency-Key": message.delivery_id,
        }
        body = json.dumps(document).encode()
        posting.post(self._egress, self._url, body, headers, timeout=self._timeout)
