"""Follow-up use cases: a resident's rating, a worker's visit, the timeout, and reading one.
Each answer ends in FollowUpCompleted, written to the outbox in the same transaction; a
retried answer (same request_id) is applied once (kit run_once)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from gridplus.evaluation import metrics
from gridplus.evaluation.domain.access import may_read_follow_up
from gridplus.evaluation.domain.follow_up import (
    Answer,
    FollowUp,
    FollowUpPolicy,
    Via,
    rating_resident,
    unknown,
)
from gridplus.evaluation.domain.scorecard import FollowUpOutcome
from gridplus.evaluation.handlers.publishing import publish
from gridplus.evaluation.storage import follow_ups as store
from gridplus.kit.clock import Clock
from gridplus.kit.db import SessionFactory, after_commit
from gridplus.kit.errors import InvalidArgument
from gridplus.kit.idempotency import caller_scope, run_once
from gridplus.kit.outbox import Outbox
from gridplus.kit.roles import Principal

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

EXPIRY_BATCH = 200  # follow-ups closed per transaction by the timeout loop


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
        sessions: SessionFactory,
        principal: Principal,
        *,
        petition_id: str,
        rating: int,
        comment: str,
        request_id: str = "",
        resident_id: str = "",
    ) -> Answer:
        """The reporter's rating (or a service's, naming the resident it authenticated)."""
        resident = rating_resident(principal, resident_id)

        def action(session: Session) -> dict[str, Any]:
            follow_up = _known(session, petition_id)
            follow_up.check_reporter(resident.subject)
            answer = self._answer(session, follow_up, rating, comment, Via.RATING, resident)
            return _answer_json(answer)

        done, _ = run_once(
            sessions,
            self._clock,
            scope=caller_scope("evaluation.rate", resident.subject),
            key=request_id,
            request={"petition_id": petition_id, "rating": rating, "comment": comment},
            action=action,
        )
        return _answer_from_json(done)

    def visit(
        self,
        sessions: SessionFactory,
        principal: Principal,
        *,
        petition_id: str,
        rating: int,
        comment: str,
        request_id: str = "",
    ) -> Answer:
        """A visit by the petition's worker (or staff of its grid) with the resident's answer."""

        def action(session: Session) -> dict[str, Any]:
            follow_up = _known(session, petition_id)
            follow_up.check_grid_staff(principal)
            answer = self._answer(session, follow_up, rating, comment, Via.VISIT, principal)
            return _answer_json(answer)

        done, _ = run_once(
            sessions,
            self._clock,
            scope=caller_scope("evaluation.visit", principal.subject),
            key=request_id,
            request={"petition_id": petition_id, "rating": rating, "comment": comment},
            action=action,
        )
        return _answer_from_json(done)

    def view(self, session: Session, principal: Principal, petition_id: str) -> FollowUpView:
        follow_up = _known(session, petition_id)
        if not may_read_follow_up(principal, follow_up):
            raise follow_up.not_found()
        state = follow_up.state
        due = self._policy.due_at(state.status_at) if state.pending and state.status_at else None
        return FollowUpView(state.pending, due, store.get_answers(session, petition_id=petition_id))

    def expire_due(self, session: Session, *, limit: int = EXPIRY_BATCH) -> int:
        """Close follow-ups nobody answered within the configured days as NO_RESPONSE."""
        now = self._clock.now()
        due = store.get_due(
            session, resolved_before=now - timedelta(days=self._policy.days), limit=limit
        )
        for follow_up in due:
            follow_up.expire(now)
            self._save(session, follow_up, comment="")
        return len(due)

    def _answer(
        self,
        session: Session,
        follow_up: FollowUp,
        rating: int,
        comment: str,
        via: Via,
        principal: Principal,
    ) -> Answer:
        follow_up.answer(
            self._policy,
            rating=rating,
            comment=comment,
            via=via,
            actor_id=principal.subject,
            at=self._clock.now(),
        )
        (answer,) = self._save(session, follow_up, comment=comment)
        return answer

    def _save(self, session: Session, follow_up: FollowUp, *, comment: str) -> list[Answer]:
        """Publish the follow-up's new events and store each, keyed by its event id."""
        answers = []
        for event in follow_up.events:
            event_id = publish(session, self._outbox, event)
            answers.append(store.create(session, event, follow_up_id=event_id, comment=comment))
            after_commit(session, _counter(event.outcome.value, event.via.value))
        follow_up.events.clear()
        return answers


def _counter(outcome: str, via: str) -> Callable[[], None]:
    """Counts a follow-up once its transaction has committed."""
    return lambda: metrics.FOLLOW_UPS.labels(outcome, via).inc()


def _known(session: Session, petition_id: str) -> FollowUp:
    if not petition_id:
        raise InvalidArgument.single("petition_id", "required")
    follow_up = store.get(session, petition_id=petition_id)
    if follow_up is None:
        raise unknown(petition_id)
    return follow_up


def _answer_json(answer: Answer) -> dict[str, Any]:
    return {**asdict(answer), "completed_at": answer.completed_at.isoformat()}


def _answer_from_json(data: dict[str, Any]) -> Answer:
    return Answer(
        **{
            **data,
            "outcome": FollowUpOutcome(data["outcome"]),
            "completed_at": datetime.fromisoformat(data["completed_at"]),
        }
    )
