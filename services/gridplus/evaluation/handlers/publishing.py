"""What every mutation ends with: the events its aggregate recorded, into the outbox of the same
unit of work, converted once by api/convert.py."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gridplus.evaluation.api.convert import payload
from gridplus.evaluation.domain.events import DomainEvent, FollowUpCompleted
from gridplus.kit.outbox import Outbox

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


def publish(session: Session, outbox: Outbox, event: DomainEvent) -> str:
    """Write `event` to the outbox (same transaction as the state change); its event id."""
    key = event.petition_id if isinstance(event, FollowUpCompleted) else event.assessment_id
    return outbox.add(session, payload(event), key=key)
