"""Notification's own metrics (the kit's gRPC, consumer and outbox metrics come on top)."""

from __future__ import annotations

from prometheus_client import Counter

NOTICES_CREATED = Counter(
    "gridplus_notification_notices_created_total",
    "Notices created for a recipient, by kind and channel (inbox, later email, webhook, sms).",
    ["kind", "channel"],
)
