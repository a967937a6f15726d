"""A petition the classifier is unsure of waits in triage with its likeliest categories (the
registry's codes and names, most probable first); a person takes one as it is offered. The real
trained classifier, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from gridplus.api.dispatch.v1 import dispatch_pb2
from gridplus.dispatch.domain.classifier import TextClassifier
from gridplus.dispatch.handlers.routing import PetitionToRoute
from gridplus.dispatch.storage.training import trained_classifier
from gridplus.kit.auth import Role
from gridplus.kit.db import transaction
from tests.integration.dispatch.api_harness import Api, auth, dispatch_api
from tests.integration.dispatch.grid_registry_stub import FakeGridDirectory, square

pytestmark = pytest.mark.integration

# Above what the classifier gives these texts (about 0.5 and 0.3): both go to triage.
THRESHOLD = 0.6
CHIEF = auth(Role.GRID_CHIEF, "c-MN0502", grids=("MN0502",))


@pytest.fixture(scope="module")
def classifier() -> TextClassifier:
    return trained_classifier()


@pytest.fixture
def api(database_url: str, classifier: TextClassifier) -> Iterator[Api]:
    with dispatch_api(database_url, FakeGridDirectory(), classifier, THRESHOLD) as running:
        yield running


def route(api: Api, petition_id: str, title: str, description: str) -> None:
    petition = PetitionToRoute(petition_id, title, description, "", square("MN0502").centre())
    with transaction(api.sessions) as session:
        api.router.route(session, petition)


def queued(api: Api) -> dict[str, dispatch_pb2.TriageItem]:
    queue = api.stub.ListTriage(dispatch_pb2.ListTriageRequest(), metadata=CHIEF, timeout=5)
    return {item.petition_id: item for item in queue.items}


def test_an_unsure_petition_lists_its_likeliest_categories_best_first(api: Api) -> None:
    route(api, "p-en", "Noise", "loud music and a dog barking upstairs at night")

    item = queued(api)["p-en"]
    offered = list(item.suggestions)
    assert 2 <= len(offered) <= 3
    probabilities = [s.probability for s in offered]
    assert probabilities == sorted(probabilities, reverse=True)
    assert probabilities[-1] > 0 and probabilities[0] < THRESHOLD
    best = offered[0]
    assert (best.category_code, best.probability) == (item.best_guess, item.confidence)
    assert (best.category_code, best.name_en, best.name_zh) == ("nyc.noise", "Noise", "噪声")
    assert all(s.category_code.startswith("nyc.noise") for s in offered)
    assert len({s.category_code for s in offered}) == len(offered)


def test_a_chinese_petition_is_offered_top_level_classes_by_their_codes(api: Api) -> None:
    route(api, "p-zh", "噪音", "楼上装修噪音很大，晚上还有人在路边烧烤冒烟")

    offered = list(queued(api)["p-zh"].suggestions)
    assert len(offered) >= 2
    assert offered[0].category_code == "environmental_protection"
    assert offered[0].name_zh == "环境保护"
    assert all("." not in s.category_code and s.name_zh for s in offered)
    assert offered[0].probability > offered[1].probability


def test_a_suggestion_other_than_the_best_is_taken_as_offered(api: Api) -> None:
    route(api, "p-1", "Noise", "loud music and a dog barking upstairs at night")
    second = queued(api)["p-1"].suggestions[1]

    got = api.stub.SetTriageCategory(
        dispatch_pb2.SetTriageCategoryRequest(
            petition_id="p-1", category_code=second.category_code, request_id="t-1"
        ),
        metadata=CHIEF,
        timeout=5,
    ).assignment

    assert (got.category, got.category_source) == (second.category_code, "triage")
    assert got.category_name_en == second.name_en
    assert "p-1" not in queued(api)
