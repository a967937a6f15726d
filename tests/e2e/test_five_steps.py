"""The five steps (五步工作法) across the real processes: a resident reports (collect), dispatch
routes it to a grid worker (classify & dispatch), the worker verifies and resolves it over
petition's gRPC API (verify, handle in time), and the resident's rating over HTTP closes or
reopens it through evaluation (follow up), which counts it on the worker's scorecard."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest
import requests

from gridplus.api.evaluation.v1 import evaluation_pb2, evaluation_pb2_grpc
from gridplus.api.petition.v1 import petition_pb2, petition_pb2_grpc
from gridplus.kit.auth import Role, mint_token
from gridplus.kit.config import JwtSettings
from tests.e2e.client import TIMES_SQUARE, channel, get, grpc_metadata, submit, wait_for_status
from tools.stack import LocalStack

pytestmark = pytest.mark.e2e

STREET_LIGHT = "nyc.street_light_condition"  # grid-registry's seed taxonomy
EVENTS_TIMEOUT = 20.0  # each hop goes through Kafka and a consumer


def resident(stack: LocalStack) -> dict[str, str]:
    return {"Authorization": f"Bearer {stack.token(Role.RESIDENT)}"}


def worker_metadata(stack: LocalStack, worker_id: str) -> list[tuple[str, str]]:
    """The assigned grid worker's own token (the stack's secret signs it)."""
    jwt = JwtSettings(stack.credentials["jwt_secret"], "gridplus")
    token = mint_token(jwt, subject=worker_id, role=Role.GRID_WORKER, grid_codes=("MN0502",))
    return [("authorization", f"Bearer {token}")]


def eventually(check: Callable[[], Any], what: str, timeout: float = EVENTS_TIMEOUT) -> Any:
    """Poll until `check` returns something truthy; fail naming `what` and the last value."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        assert time.monotonic() < deadline, f"{what} within {timeout}s; last: {value!r}"
        time.sleep(0.1)


def scorecard(stack: LocalStack, worker_id: str) -> evaluation_pb2.Scorecard:
    stub = evaluation_pb2_grpc.EvaluationServiceStub(channel(stack, "evaluation"))
    request = evaluation_pb2.GetScorecardRequest(
        kind=evaluation_pb2.SUBJECT_KIND_WORKER, subject_id=worker_id
    )
    card: evaluation_pb2.Scorecard = stub.GetScorecard(
        request, metadata=grpc_metadata(stack), timeout=5
    ).scorecard
    return card


def resolved_by_its_worker(
    stack: LocalStack, title: str
) -> tuple[str, str, evaluation_pb2.Scorecard]:
    """Steps 1-4: reported with a category at Times Square, routed, verified, resolved.
    Returns the petition id, its worker and the worker's scorecard before the work."""
    body = {"title": title, "description": "路灯不亮，晚上很黑", "category": STREET_LIGHT}
    petition_id = submit(stack, {**body, **TIMES_SQUARE})
    petition = wait_for_status(stack, petition_id, "ASSIGNED", timeout=EVENTS_TIMEOUT)
    assert petition["category"] == STREET_LIGHT
    assert petition["grid"]["code"] == "MN0502"
    worker_id = get(stack, petition_id, Role.ADMIN)["assignee_id"]  # staff only (issue 15)
    before = scorecard(stack, worker_id)

    staff = petition_pb2_grpc.PetitionServiceStub(channel(stack, "petition"))
    metadata = worker_metadata(stack, worker_id)
    verified = staff.VerifyPetition(
        petition_pb2.VerifyPetitionRequest(
            request_id=str(uuid.uuid4()), id=petition_id, note="on site: the lamp is out"
        ),
        metadata=metadata,
        timeout=5,
    ).petition
    assert verified.status == petition_pb2.PETITION_STATUS_VERIFIED
    done = staff.ResolvePetition(
        petition_pb2.ResolvePetitionRequest(
            request_id=str(uuid.uuid4()), id=petition_id, note="bulb replaced"
        ),
        metadata=metadata,
        timeout=5,
    ).petition
    assert done.status == petition_pb2.PETITION_STATUS_RESOLVED
    return petition_id, worker_id, before


