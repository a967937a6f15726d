"""Follow-ups as the use cases load and save them: a petition's follow-up (its row locked for
the transaction), the due ones, the answers given, and a completed follow-up written."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from gridplus.evaluation.domain.events import FollowUpCompleted
from gridplus.evaluation.domain.follow_up import Answer, FollowUp, FollowUpState
from gridplus.evaluation.domain.scorecard import FollowUpOutcome
from gridplus.evaluation.storage import facts
from gridplus.evaluation.storage.models import FollowUpRow, PetitionFact


def get(session: Session, *, petition_id: str) -> FollowUp | None:
    """The petition's follow-up, its row locked for this transaction; None when unknown."""
    fact = session.execute(
        select(PetitionFact).where(PetitionFact.petition_id == petition_id).with_for_update()
    ).scalar_one_or_none()
    return None if fact is None else _follow_ups(session, [fact])[0]


def get_due(session: Session, *, resolved_before: datetime, limit: int) -> list[FollowUp]:
    """Follow-ups awaiting an answer since a resolution at or before `resolved_before`, oldest
    first, locked (rows another transaction holds are skipped, so two loops share the work)."""
    query = (
        select(PetitionFact)
        .where(
            PetitionFact.status == "RESOLVED",
            PetitionFact.status_at <= resolved_before,
            or_(
                PetitionFact.last_follow_up_at.is_(None),
                PetitionFact.last_follow_up_at < PetitionFact.status_at,
            ),
        )
        .order_by(PetitionFact.status_at, PetitionFact.petition_id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return _follow_ups(session, session.execute(query).scalars().all())


def get_answers(session: Session, *, petition_id: str) -> list[Answer]:
    rows = session.execute(
        select(FollowUpRow)
        .where(FollowUpRow.petition_id == petition_id)
        .order_by(FollowUpRow.completed_at, FollowUpRow.id)
    ).scalars()
    return [
        Answer(
            id=row.id,
            petition_id=row.petition_id,
            outcome=FollowUpOutcome(row.outcome),
            rating=row.rating,
            comment=row.comment,
            via=row.via,
            actor_id=row.actor_id,
            completed_at=row.completed_at,
        )
        for row in rows
    ]


def create(
    session: Session, event: FollowUpCompleted, *, follow_up_id: str, comment: str
) -> Answer:
    """Write a completed follow-up (the fact's "last follow-up" moves with it)."""
    facts.record_follow_up(session, event, follow_up_id=follow_up_id, comment=comment)
    return Answer(
        follow_up_id,
        event.petition_id,
        event.outcome,
        event.rating,
        comment,
        event.via.value,
        event.actor_id,
        event.at,
    )


def _follow_ups(session: Session, rows: Sequence[PetitionFact]) -> list[FollowUp]:
    merged_reporters: dict[str, set[str]] = defaultdict(set)
    ids = [row.petition_id for row in rows]
    if ids:
        for survivor, reporter in session.execute(
            select(PetitionFact.merged_into, PetitionFact.reporter_id).where(
                PetitionFact.merged_into.in_(ids), PetitionFact.reporter_id.is_not(None)
            )
        ).all():
            if survivor and reporter:
                merged_reporters[survivor].add(reporter)
    return [
        FollowUp(
            petition_id=row.petition_id,
            state=FollowUpState(row.status or "", row.status_at, row.last_follow_up_at),
            reporter_ids=_present(row.reporter_id) | merged_reporters[row.petition_id],
            worker_id=row.worker_id,
            grid_codes=_present(row.grid_l1, row.grid_l2, row.grid_l3),
            department_code=row.department_code,
        )
        for row in rows
    ]


def _present(*values: str | None) -> frozenset[str]:
    return frozenset(value for value in values if value)
