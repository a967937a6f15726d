"""The read models do not depend on the order events arrive in (the petition and dispatch
topics interleave differently live and in a rebuild) nor on duplicates: every permutation of
the same events, some applied twice, gives byte-identical scorecards."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from google.protobuf.message import Message

from gridplus.api.common.v1 import common_pb2
from gridplus.api.dispatch.v1 import dispatch_pb2
from gridplus.api.events.v1 import events_pb2
from gridplus.api.petition.v1 import petition_pb2
from gridplus.evaluation.api import convert
from gridplus.evaluation.domain.scorecard import SubjectKind, Window
from gridplus.evaluation.handlers import scorecards
from gridplus.evaluation.messaging.consumers import REBUILD_HANDLERS
from gridplus.kit.db import transaction
from gridplus.kit.events import Event
from tests.integration.evaluation.conftest import MIGRATIONS, stamp
from tests.support.store import migrated_store

pytestmark = pytest.mark.integration

T0 = datetime(2025, 3, 4, 8, tzinfo=UTC)
H = timedelta(hours=1)
S = petition_pb2.PetitionStatus
PATH = ["G-01", "G-01-02", "G-01-02-07"]


def changed(pid: str, old: int, new: int, hours: float) -> events_pb2.PetitionStatusChanged:
    return events_pb2.PetitionStatusChanged(
        petition_id=pid,
        from_status=old,
        to_status=new,
        changed_at=stamp(T0 + hours * H),  # type: ignore[arg-type]
    )


def follow_up(pid: str, outcome: int, rating: int, hours: float) -> events_pb2.FollowUpCompleted:
    return events_pb2.FollowUpCompleted(
        petition_id=pid,
        outcome=outcome,
        rating=rating,
        via="rating",
        completed_at=stamp(T0 + hours * H),  # type: ignore[arg-type]
    )


def history() -> list[tuple[str, Message]]:
    """(event id, payload): ids fixed, as on a topic."""
    grid = common_pb2.GridRef(code=PATH[-1], level=3, path=PATH)
    events: list[Message] = []
    for i in range(4):
        pid = f"p-{i}"
        events += [
            events_pb2.PetitionSubmitted(
                petition_id=pid, reporter_id=f"r-{i}", submitted_at=stamp(T0)
            ),
            events_pb2.PetitionAssigned(
                petition_id=pid,
                grid=grid,
                assignee_id="w-1",
                department_code="D-1",
                assigned_at=stamp(T0),
                deadline=stamp(T0 + H),
            ),
            # A transfer at the same instant as another: the larger id wins in any order.
            events_pb2.AssignmentTransferred(
                petition_id=pid, to_assignee_id=f"w-{2 + i % 2}", transferred_at=stamp(T0 + H)
            ),
            events_pb2.AssignmentTransferred(
                petition_id=pid, to_assignee_id="w-4", transferred_at=stamp(T0 + H)
            ),
            changed(pid, S.PETITION_STATUS_ASSIGNED, S.PETITION_STATUS_VERIFIED, 0.5 + i),
            changed(pid, S.PETITION_STATUS_VERIFIED, S.PETITION_STATUS_RESOLVED, 3 + i),
            follow_up(pid, events_pb2.FOLLOW_UP_OUTCOME_UNSATISFIED, 2, 4 + i),
            changed(pid, S.PETITION_STATUS_RESOLVED, S.PETITION_STATUS_REOPENED, 4.5 + i),
            changed(pid, S.PETITION_STATUS_REOPENED, S.PETITION_STATUS_RESOLVED, 30 + i),
            follow_up(pid, events_pb2.FOLLOW_UP_OUTCOME_SATISFIED, 5, 31 + i),
            changed(pid, S.PETITION_STATUS_RESOLVED, S.PETITION_STATUS_CLOSED, 31.5 + i),
            events_pb2.PetitionOverdue(
                petition_id=pid,
                grid=grid,
                step=dispatch_pb2.ASSIGNMENT_STEP_HANDLE,
                deadline=stamp(T0 + 20 * H),
                detected_at=stamp(T0 + 20 * H),
            ),
            events_pb2.WhistleBlown(
                whistle_id=f"wh-{i}",
                petition_id=pid,
                grid=grid,
                department_codes=["D-1", "D-2"],
                blown_at=stamp(T0 + H),
            ),
            events_pb2.WhistleReported(
                whistle_id=f"wh-{i}",
                petition_id=pid,
                department_code="D-1",
                reported_at=stamp(T0 + 2 * H),
                on_time=True,
            ),
            events_pb2.WhistleReported(
                whistle_id=f"wh-{i}",
                petition_id=pid,
                department_code="D-1",
                reported_at=stamp(T0 + 3 * H),
                on_time=False,
            ),
        ]
    return [(f"e-{n}", payload) for n, payload in enumerate(events)]


def numbers(database: Path, events: list[tuple[str, Message]]) -> str:
    with migrated_store(f"sqlite:///{database}", MIGRATIONS) as store:
        for event_id, payload in events:
            event = Event(
                event_id, payload.DESCRIPTOR.full_name, "/t", T0, payload.petition_id, payload
            )  # type: ignore[attr-defined]
            with transaction(store.sessions) as session:
                REBUILD_HANDLERS[event.type](session, event)  # type: ignore[operator]
        out = []
        with transaction(store.sessions) as session:
            for window in (
                Window(date(2025, 3, 4), date(2025, 3, 5)),
                Window(date(2025, 3, 1), date(2025, 4, 1)),
            ):
                for kind, level in (
                    (SubjectKind.WORKER, 0),
                    (SubjectKind.DEPARTMENT, 0),
                    (SubjectKind.GRID, 2),
                    (SubjectKind.CITY, 0),
                ):
                    out.append(
                        convert.to_json(
                            scorecards.scorecards(session, kind, window, grid_level=level)
                        )
                    )
        return "".join(out)


def test_any_order_and_duplicates_give_the_same_numbers(tmp_path: Path) -> None:
    events = history()
    in_order = numbers(tmp_path / "ordered.db", events)
    assert '"subject_id": "w-4"' in in_order and '"reopened": 4' in in_order
    assert '"whistle_reported_on_time": 4' in in_order
    shuffler = random.Random(7)
    for attempt in range(3):
        shuffled = events + shuffler.sample(events, k=len(events) // 3)  # some twice
        shuffler.shuffle(shuffled)
        assert numbers(tmp_path / f"shuffled-{attempt}.db", shuffled) == in_order, attempt