def follow_up(stack: LocalStack, petition_id: str) -> dict[str, Any]:
    response = requests.get(
        f"{stack.http_url}/api/v1/petitions/{petition_id}/follow-up",
        headers=resident(stack),
        timeout=10,
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


def rate(stack: LocalStack, petition_id: str, rating: int, comment: str) -> dict[str, Any]:
    """Step 5, once evaluation has heard the petition is resolved."""
    eventually(lambda: follow_up(stack, petition_id)["pending"], "the follow-up is pending")
    response = requests.post(
        f"{stack.http_url}/api/v1/petitions/{petition_id}/rating",
        json={"rating": rating, "comment": comment},
        headers={**resident(stack), "Idempotency-Key": str(uuid.uuid4())},
        timeout=10,
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


def test_a_satisfied_resident_closes_the_petition_and_the_worker_is_credited(
    stack: LocalStack,
) -> None:
    petition_id, worker_id, before = resolved_by_its_worker(stack, "路灯不亮")

    answer = rate(stack, petition_id, 5, "修好了，谢谢")

    assert (answer["outcome"], answer["rating"], answer["via"]) == ("SATISFIED", 5, "rating")
    wait_for_status(stack, petition_id, "CLOSED", timeout=EVENTS_TIMEOUT)
    card = eventually(
        lambda: (c := scorecard(stack, worker_id)).closed_count > before.closed_count and c,
        "the worker's scorecard counts the closed petition",
    )
    assert card.resolved_count == before.resolved_count + 1
    assert card.satisfied_count == before.satisfied_count + 1
    assert card.solved_count == before.solved_count + 1
    assert card.unsatisfied_count == before.unsatisfied_count
    assert card.satisfaction_rate > 0
    assert follow_up(stack, petition_id)["pending"] is False


def test_an_unsatisfied_resident_reopens_the_petition(stack: LocalStack) -> None:
    petition_id, worker_id, before = resolved_by_its_worker(stack, "路灯又坏了")

    answer = rate(stack, petition_id, 1, "还是不亮")

    assert answer["outcome"] == "UNSATISFIED"
    wait_for_status(stack, petition_id, "REOPENED", timeout=EVENTS_TIMEOUT)
    assert get(stack, petition_id, Role.ADMIN)["assignee_id"] == worker_id
    card = eventually(
        lambda: (c := scorecard(stack, worker_id)).reopened_count > before.reopened_count and c,
        "the worker's scorecard counts the reopened petition",
    )
    assert card.resolved_count == before.resolved_count + 1
    assert card.unsatisfied_count == before.unsatisfied_count + 1
    assert card.satisfied_count == before.satisfied_count


def test_open311_posts_with_the_development_api_key(stack: LocalStack) -> None:
    """Collect through the Open311 door too: the local stack's api key is in
    dev-credentials.json."""
    url = f"{stack.http_url}/open311/v2/requests.json"
    form = {
        "service_code": STREET_LIGHT,
        "description": "lamp out",
        "lat": str(TIMES_SQUARE["lat"]),
        "long": str(TIMES_SQUARE["lon"]),
    }

    refused = requests.post(url, data={**form, "api_key": "wrong"}, timeout=10)
    created = requests.post(
        url, data={**form, "api_key": stack.credentials["open311_api_key"]}, timeout=10
    )

    assert refused.status_code == 403, refused.text
    assert created.status_code == 201, created.text
    petition_id = created.json()[0]["service_request_id"]
    admin = {"Authorization": f"Bearer {stack.token(Role.ADMIN)}"}
    url = f"{stack.http_url}/api/v1/petitions/{petition_id}"
    eventually(
        lambda: requests.get(url, headers=admin, timeout=10).json()["status"] == "ASSIGNED",
        "the Open311 petition is assigned",
    )
