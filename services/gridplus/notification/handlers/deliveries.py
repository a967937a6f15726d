"""Delivery status: who was sent what, on which channel, and how it went."""

from __future__ import annotations

from gridplus.kit.db import SessionFactory, transaction
from gridplus.kit.errors import InvalidArgument, PermissionDenied
from gridplus.kit.roles import Principal, Role
from gridplus.notification.domain.delivery import DeliveryRecord, DeliveryStatus
from gridplus.notification.storage import deliveries

OPERATORS = frozenset({Role.ADMIN, Role.SERVICE})
DEFAULT_DELIVERIES = 50
MAX_DELIVERIES = 500


class Deliveries:
    def __init__(self, sessions: SessionFactory) -> None:
        self._sessions = sessions

    def find(
        self,
        principal: Principal,
        *,
        event_id: str = "",
        recipient_id: str = "",
        petition_id: str = "",
        status: DeliveryStatus | None = None,
        page_size: int = 0,
    ) -> list[DeliveryRecord]:
        """Deliveries matching every filter; a person sees their own, operators any."""
        if not (event_id or recipient_id or petition_id or status):
            raise InvalidArgument.single(
                "recipient_id", "give event_id, recipient_id, petition_id or status"
            )
        if principal.role not in OPERATORS and recipient_id != principal.subject:
            raise PermissionDenied("you may list only your own deliveries")
        if page_size < 0:
            raise InvalidArgument.single("page_size", "must not be negative")
        with transaction(self._sessions) as session:
            return deliveries.get_all(
                session,
                event_id=event_id,
                recipient_id=recipient_id,
                petition_id=petition_id,
                status=status,
                limit=min(page_size or DEFAULT_DELIVERIES, MAX_DELIVERIES),
            )
