"""Evaluation's follow-up of a petition as the resident HTTP API shows it (JSON)."""

from __future__ import annotations

from datetime import UTC
from typing import Any

from gridplus.api.evaluation.v1 import evaluation_pb2
from gridplus.petition.api.convert import iso


def answer_json(answer: evaluation_pb2.FollowUpAnswer) -> dict[str, Any]:
    """One completed follow-up: SATISFIED (the petition closes), UNSATISFIED (it reopens) or
    NO_RESPONSE; `via` rating, visit or timeout."""
    outcome = evaluation_pb2.FollowUpOutcome.Name(answer.outcome)
    return {
        "outcome": outcome.removeprefix("FOLLOW_UP_OUTCOME_"),
        "rating": answer.rating or None,
        "comment": answer.comment,
        "via": answer.via,
        "completed_at": iso(answer.completed_at.ToDatetime(tzinfo=UTC)),
    }


def follow_up_json(petition_id: str, state: evaluation_pb2.GetFollowUpResponse) -> dict[str, Any]:
    """`pending` while the petition is RESOLVED and unanswered, until `due_at` (then it closes
    as no response)."""
    due = state.due_time.ToDatetime(tzinfo=UTC) if state.HasField("due_time") else None
    return {
        "petition_id": petition_id,
        "pending": state.pending,
        "due_at": iso(due),
        "answers": [answer_json(a) for a in state.answers],
    }
