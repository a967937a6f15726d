"""A resident's petition flows through all five processes to an assigned grid worker."""

from __future__ import annotations

import re
import time

import pytest

from gridplus.api.evaluation.v1 import evaluation_pb2, evaluation_pb2_grpc
from gridplus.api.notification.v1 import notification_pb2, notification_pb2_grpc
from gridplus.kit.auth import Role
from tests.e2e.client import (
    ATLANTIC,
    TIMES_SQUARE,
    channel,
    get,
    grpc_metadata,
    submit,
    wait_for_status,
)
from tools.stack import LocalStack

pytestmark = pytest.mark.e2e

ISO_WITH_OFFSET = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?[+-]\d\d:\d\d$")


def test_a_manhattan_petition_is_assigned_to_its_nta_within_two_seconds(stack: LocalStack) -> None:
    started = time.monotonic()
    petition_id = submit(
        stack, {"title": "路灯不亮", "description": "时代广场路口的路灯坏了", **TIMES_SQUARE}
    )
    petition = wait_for_status(stack, petition_id, "ASSIGNED", timeout=2.0)
    elapsed = time.monotonic() - started

    assert elapsed < 2.0
    grid = petition["grid"]
    assert (grid["code"], grid["level"], grid["path"]) == ("MN0502", 3, ["1", "MN05", "MN0502"])
    assert ISO_WITH_OFFSET.match(petition["deadline"]), petition["deadline"]
    assert petition["category"], "dispatch chooses a category when the resident gave none"
    # Staff read which worker has it; the resident sees the grid but no staff id (issue 15).
    assert "assignee_id" not in petition
    assert get(stack, petition_id, Role.ADMIN)["assignee_id"].startswith("w-MN0502-")


def test_the_assignee_finds_it_in_the_inbox_and_evaluation_counts_it(stack: LocalStack) -> None:
    petition_id = submit(
        stack, {"title": "Noise", "description": "loud music all night", **TIMES_SQUARE}
    )
    wait_for_status(stack, petition_id, "ASSIGNED")
    assignee = get(stack, petition_id, Role.ADMIN)["assignee_id"]

    inbox = notification_pb2_grpc.NotificationServiceStub(channel(stack, "notification"))
    card = evaluation_pb2_grpc.EvaluationServiceStub(channel(stack, "evaluation"))
    deadline = time.monotonic() + 10
    while True:
        items = inbox.ListInbox(
            notification_pb2.ListInboxRequest(recipient_id=assignee),
            metadata=grpc_metadata(stack),
            timeout=5,
        ).items
        scorecard = card.GetScorecard(
            evaluation_pb2.GetScorecardRequest(
                kind=evaluation_pb2.SUBJECT_KIND_WORKER, subject_id=assignee
            ),
            metadata=grpc_metadata(stack),
            timeout=5,
        ).scorecard
        found = [item for item in items if item.petition_id == petition_id]
        if found and scorecard.assigned_count >= 1:
            break
        assert time.monotonic() < deadline, "inbox item or scorecard count did not arrive"
        time.sleep(0.1)
    assert len(found) == 1


def test_a_point_outside_every_grid_is_rejected_not_guessed(stack: LocalStack) -> None:
    petition_id = submit(stack, {"title": "Oil slick", "description": "at sea", **ATLANTIC})
    petition = wait_for_status(stack, petition_id, "REJECTED")
    assert petition["grid"] is None
    assert "out of jurisdiction" in petition["reject_reason"]
