"""The port every sending channel implements; the delivery worker knows only this."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

from gridplus.notification.domain.delivery import SendFailed
from gridplus.notification.domain.notices import Channel

__all__ = ["ChannelAdapter", "Outgoing", "SendFailed"]


@dataclass(frozen=True)
class Outgoing:
    """One message to send. `address` is personal data: never log it, log `delivery_id`."""

    delivery_id: str
    address: str  # email address, phone number or webhook URL
    title: str
    body: str  # for webhooks: the JSON document to POST
    event_type: str
    secret: str = ""  # webhooks: the subscription's signing secret

    def __repr__(self) -> str:
        return f"Outgoing({self.delivery_id!r})"


class ChannelAdapter(ABC):
    channel: Channel

    @abstractmethod
    def endpoint(self, message: Outgoing) -> str:
        """The endpoint a message goes to, as the circuit breaker keys it (no personal data)."""

    @abstractmethod
    def send(self, message: Outgoing) -> None:
        """Send once; raises SendFailed (permanent or not) when the endpoint did not accept it."""
