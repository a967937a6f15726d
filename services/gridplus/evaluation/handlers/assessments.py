"""Assessments (测评): stored with their aspects, published as AssessmentRecorded."""

from __future__ import annotations

import uuid
from dataclasses import asdict
from typing import Any

from sqlalchemy.orm import Session

from gridplus.api.events.v1 import events_pb2
from gridplus.evaluation.domain.assessment import (
    AssessmentScores,
    AssessmentWeights,
    check_assessment,
)
from gridplus.evaluation.handlers.idempotent import once
from gridplus.evaluation.storage import facts
from gridplus.evaluation.storage.models import AssessmentRow
from gridplus.kit.auth import Principal
from gridplus.kit.clock import Clock
from gridplus.kit.outbox import Outbox


class Assessments:
    """Assessments (测评): stored with their aspects, published as AssessmentRecorded so the
    worker and the grid chief are told (notification consumes it)."""

    def __init__(self, outbox: Outbox, clock: Clock, weights: AssessmentWeights) -> None:
        self._outbox = outbox
        self._clock = clock
        self.weights = weights

    def record(
        self,
        session: Session,
        principal: Principal,
        *,
        worker_id: str,
        grid_code: str,
        scores: AssessmentScores,
        secret: bool,
        note: str,
        request_id: str = "",
    ) -> tuple[str, float]:
        def run() -> dict[str, Any]:
            check_assessment(worker_id, grid_code, scores, note)
            assessment_id = str(uuid.uuid4())
            score = scores.weighted(self.weights)
            now = self._clock.now()
            payload = events_pb2.AssessmentRecorded(
                assessment_id=assessment_id,
                worker_id=worker_id,
                grid_code=grid_code,
                inspector_id=principal.subject,
                score=score,
                secret=secret,
            )
            payload.recorded_at.FromDatetime(now)
            self._outbox.add(session, payload, key=assessment_id)
            facts.record_assessment(
                session,
                AssessmentRow(
                    id=assessment_id,
                    worker_id=worker_id,
                    grid_code=grid_code,
                    inspector_id=principal.subject,
                    listen_score=scores.listen,
                    evaluate_score=scores.evaluate,
                    look_score=scores.look,
                    discuss_score=scores.discuss,
                    score=score,
                    secret=secret,
                    note=note,
                    recorded_at=now,
                ),
            )
            return {"assessment_id": assessment_id, "score": score}

        request = {
            "worker_id": worker_id,
            "grid_code": grid_code,
            "scores": asdict(scores),
            "secret": secret,
            "note": note,
        }
        done = once(
            session,
            self._clock,
            scope=f"evaluation.assess:{principal.subject}",
            request_id=request_id,
            request=request,
            run=run,
        )
        return str(done["assessment_id"]), float(done["score"])
