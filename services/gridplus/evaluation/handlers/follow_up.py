"""Follow-up answers (resident rating or worker visit) and timeouts, each published as
FollowUpCompleted in the same transaction."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from gridplus.api.events.v1 import events_pb2
from gridplus.evaluation import metrics
from gridplus.evaluation.domain.follow_up import (
    TIMEOUT_ACTOR,
    FollowUpPolicy,
    FollowUpState,
    Via,
    check_answer,
    require_pending,
)
from gridplus.evaluation.domain.scorecard import FollowUpOutcome
from gridplus.evaluation.handlers.idempotent import once
from gridplus.evaluation.storage import facts
from gridplus.evaluation.storage.models import FollowUpRow, PetitionFact
from gridplus.kit.auth import Principal, Role
from gridplus.kit.clock import Clock
from gridplus.kit.errors import InvalidArgument, NotFound, PermissionDenied
from gridplus.kit.outbox import Outbox

OUTCOME_TO_PROTO = {
    FollowUpOutcome.SATISFIED: events_pb2.FOLLOW_UP_OUTCOME_SATISFIED,
    FollowUpOutcome.UNSATISFIED: events_pb2.FOLLOW_UP_OUTCOME_UNSATISFIED,
    FollowUpOutcome.NO_RESPONSE: events_pb2.FOLLOW_UP_OUTCOME_NO_RESPONSE,
}
OUTCOME_FROM_PROTO = {v: k for k, v in OUTCOME_TO_PROTO.items()}
EXPIRY_BATCH = 200  # follow-ups closed per transaction by the timeout loop


@dataclass(frozen=True)
class Answer:
    id: str
    petition_id: str
    outcome: FollowUpOutcome
    rating: int
    comment: str
    via: str
    actor_id: str
    completed_at: datetime

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "completed_at": self.completed_at.isoformat()}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Answer:
        return cls(
            **{
                **data,
                "outcome": FollowUpOutcome(data["outcome"]),
                "completed_at": datetime.fromisoformat(data["completed_at"]),
            }
        )

    @classmethod
    def from_row(cls, row: FollowUpRow) -> Answer:
        return cls(
            id=row.id,
            petition_id=row.petition_id,
            outcome=FollowUpOutcome(row.outcome),
            rating=row.rating,
            comment=row.comment,
            via=row.via,
            actor_id=row.actor_id,
            completed_at=facts.utc(row.completed_at),
        )


@dataclass(frozen=True)
class FollowUpView:
    pending: bool
    due_at: datetime | None
    answers: list[Answer]


class FollowUps:
    """Follow-up answers (rating or visit) and timeouts, each ending in FollowUpCompleted."""

    def __init__(self, outbox: Outbox, clock: Clock, policy: FollowUpPolicy) -> None:
        self._outbox = outbox
        self._clock = clock
        self._policy = policy

    @property
    def policy(self) -> FollowUpPolicy:
        return self._policy

    def rate(
        self,
        session: Session,
        principal: Principal,
        *,
        petition_id: str,
        rating: int,
        comment: str,
        request_id: str = "",
        resident_id: str = "",
    ) -> Answer:
        resident = _resident(principal, resident_id)

        def run() -> dict[str, Any]:
            fact = _known_petition(session, petition_id)
            _require_reporter(session, fact, resident.subject)
            return self._answer(session, fact, rating, comment, Via.RATING, resident).to_json()

        request = {"petition_id": petition_id, "rating": rating, "comment": comment}
        scope = f"evaluation.rate:{resident.subject}"
        return Answer.from_json(
            once(session, self._clock, scope=scope, request_id=request_id, request=request, run=run)
        )

    def visit(
        self,
        session: Session,
        principal: Principal,
        *,
        petition_id: str,
        rating: int,
        comment: str,
        request_id: str = "",
    ) -> Answer:
        def run() -> dict[str, Any]:
            fact = _known_petition(session, petition_id)
            _require_grid_staff(principal, fact)
            return self._answer(session, fact, rating, comment, Via.VISIT, principal).to_json()

        request = {"petition_id": petition_id, "rating": rating, "comment": comment}
        scope = f"evaluation.visit:{principal.subject}"
        return Answer.from_json(
            once(session, self._clock, scope=scope, request_id=request_id, request=request, run=run)
        )

    def view(self, session: Session, principal: Principal, petition_id: str) -> FollowUpView:
        fact = _known_petition(session, petition_id)
        if principal.role is Role.RESIDENT:
            _require_reporter(session, fact, principal.subject)
        state = _state(fact)
        rows = session.execute(
            select(FollowUpRow)
            .where(FollowUpRow.petition_id == petition_id)
            .order_by(FollowUpRow.completed_at, FollowUpRow.id)
        ).scalars()
        due = self._policy.due_at(state.status_at) if state.pending and state.status_at else None
        return FollowUpView(state.pending, due, [Answer.from_row(r) for r in rows])

    def expire_due(self, session: Session, *, limit: int = EXPIRY_BATCH) -> int:
        """Close follow-ups nobody answered within the configured days as NO_RESPONSE."""
        cutoff = self._clock.now() - timedelta(days=self._policy.days)
        query = (
            select(PetitionFact)
            .where(
                PetitionFact.status == "RESOLVED",
                PetitionFact.status_at <= cutoff,
                or_(
                    PetitionFact.last_follow_up_at.is_(None),
                    PetitionFact.last_follow_up_at < PetitionFact.status_at,
                ),
            )
            .order_by(PetitionFact.status_at, PetitionFact.petition_id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        due = session.execute(query).scalars().all()
        for fact in due:
            self._complete(
                session, fact, FollowUpOutcome.NO_RESPONSE, 0, "", Via.TIMEOUT, TIMEOUT_ACTOR
            )
        return len(due)

    def _answer(
        self,
        session: Session,
        fact: PetitionFact,
        rating: int,
        comment: str,
        via: Via,
        principal: Principal,
    ) -> Answer:
        check_answer(rating, comment)
        require_pending(_state(fact))
        outcome = self._policy.outcome(rating)
        return self._complete(session, fact, outcome, rating, comment, via, principal.subject)

    def _complete(
        self,
        session: Session,
        fact: PetitionFact,
        outcome: FollowUpOutcome,
        rating: int,
        comment: str,
        via: Via,
        actor_id: str,
    ) -> Answer:
        now = self._clock.now()
        payload = events_pb2.FollowUpCompleted(
            petition_id=fact.petition_id,
            outcome=OUTCOME_TO_PROTO[outcome],
            rating=rating,
            via=via.value,
            actor_id=actor_id,
        )
        payload.completed_at.FromDatetime(now)
        event_id = self._outbox.add(session, payload, key=fact.petition_id)
        facts.record_follow_up(
            session,
            follow_up_id=event_id,
            petition_id=fact.petition_id,
            outcome=outcome.value,
            rating=rating,
            via=via.value,
            actor_id=actor_id,
            completed_at=now,
            comment=comment,
        )
        metrics.FOLLOW_UPS.labels(outcome.value, via.value).inc()
        return Answer(
            event_id, fact.petition_id, outcome, rating, comment, via.value, actor_id, now
        )


def _resident(principal: Principal, resident_id: str) -> Principal:
    """The resident rating: the caller, or the one the petition service (service role) has
    authenticated and names in resident_id."""
    if principal.role is Role.SERVICE:
        if not resident_id:
            raise InvalidArgument.single("resident_id", "required when a service rates")
        return Principal(resident_id, Role.RESIDENT)
    if principal.role is not Role.RESIDENT or resident_id not in ("", principal.subject):
        raise PermissionDenied("only the resident who reported it may rate a petition")
    return principal


def _require_reporter(session: Session, fact: PetitionFact, resident_id: str) -> None:
    """The petition's reporter, or the reporter of a duplicate merged into it."""
    if fact.reporter_id == resident_id:
        return
    merged_reporter = session.execute(
        select(PetitionFact.petition_id).where(
            PetitionFact.merged_into == fact.petition_id, PetitionFact.reporter_id == resident_id
        )
    ).first()
    if merged_reporter is None:
        raise PermissionDenied("only a resident who reported it may rate or read its follow-up")


def _known_petition(session: Session, petition_id: str) -> PetitionFact:
    if not petition_id:
        raise InvalidArgument.single("petition_id", "required")
    fact = session.execute(
        select(PetitionFact).where(PetitionFact.petition_id == petition_id).with_for_update()
    ).scalar_one_or_none()
    if fact is None:
        raise NotFound(f"petition {petition_id} is not known to evaluation")
    return fact


def _state(fact: PetitionFact) -> FollowUpState:
    return FollowUpState(
        status=fact.status or "",
        status_at=facts.maybe_utc(fact.status_at),
        last_follow_up_at=facts.maybe_utc(fact.last_follow_up_at),
    )


def _require_grid_staff(principal: Principal, fact: PetitionFact) -> None:
    if principal.role is Role.ADMIN or principal.subject == fact.worker_id:
        return
    path = {fact.grid_l1, fact.grid_l2, fact.grid_l3} - {None}
    if path & set(principal.grid_codes):
        return
    raise PermissionDenied("only the petition's worker or staff of its grid may record a visit")
