"""Bulletins (辖区大事要闻, 宣传报道): a text for everyone in a grid subtree, over their channels.

The subtree and its people come from grid-registry before any transaction opens; the bulletin,
its inbox items and its pending deliveries are then stored in one transaction, so a bulletin is
either fanned out whole or not at all. A retried call with the same request id sends nothing
twice. Progress counts the deliveries by status; the worker moves them along.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import exc as sa_exc

from gridplus.kit.auth import Principal, Role
from gridplus.kit.clock import Clock
from gridplus.kit.db import SessionFactory, transaction
from gridplus.kit.errors import FieldViolation, InvalidArgument, NotFound, PermissionDenied
from gridplus.notification.domain.audience import Member
from gridplus.notification.domain.notices import Recipient
from gridplus.notification.domain.templates import EN, ZH_CN
from gridplus.notification.handlers.notices import Notifier, bulletin_source
from gridplus.notification.ports import RecipientDirectory
from gridplus.notification.storage import deliveries, inbox_items
from gridplus.notification.storage.models import Bulletin

MAX_TITLE = 200
MAX_BODY = 4000


@dataclass(frozen=True)
class BulletinText:
    grid_code: str
    title_zh: str
    body_zh: str
    title_en: str
    body_en: str
    request_id: str

    def check(self) -> None:
        violations: list[FieldViolation] = []
        for name in ("grid_code", "title_zh", "body_zh", "request_id"):
            if not getattr(self, name).strip():
                violations.append(FieldViolation(name, "required"))
        for name, limit in (("title_zh", MAX_TITLE), ("title_en", MAX_TITLE)):
            if len(getattr(self, name)) > limit:
                violations.append(FieldViolation(name, f"at most {limit} characters"))
        for name in ("body_zh", "body_en"):
            if len(getattr(self, name)) > MAX_BODY:
                violations.append(FieldViolation(name, f"at most {MAX_BODY} characters"))
        if bool(self.title_en) != bool(self.body_en):
            violations.append(
                FieldViolation("body_en", "give both title_en and body_en, or neither")
            )
        if len(self.request_id) > 100:
            violations.append(FieldViolation("request_id", "at most 100 characters"))
        if violations:
            raise InvalidArgument(violations)

    def texts(self) -> dict[str, tuple[str, str]]:
        texts = {ZH_CN: (self.title_zh, self.body_zh)}
        if self.title_en:
            texts[EN] = (self.title_en, self.body_en)
        return texts


@dataclass(frozen=True)
class BulletinSent:
    bulletin_id: uuid.UUID
    recipient_count: int
    delivery_count: int


@dataclass(frozen=True)
class Progress:
    bulletin_id: uuid.UUID
    grid_code: str
    recipient_count: int
    sent: int
    pending: int
    failed: int

    @property
    def total(self) -> int:
        return self.sent + self.pending + self.failed


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
        earlier = self._earlier(text.request_id)
        if earlier is not None:
            return earlier
        subtree = self._directory.subtree(text.grid_code)
        if subtree is None:
            raise NotFound(f"no grid {text.grid_code}")
        if not may_send(principal, subtree.path):
            raise PermissionDenied("grid chiefs send bulletins only to their own grid subtree")
        recipients = _distinct(subtree.members)
        try:
            with transaction(self._sessions) as session:
                bulletin = deliveries.create_bulletin(
                    session,
                    request_id=text.request_id,
                    grid_code=subtree.grid_code,
                    sent_by=principal.subject,
                    recipients=len(recipients),
                    now=self._clock.now(),
                )
                created = self._notifier.send_bulletin(
                    session, bulletin_id=bulletin.id, recipients=recipients, texts=text.texts()
                )
        except sa_exc.IntegrityError:
            # The same request id raced us and won: answer as it did.
            again = self._earlier(text.request_id)
            if again is None:
                raise
            return again
        return BulletinSent(bulletin.id, len(recipients), created)

    def progress(self, principal: Principal, bulletin_id: uuid.UUID) -> Progress:
        with transaction(self._sessions) as session:
            bulletin = deliveries.get_bulletin(session, bulletin_id)
            if bulletin is None or not _may_see(principal, bulletin):
                raise NotFound(f"no bulletin {bulletin_id}")
            counts = deliveries.bulletin_counts(session, bulletin_id)
            inbox = inbox_items.count_from_source(session, bulletin_source(bulletin_id))
        return Progress(
            bulletin_id=bulletin.id,
            grid_code=bulletin.grid_code,
            recipient_count=bulletin.recipient_count,
            sent=counts.get("sent", 0) + inbox,
            pending=counts.get("pending", 0),
            failed=counts.get("failed", 0),
        )

    def _earlier(self, request_id: str) -> BulletinSent | None:
        with transaction(self._sessions) as session:
            bulletin = deliveries.get_bulletin_by_request(session, request_id)
            if bulletin is None:
                return None
            counts = deliveries.bulletin_counts(session, bulletin.id)
            inbox = inbox_items.count_from_source(session, bulletin_source(bulletin.id))
        return BulletinSent(bulletin.id, bulletin.recipient_count, sum(counts.values()) + inbox)


def may_send(principal: Principal, path: tuple[str, ...]) -> bool:
    """Admins send anywhere; a grid chief to a grid inside a subtree they belong to."""
    if principal.role == Role.ADMIN:
        return True
    return principal.role == Role.GRID_CHIEF and bool(set(principal.grid_codes) & set(path))


def _may_see(principal: Principal, bulletin: Bulletin) -> bool:
    return principal.role in (Role.ADMIN, Role.SERVICE) or bulletin.sent_by == principal.subject


def _distinct(members: Sequence[Member]) -> list[Recipient]:
    found: dict[str, Recipient] = {}
    for m in members:
        if m.person_id and m.person_id not in found:
            found[m.person_id] = Recipient(m.person_id, m.email, m.phone, m.language)
    return list(found.values())
