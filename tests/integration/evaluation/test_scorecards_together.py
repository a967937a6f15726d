"""Scorecards of several kinds read together (one read of the period's facts, as the rate gauges
take grids and departments) are the scorecards each kind gets alone, on a realistic stream:
several departments and grid levels, whistles, transfers, reopenings, households and visits."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from bench.rebuild import apply_one_by_one, generate
from gridplus.evaluation.domain.scorecard import SubjectKind, Window
from gridplus.evaluation.handlers import scorecards
from gridplus.kit.db import transaction
from tests.integration.evaluation.conftest import MIGRATIONS
from tests.support.store import MigratedStore, migrated_store

pytestmark = pytest.mark.integration

KINDS = [
    (SubjectKind.GRID, 1),
    (SubjectKind.DEPARTMENT, 0),
    (SubjectKind.WORKER, 0),
    (SubjectKind.GRID, 3),
]


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MigratedStore]:
    path: Path = tmp_path_factory.mktemp("together")
    with migrated_store(f"sqlite:///{path}/together.db", MIGRATIONS) as migrated:
        apply_one_by_one(migrated.sessions, generate(3_000))
        yield migrated


@pytest.mark.parametrize(
    "window",
    [Window(date(2025, 1, 6), date(2025, 1, 13)), Window(date.min, date(2030, 1, 1))],
    ids=["a-week", "everything"],
)
def test_several_kinds_together_equal_each_alone(store: MigratedStore, window: Window) -> None:
    with transaction(store.sessions) as session:
        together = scorecards.several(session, window, KINDS)
        alone = [scorecards.scorecards(session, k, window, grid_level=n) for k, n in KINDS]
    assert [len(cards) for cards in alone][:2] == [5, 8] and len(alone[3]) > 100
    assert sum(card.whistle_summoned for card in alone[1]) > 0
    assert together == alone


def test_the_gauges_pair_reads_the_same_as_two_calls(store: MigratedStore) -> None:
    window = Window(date(2025, 1, 1), date(2025, 2, 1))
    with transaction(store.sessions) as session:
        grids, departments = scorecards.several(
            session, window, [(SubjectKind.GRID, 1), (SubjectKind.DEPARTMENT, 0)]
        )
        assert grids == scorecards.scorecards(session, SubjectKind.GRID, window, grid_level=1)
        assert departments == scorecards.scorecards(session, SubjectKind.DEPARTMENT, window)
