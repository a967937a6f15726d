"""Operator commands besides `serve` and `migrate`: python -m gridplus.notification <command>."""

from __future__ import annotations

import logging

from gridplus.kit.db import SessionFactory, transaction
from gridplus.kit.pii import KeyRing
from gridplus.notification.storage import deliveries

log = logging.getLogger(__name__)


def reseal_addresses(sessions: SessionFactory, keys: KeyRing) -> None:
    """`reseal-addresses`, after a key rotation (or the upgrade to sealed addresses): seal every
    pending delivery's address under the active key, a batch per transaction."""
    total = 0
    while True:
        with transaction(sessions) as session:
            done = deliveries.reseal(session, keys=keys)
        total += done
        if not done:
            break
    log.info("delivery addresses resealed", extra={"deliveries": total, "key_id": keys.active_id})
