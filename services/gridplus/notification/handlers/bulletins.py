"""Sending bulletins to a grid subtree, and their progress.

The subtree and its people come from grid-registry before any transaction opens; the bulletin,
its inbox items and its pending deliveries are then stored in one transaction, so a bulletin is
either fanned out whole or not at all. A retried call with the same request id answers as the
first did and sends nothing twice; the same id with another text is refused (kit run_once).
Progress counts the deliveries by status; the worker moves them along.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from gridplus.kit.clock import Clock
from gridplus.kit.db import SessionFactory, transaction
from gridplus.kit.errors import InvalidArgument, NotFound, PermissionDenied
from gridplus.kit.idempotency import caller_scope, recall, request_fingerprint, run_once
from gridplus.kit.roles import Principal, Role
from gridplus.notification.domain.bulletins import (
    Bulletin,
    BulletinSent,
    BulletinText,
    Progress,
    distinct_recipients,
    may_see,
    may_send,
)
from gridplus.notification.handlers.notices import Notifier
from gridplus.notification.ports import RecipientDirectory
from gridplus.notification.storage import bulletins

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


class Bulletins:
    def __init__(
        self,
        sessions: SessionFactory,
        directory: RecipientDirectory,
        notifier: Notifier,
        clock: Clock,
    ) -> None:
        self._sessions = sessions
        self._directory = directory
        self._notifier = notifier
        self._clock = clock

    def send(self, principal: Principal, text: BulletinText) -> BulletinSent:
        text.check()
        scope = caller_scope("SendBulletin", principal.subject)
        request = text.fingerprint()
        # A retry answers before asking grid-registry anything (the grid may be gone by now).
        with transaction(self._sessions) as session:
            earlier = recall(
                session,
                scope=scope,
                key=text.request_id,
                fingerprint=request_fingerprint(request),
                field="request_id",
            )
        if earlier is not None:
            return _sent(earlier)
        subtree = self._directory.subtree(text.grid_code)
        if subtree is None:
            raise NotFound(f"no grid {text.grid_code}")
        if not may_send(principal, subtree.path):
            raise PermissionDenied("grid chiefs send bulletins only to their own grid subtree")
        recipients = distinct_recipients(subtree.members)

        def store(session: Session) -> dict[str, Any]:
            bulletin = bulletins.create(
                session,
                request_key=_request_key(scope, text.request_id),
                grid_code=subtree.grid_code,
                sent_by=principal.subject,
                recipients=len(recipients),
                now=self._clock.now(),
            )
            created = self._notifier.send_bulletin(
                session, bulletin_id=bulletin.id, recipients=recipients, texts=text.texts()
            )
            return {
                "bulletin_id": str(bulletin.id),
                "recipient_count": len(recipients),
                "delivery_count": created,
            }

        answer, _ = run_once(
            self._sessions,
            self._clock,
            scope=scope,
            key=text.request_id,
            request=request,
            action=store,
        )
        return _sent(answer)

    def progress(self, principal: Principal, bulletin_id: uuid.UUID) -> Progress:
        with transaction(self._sessions) as session:
            bulletin = bulletins.get(session, bulletin_id)
            if bulletin is None or not may_see(principal, bulletin):
                raise NotFound(f"no bulletin {bulletin_id}")
            counts = bulletins.counts(session, bulletin_id)
        return _progress(bulletin, counts)

    def list_newest(self, principal: Principal, *, page_size: int) -> list[Listed]:
        """The caller's own bulletins (admins and services: everyone's), newest first."""
        if page_size < 0:
            raise InvalidArgument.single("page_size", "must not be negative")
        limit = min(page_size or DEFAULT_LISTED, MAX_LISTED)
        everyone = principal.role in (Role.ADMIN, Role.SERVICE)
        with transaction(self._sessions) as session:
            found = bulletins.newest(
                session, sent_by=None if everyone else principal.subject, limit=limit
            )
            return [
                Listed(
                    bulletin=bulletin,
                    sent_at=sent_at,
                    progress=_progress(bulletin, bulletins.counts(session, bulletin.id)),
                )
                for bulletin, sent_at in found
            ]


DEFAULT_LISTED = 20
MAX_LISTED = 100


@dataclass(frozen=True)
class Listed:
    bulletin: Bulletin
    sent_at: datetime
    progress: Progress


def _progress(bulletin: Bulletin, counts: dict[str, int]) -> Progress:
    return Progress(
        bulletin_id=bulletin.id,
        grid_code=bulletin.grid_code,
        recipient_count=bulletin.recipient_count,
        sent=counts.get("sent", 0),
        pending=counts.get("pending", 0),
        failed=counts.get("failed", 0),
    )


def _sent(answer: dict[str, Any]) -> BulletinSent:
    return BulletinSent(
        uuid.UUID(answer["bulletin_id"]),
        int(answer["recipient_count"]),
        int(answer["delivery_count"]),
    )


def _request_key(scope: str, request_id: str) -> str:
    """The bulletin row's unique request key: one bulletin per caller and request id."""
    return hashlib.sha256(f"{scope}\n{request_id}".encode()).hexdigest()
