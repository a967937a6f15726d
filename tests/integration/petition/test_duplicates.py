"""Possible duplicates: open petitions of the same category within the radius and window are
found on submit and shown to staff, who merge them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask.testing import FlaskClient

from gridplus.api.petition.v1 import petition_pb2 as S
from gridplus.kit.auth import Role
from tests.integration.petition.conftest import Store, as_caller, bearer

pytestmark = pytest.mark.integration

ADMIN = as_caller("admin-1", Role.ADMIN)
# 0.0003 degrees of latitude is about 33 m; 0.0006 about 67 m.
HERE = (39.9000, 116.4000)


def submit(client: FlaskClient, lat: float, lon: float, category: str = "road.manhole") -> str:
    body = {"title": "井盖丢失", "lat": lat, "lon": lon, "category": category}
    response = client.post("/api/v1/petitions", json=body, headers=bearer("resident-a"))
    assert response.status_code == 201
    return str(response.get_json()["id"])


def candidates(stub, petition_id: str) -> list[str]:
    shown = stub.GetPetition(S.GetPetitionRequest(id=petition_id), metadata=ADMIN).petition
    return list(shown.possible_duplicate_ids)


def test_nearby_open_petitions_of_the_category_are_flagged(
    client: FlaskClient, store: Store, stub
) -> None:
    first = submit(client, *HERE)
    far = submit(client, HERE[0] - 0.0006, HERE[1])
    other_kind = submit(client, HERE[0] + 0.0001, HERE[1], category="noise")
    rejected = submit(client, HERE[0] - 0.0001, HERE[1])
    stub.RejectPetition(
        S.RejectPetitionRequest(request_id="j", id=rejected, reason="fake"), metadata=ADMIN
    )
    store.clock.advance(timedelta(hours=2))
    second = submit(client, HERE[0] + 0.0003, HERE[1])

    assert candidates(stub, second) == [first]
    assert second in candidates(stub, first)
    assert far not in candidates(stub, first) and other_kind not in candidates(stub, first)
    staff_submit = stub.SubmitPetition(
        S.SubmitPetitionRequest(
            request_id="hotline-1",
            title="manhole again",
            location={"lat": HERE[0], "lon": HERE[1] + 0.0002},
            category="road.manhole",
        ),
        metadata=ADMIN,
    ).petition
    assert set(staff_submit.possible_duplicate_ids) == {first, second}
    store.clock.advance(timedelta(days=8))  # outside the default 7-day window
    late = submit(client, *HERE)
    assert candidates(stub, late) == []
    # Residents never see other people's petitions through this.
    mine = client.get(f"/api/v1/petitions/{second}", headers=bearer("resident-a")).get_json()
    assert "possible_duplicate_ids" not in mine
