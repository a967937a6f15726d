"""Webhook subscriptions: a receiver that wants signed POSTs for some event types."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime

from gridplus.kit.roles import Principal, Role

MAX_URL = 2000


@dataclass(frozen=True)
class Subscription:
    id: uuid.UUID
    owner_id: str
    url: str
    event_types: tuple[str, ...]
    created_at: datetime
    secret: str = field(default="", repr=False)  # signs the POSTs; shown once, at creation

    def wants(self, event_type: str) -> bool:
        return event_type in self.event_types


def may_manage(principal: Principal, subscription: Subscription) -> bool:
    """Admins manage every subscription; other operators their own."""
    return principal.role == Role.ADMIN or subscription.owner_id == principal.subject
