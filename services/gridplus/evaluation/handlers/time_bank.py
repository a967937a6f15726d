"""Time-bank use cases: earn points for service hours, spend them, read an account. A retried
change (same request_id) is applied once (kit run_once)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import TYPE_CHECKING, Any

from gridplus.evaluation.domain import time_bank as bank
from gridplus.evaluation.domain.time_bank import Audit, Entry
from gridplus.evaluation.storage import time_bank as ledger
from gridplus.kit.clock import Clock
from gridplus.kit.db import SessionFactory
from gridplus.kit.errors import InvalidArgument, PermissionDenied
from gridplus.kit.idempotency import caller_scope, run_once
from gridplus.kit.roles import Principal, Role

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

_BANKERS = frozenset({Role.GRID_CHIEF, Role.ADMIN})


class TimeBank:
    """Points for service hours, recorded by a grid chief; spent by the volunteer (or a chief
    or admin for them). Every entry carries who, when and why."""

    def __init__(self, clock: Clock, points_per_hour: int) -> None:
        self._clock = clock
        self.points_per_hour = points_per_hour

    def earn(
        self,
        sessions: SessionFactory,
        principal: Principal,
        *,
        person_id: str,
        minutes: int,
        reason: str,
        request_id: str = "",
    ) -> Entry:
        if principal.role not in _BANKERS:
            raise PermissionDenied("only a grid chief or an admin records service hours")

        def action(session: Session) -> dict[str, Any]:
            bank.check_earning(person_id, minutes, reason)
            points = bank.points_for(minutes, self.points_per_hour)
            entry = ledger.credit(
                session,
                person_id=person_id,
                points=points,
                minutes=minutes,
                audit=self._audit(principal, reason),
            )
            return _entry_json(entry)

        request = {"person_id": person_id, "minutes": minutes, "reason": reason}
        done, _ = run_once(
            sessions,
            self._clock,
            scope=caller_scope("evaluation.earn", principal.subject),
            key=request_id,
            request=request,
            action=action,
        )
        return _entry_from_json(done)

    def spend(
        self,
        sessions: SessionFactory,
        principal: Principal,
        *,
        person_id: str,
        points: int,
        reason: str,
        request_id: str = "",
    ) -> Entry:
        _require_own_or_banker(principal, person_id)

        def action(session: Session) -> dict[str, Any]:
            bank.check_spending(person_id, points, reason)
            entry = ledger.debit(
                session, person_id=person_id, points=points, audit=self._audit(principal, reason)
            )
            return _entry_json(entry)

        request = {"person_id": person_id, "points": points, "reason": reason}
        done, _ = run_once(
            sessions,
            self._clock,
            scope=caller_scope("evaluation.spend", principal.subject),
            key=request_id,
            request=request,
            action=action,
        )
        return _entry_from_json(done)

    def account(
        self, session: Session, principal: Principal, *, person_id: str, limit: int
    ) -> tuple[int, list[Entry]]:
        _require_own_or_banker(principal, person_id)
        if not person_id:
            raise InvalidArgument.single("person_id", "required")
        if not 0 <= limit <= 500:
            raise InvalidArgument.single("entry_limit", "must be 0 to 500")
        return ledger.balance(session, person_id), ledger.entries(session, person_id, limit or 50)

    def _audit(self, principal: Principal, reason: str) -> Audit:
        return Audit(principal.subject, principal.role.value, self._clock.now(), reason)


def _require_own_or_banker(principal: Principal, person_id: str) -> None:
    if principal.role not in _BANKERS and principal.subject != person_id:
        raise PermissionDenied("only the volunteer, a grid chief or an admin may do this")


def _entry_json(entry: Entry) -> dict[str, Any]:
    return {**asdict(entry), "recorded_at": entry.recorded_at.isoformat()}


def _entry_from_json(data: dict[str, Any]) -> Entry:
    return Entry(**{**data, "recorded_at": datetime.fromisoformat(data["recorded_at"])})
