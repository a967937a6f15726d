"""Dispatch's use cases, one module per aggregate or use-case group: `routing` (a submitted
petition to an assignment, or to triage), `clocks` (step clocks as the petition moves),
`assignments` (accept, transfer, refuse; reading assignments), `whistles` (blow and report).

Each takes the caller's unit of work (a session) and plain values, loads aggregates from storage,
lets them decide, saves them and publishes the events they recorded in the same transaction.
Remote look-ups (grid-registry) happen before the transaction, never inside it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from gridplus.dispatch.api.convert import event_message
from gridplus.dispatch.domain.events import DomainEvent
from gridplus.kit.outbox import Outbox

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


def publish(session: Session, outbox: Outbox, recorded: list[DomainEvent]) -> None:
    """The recorded events into the outbox (keyed by petition), in the order they happened."""
    for event in _drain(recorded):
        outbox.add(session, event_message(event), key=event.petition_id)


def _drain(recorded: list[DomainEvent]) -> Iterable[DomainEvent]:
    taken = list(recorded)
    recorded.clear()
    return taken
