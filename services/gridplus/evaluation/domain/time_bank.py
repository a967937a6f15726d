"""Time bank (爱心时间银行): volunteers and party members earn points for service hours a grid
chief records, and spend them. The balance never goes negative: a spend larger than the
balance is refused and changes nothing. Every entry says who recorded it, when and why."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from gridplus.kit.errors import FailedPrecondition, FieldViolation, InvalidArgument

MAX_MINUTES = 24 * 60
MAX_REASON = 500


class InsufficientBalance(FailedPrecondition):
    """Spending more points than the balance holds."""


@dataclass(frozen=True)
class Audit:
    """Who changes a balance, in which role, when and why."""

    actor_id: str
    actor_role: str
    at: datetime
    reason: str


@dataclass(frozen=True)
class Entry:
    """One ledger row: points earned (positive) or spent (negative) and the balance after."""

    id: int
    person_id: str
    points: int
    balance_after: int
    minutes: int
    reason: str
    actor_id: str
    actor_role: str
    recorded_at: datetime


def points_for(minutes: int, points_per_hour: int) -> int:
    """Points earned for `minutes` of service, rounded down to whole points."""
    return minutes * points_per_hour // 60


def check_earning(person_id: str, minutes: int, reason: str) -> None:
    violations = _common(person_id, reason)
    if not 1 <= minutes <= MAX_MINUTES:
        violations.append(FieldViolation("minutes", f"must be 1 to {MAX_MINUTES}"))
    if violations:
        raise InvalidArgument(violations)


def check_spending(person_id: str, points: int, reason: str) -> None:
    violations = _common(person_id, reason)
    if points <= 0:
        violations.append(FieldViolation("points", "must be positive"))
    if violations:
        raise InvalidArgument(violations)


def _common(person_id: str, reason: str) -> list[FieldViolation]:
    violations = []
    if not person_id:
        violations.append(FieldViolation("person_id", "required"))
    if not reason.strip():
        violations.append(FieldViolation("reason", "required: say what the entry is for"))
    elif len(reason) > MAX_REASON:
        violations.append(FieldViolation("reason", f"at most {MAX_REASON} characters"))
    return violations
