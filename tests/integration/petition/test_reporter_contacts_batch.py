"""BatchGetReporterContacts: notification asks for a whole poll's reporters in one call. The
same answers as GetReporterContacts, petition by petition; a petition that does not exist is
left out; only the service role may ask; a request out of bounds is refused naming the field."""

from __future__ import annotations

import grpc
import pytest
from flask.testing import FlaskClient

from gridplus.api.petition.v1 import petition_pb2 as S
from gridplus.kit.auth import Role
from tests.integration.petition.conftest import as_caller, bearer

pytestmark = pytest.mark.integration

SERVICE = as_caller("notification", Role.SERVICE)


def submit(client: FlaskClient, who: str, **contact: str) -> str:
    body = {"title": "井盖丢失", "description": "", "lat": 39.9, "lon": 116.4, "contact": contact}
    response = client.post("/api/v1/petitions", json=body, headers=bearer(who))
    assert response.status_code == 201, response.get_data(as_text=True)
    return str(response.get_json()["id"])


def _shown(contacts: object) -> list[tuple[str, str, str, bool]]:
    return [(c.reporter_id, c.phone, c.email, c.via_duplicate) for c in contacts]  # type: ignore[attr-defined]


def test_each_petition_answers_as_it_does_alone_and_an_unknown_one_is_left_out(
    client: FlaskClient, stub
) -> None:
    first = submit(client, "resident-a", name="张三", phone="13812341234")
    second = submit(client, "resident-b", name="李四", email="li@example.org")

    answer = stub.BatchGetReporterContacts(
        S.BatchGetReporterContactsRequest(petition_ids=[second, "no-such-petition", first, second]),
        metadata=SERVICE,
    )

    assert [p.petition_id for p in answer.petitions] == [second, first]
    for petition in answer.petitions:
        alone = stub.GetReporterContacts(
            S.GetReporterContactsRequest(petition_id=petition.petition_id), metadata=SERVICE
        )
        assert _shown(petition.contacts) == _shown(alone.contacts)
    assert _shown(answer.petitions[1].contacts) == [("resident-a", "13812341234", "", False)]


@pytest.mark.parametrize(
    "role", [Role.RESIDENT, Role.GRID_WORKER, Role.DEPARTMENT_HEAD, Role.INSPECTOR, Role.ADMIN]
)
def test_only_the_service_role_may_ask(client: FlaskClient, stub, role: Role) -> None:
    petition_id = submit(client, "resident-a", name="张三", phone="13812341234")

    with pytest.raises(grpc.RpcError) as refused:
        stub.BatchGetReporterContacts(
            S.BatchGetReporterContactsRequest(petition_ids=[petition_id]),
            metadata=as_caller("someone", role),
        )

    assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED


@pytest.mark.parametrize(
    ("ids", "why"),
    [([], "is required"), ([""], "empty id"), ([f"p-{n}" for n in range(501)], "at most 500")],
)
def test_a_request_out_of_bounds_is_refused_naming_the_field(
    stub, ids: list[str], why: str
) -> None:
    with pytest.raises(grpc.RpcError) as refused:
        stub.BatchGetReporterContacts(
            S.BatchGetReporterContactsRequest(petition_ids=ids), metadata=SERVICE
        )

    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "petition_ids" in refused.value.details() and why in refused.value.details()
