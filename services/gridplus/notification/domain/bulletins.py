"""Bulletins (辖区大事要闻, 宣传报道): a text for everyone in a grid subtree, and who may send and
see one."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from gridplus.kit.errors import FieldViolation, InvalidArgument
from gridplus.kit.roles import Principal, Role
from gridplus.notification.domain.audience import Member
from gridplus.notification.domain.notices import Recipient
from gridplus.notification.domain.templates import EN, ZH_CN

MAX_TITLE = 200
MAX_BODY = 4000
MAX_REQUEST_ID = 100
BULLETIN_EVENT_TYPE = "gridplus.notification.v1.Bulletin"


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
        if len(self.request_id) > MAX_REQUEST_ID:
            violations.append(FieldViolation("request_id", f"at most {MAX_REQUEST_ID} characters"))
        if violations:
            raise InvalidArgument(violations)

    def texts(self) -> dict[str, tuple[str, str]]:
        texts = {ZH_CN: (self.title_zh, self.body_zh)}
        if self.title_en:
            texts[EN] = (self.title_en, self.body_en)
        return texts

    def fingerprint(self) -> dict[str, str]:
        """What makes two calls the same request (the request id aside)."""
        return {
            "grid_code": self.grid_code,
            "title_zh": self.title_zh,
            "body_zh": self.body_zh,
            "title_en": self.title_en,
            "body_en": self.body_en,
        }


@dataclass(frozen=True)
class Bulletin:
    id: uuid.UUID
    grid_code: str
    sent_by: str
    recipient_count: int


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


def bulletin_source(bulletin_id: uuid.UUID) -> str:
    """The source id a bulletin's inbox items and deliveries carry (as events carry theirs)."""
    return f"bulletin:{bulletin_id}"


def may_send(principal: Principal, path: tuple[str, ...]) -> bool:
    """Admins send anywhere; a grid chief to a grid inside a subtree they belong to."""
    if principal.role == Role.ADMIN:
        return True
    return principal.role == Role.GRID_CHIEF and bool(set(principal.grid_codes) & set(path))


def may_see(principal: Principal, bulletin: Bulletin) -> bool:
    return principal.role in (Role.ADMIN, Role.SERVICE) or bulletin.sent_by == principal.subject


def distinct_recipients(members: Sequence[Member]) -> list[Recipient]:
    """Each person of `members` once, with the contacts of their first membership."""
    found: dict[str, Recipient] = {}
    for m in members:
        if m.person_id and m.person_id not in found:
            found[m.person_id] = Recipient(m.person_id, m.email, m.phone, m.language)
    return list(found.values())
