"""Assessments (测评): recorded with their aspects, published as AssessmentRecorded; a retried
request (same request_id) is applied once (kit run_once)."""

from __future__ import annotations

import uuid
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from gridplus.evaluation.domain.assessment import Assessment, AssessmentScores, AssessmentWeights
from gridplus.evaluation.handlers.publishing import publish
from gridplus.evaluation.storage import facts
from gridplus.kit.clock import Clock
from gridplus.kit.db import SessionFactory
from gridplus.kit.idempotency import caller_scope, run_once
from gridplus.kit.outbox import Outbox
from gridplus.kit.roles import Principal

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


class Assessments:
    """Assessments (测评): stored with their aspects, published as AssessmentRecorded so the
    worker and the grid chief are told (notification consumes it)."""

    def __init__(self, outbox: Outbox, clock: Clock, weights: AssessmentWeights) -> None:
        self._outbox = outbox
        self._clock = clock
        self.weights = weights

    def record(
        self,
        sessions: SessionFactory,
        principal: Principal,
        *,
        worker_id: str,
        grid_code: str,
        scores: AssessmentScores,
        secret: bool,
        note: str,
        request_id: str = "",
    ) -> tuple[str, float]:
        """The new assessment's id and weighted score."""

        def action(session: Session) -> dict[str, Any]:
            assessment = Assessment.record(
                assessment_id=str(uuid.uuid4()),
                worker_id=worker_id,
                grid_code=grid_code,
                inspector_id=principal.subject,
                scores=scores,
                weights=self.weights,
                secret=secret,
                note=note,
                at=self._clock.now(),
            )
            for event in assessment.events:
                publish(session, self._outbox, event)
                facts.record_assessment(session, event, scores=scores, note=note)
            return {"assessment_id": assessment.id, "score": assessment.score}

        request = {
            "worker_id": worker_id,
            "grid_code": grid_code,
            "scores": asdict(scores),
            "secret": secret,
            "note": note,
        }
        done, _ = run_once(
            sessions,
            self._clock,
            scope=caller_scope("evaluation.assess", principal.subject),
            key=request_id,
            request=request,
            action=action,
        )
        return str(done["assessment_id"]), float(done["score"])
