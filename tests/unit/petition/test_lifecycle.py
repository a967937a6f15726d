"""The petition lifecycle: every allowed transition works, every other one is refused naming the
state the petition is in, and each change leaves a history entry and an event."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from gridplus.kit.errors import FailedPrecondition, InvalidArgument
from gridplus.kit.roles import Role
from gridplus.petition.domain.events import (
    PetitionMerged,
    PetitionStatusChanged,
    PetitionSubmitted,
)
from gridplus.petition.domain.lifecycle import (
    FOLLOW_UP,
    TRANSITIONS,
    FollowUpOutcome,
    Status,
    TransitionRefused,
)
from gridplus.petition.domain.petition import EntryKind, Light, Petition, Step
from gridplus.petition.domain.submission import Submission
from gridplus.petition.domain.values import (
    Actor,
    CategoryChoice,
    CategorySource,
    GeoPoint,
    GridRef,
    Source,
)

T0 = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
RESIDENT = Actor("resident-1", Role.RESIDENT)
WORKER = Actor("worker-7", Role.GRID_WORKER)
DISPATCH = Actor("dispatch", Role.SERVICE)
GRID = GridRef("G1-2-3", 3, ("G1", "G1-2", "G1-2-3"), 4)

# DESIGN.md, "Petition lifecycle", written out so a change to the table is a deliberate one.
ALLOWED = {
    (Status.SUBMITTED, Status.ASSIGNED),
    (Status.SUBMITTED, Status.REJECTED),
    (Status.SUBMITTED, Status.DUPLICATE),
    (Status.ASSIGNED, Status.VERIFIED),
    (Status.ASSIGNED, Status.REJECTED),
    (Status.ASSIGNED, Status.DUPLICATE),
    (Status.VERIFIED, Status.RESOLVED),
    (Status.RESOLVED, Status.CLOSED),
    (Status.RESOLVED, Status.REOPENED),
    (Status.REOPENED, Status.VERIFIED),
    (Status.REOPENED, Status.RESOLVED),  # category and handler stand: resolved again directly
}
# Nothing goes back to SUBMITTED, so there is no method to try that with.
REFUSED = sorted(
    (current, target)
    for current in Status
    for target in Status
    if (current, target) not in ALLOWED and target is not Status.SUBMITTED
)

# How to make each change, with what the change should leave behind.
MOVES: dict[Status, Callable[[Petition, datetime], None]] = {
    Status.ASSIGNED: lambda p, at: p.assign(
        grid=GRID,
        assignee_id="worker-7",
        deadline=at + timedelta(hours=4),
        category="streetlight",
        actor=DISPATCH,
        at=at,
        yellow_at=at + timedelta(hours=3),  # dispatch's: the last quarter of the step
    ),
    Status.VERIFIED: lambda p, at: p.verify(actor=WORKER, at=at, deadline=at + timedelta(days=3)),
    Status.RESOLVED: lambda p, at: p.resolve(note="lamp replaced", actor=WORKER, at=at),
    Status.CLOSED: lambda p, at: p.close(actor=RESIDENT, at=at, note="satisfied"),
    Status.REOPENED: lambda p, at: p.reopen(actor=RESIDENT, at=at, note="still dark"),
    Status.REJECTED: lambda p, at: p.reject(reason="outside the city", actor=DISPATCH, at=at),
    Status.DUPLICATE: lambda p, at: p.mark_duplicate(survivor_id="other", actor=WORKER, at=at),
}

# A way to reach each status from SUBMITTED.
PATHS: dict[Status, list[Status]] = {
    Status.SUBMITTED: [],
    Status.ASSIGNED: [Status.ASSIGNED],
    Status.VERIFIED: [Status.ASSIGNED, Status.VERIFIED],
    Status.RESOLVED: [Status.ASSIGNED, Status.VERIFIED, Status.RESOLVED],
    Status.CLOSED: [Status.ASSIGNED, Status.VERIFIED, Status.RESOLVED, Status.CLOSED],
    Status.REOPENED: [Status.ASSIGNED, Status.VERIFIED, Status.RESOLVED, Status.REOPENED],
    Status.REJECTED: [Status.REJECTED],
    Status.DUPLICATE: [Status.DUPLICATE],
}


def submitted(category: str | None = None) -> Petition:
    return Petition.submit(
        petition_id="p-1",
        submission=Submission(
            "路灯不亮", "the lamp at gate 3 is out", GeoPoint(39.9, 116.4), category
        ),
        reporter=RESIDENT,
        source=Source.RESIDENT,
        at=T0,
    )


def petition_in(status: Status) -> Petition:
    petition = submitted()
    for step, target in enumerate(PATHS[status], start=1):
        MOVES[target](petition, T0 + timedelta(minutes=step))
    petition.new_history.clear()
    petition.events.clear()
    assert petition.status is status
    return petition


def test_the_transition_table_is_the_designed_one() -> None:
    table = {(current, target) for current, targets in TRANSITIONS.items() for target in targets}
    assert table == ALLOWED


@pytest.mark.parametrize(("current", "target"), sorted(ALLOWED))
def test_every_allowed_transition_changes_state_and_records_it(
    current: Status, target: Status
) -> None:
    petition = petition_in(current)
    at = T0 + timedelta(hours=1)

    MOVES[target](petition, at)

    assert petition.status is target
    assert petition.updated_at == at
    [entry] = petition.new_history
    assert (entry.from_status, entry.to_status, entry.at) == (current, target, at)
    event, *more = petition.events
    assert isinstance(event, PetitionStatusChanged)
    assert (event.petition_id, event.from_status, event.to_status) == ("p-1", current, target)
    assert event.actor == entry.actor and event.note == entry.note
    if target is Status.DUPLICATE:  # the merge is published for the survivor's followers
        assert more == [PetitionMerged("p-1", "other", WORKER, at)]
    else:
        assert more == []


@pytest.mark.parametrize(("current", "target"), REFUSED)
def test_other_transitions_are_refused_naming_the_current_state(
    current: Status, target: Status
) -> None:
    petition = petition_in(current)

    with pytest.raises(TransitionRefused) as refused:
        MOVES[target](petition, T0 + timedelta(hours=1))

    assert isinstance(refused.value, FailedPrecondition)
    assert f"is {current.value}" in refused.value.message
    assert petition.status is current
    assert petition.new_history == [] and petition.events == []


def test_submitting_records_the_first_history_entry_and_the_submitted_event() -> None:
    petition = submitted(category="streetlight")

    assert petition.status is Status.SUBMITTED
    [entry] = petition.new_history
    assert (entry.from_status, entry.to_status, entry.actor) == (None, Status.SUBMITTED, RESIDENT)
    [event] = petition.events
    assert isinstance(event, PetitionSubmitted)
    assert (event.petition_id, event.reporter_id, event.category) == (
        "p-1",
        "resident-1",
        "streetlight",
    )


def test_assignment_keeps_routing_facts_and_the_reporters_category_when_dispatch_has_none() -> None:
    petition = submitted(category="streetlight")
    deadline = T0 + timedelta(hours=4)

    petition.assign(
        grid=GRID, assignee_id="w", deadline=deadline, category=None, actor=DISPATCH, at=T0
    )

    assert (petition.grid, petition.assignee_id, petition.deadline) == (GRID, "w", deadline)
    assert petition.category == "streetlight"


def test_a_bad_assignment_names_each_bad_field_and_changes_nothing() -> None:
    petition = submitted()

    with pytest.raises(InvalidArgument) as bad:
        petition.assign(
            grid=GridRef("", 3, (), 1),
            assignee_id="",
            deadline=datetime(2026, 11, 28, 10, 0),  # no offset
            category=None,
            actor=DISPATCH,
            at=T0,
        )

    assert {v.field for v in bad.value.violations} == {"grid", "assignee_id", "deadline"}
    assert petition.status is Status.SUBMITTED and petition.grid is None
    assert len(petition.new_history) == 1  # only the submission


def test_rejection_needs_a_reason_and_shows_it() -> None:
    petition = submitted()
    with pytest.raises(InvalidArgument) as bad:
        petition.reject(reason="  ", actor=DISPATCH, at=T0)
    assert [v.field for v in bad.value.violations] == ["reason"]

    petition.reject(reason="outside every grid", actor=DISPATCH, at=T0)
    assert petition.reject_reason == "outside every grid"
    assert petition.new_history[-1].note == "outside every grid"


def test_a_petition_cannot_be_merged_into_itself() -> None:
    petition = submitted()
    with pytest.raises(InvalidArgument) as bad:
        petition.mark_duplicate(survivor_id="p-1", actor=WORKER, at=T0)
    assert [v.field for v in bad.value.violations] == ["survivor_id"]


def test_final_states_say_they_are_final() -> None:
    petition = petition_in(Status.CLOSED)
    with pytest.raises(TransitionRefused, match="CLOSED is final"):
        petition.reopen(actor=RESIDENT, at=T0)


def test_the_light_compares_dispatchs_instants_yellow_at_and_the_deadline() -> None:
    petition = petition_in(Status.ASSIGNED)  # assigned at T0+1min, verify deadline 4 h later
    start = T0 + timedelta(minutes=1)  # dispatch's yellow_at: 3 h after the assignment
    assert petition.light(start) is Light.GREEN
    assert petition.light(start + timedelta(hours=2, minutes=59)) is Light.GREEN
    assert petition.light(start + timedelta(hours=3)) is Light.YELLOW
    assert petition.light(start + timedelta(hours=4)) is Light.RED
    MOVES[Status.VERIFIED](petition, start + timedelta(hours=5))
    assert petition.handling_deadline == start + timedelta(hours=5, days=3)
    assert petition.verify_deadline == start + timedelta(hours=4)  # kept for the record
    # Staff's own deadline: green until dispatch's clock (with its yellow_at) answers, red past it.
    assert petition.light(start + timedelta(hours=6)) is Light.GREEN
    assert petition.light(start + timedelta(hours=5, days=3) - timedelta(minutes=1)) is Light.GREEN
    assert petition.light(start + timedelta(hours=5, days=3)) is Light.RED
    MOVES[Status.RESOLVED](petition, start + timedelta(hours=7))
    assert petition.light(start + timedelta(days=9)) is None  # no clock runs


def test_notes_and_triage_keep_the_status_and_enter_the_history() -> None:
    petition = submitted()
    petition.send_to_triage(
        reason="classifier unsure",
        best_guess=CategoryChoice(
            "road.manhole", "井盖", "Manhole", "road", CategorySource.CLASSIFIED, 0.41
        ),
        actor=DISPATCH,
        at=T0,
    )
    petition.add_note(note="called the reporter", actor=WORKER, at=T0)
    assert petition.status is Status.SUBMITTED
    assert petition.triage_reason == ("classifier unsure (best guess Manhole, confidence 0.41)")
    kinds = [(e.kind, e.from_status, e.to_status) for e in petition.new_history[1:]]
    assert kinds == [(EntryKind.NOTE, Status.SUBMITTED, Status.SUBMITTED)] * 2
    assert [e for e in petition.events if not isinstance(e, PetitionSubmitted)] == []
    with pytest.raises(InvalidArgument) as empty:
        petition.add_note(note=" ", actor=WORKER, at=T0)
    assert [v.field for v in empty.value.violations] == ["note"]
    MOVES[Status.ASSIGNED](petition, T0 + timedelta(minutes=1))
    assert petition.triage_reason is None  # routed: no longer waiting


def test_a_verify_deadline_in_the_past_is_refused() -> None:
    petition = petition_in(Status.ASSIGNED)
    with pytest.raises(InvalidArgument) as bad:
        petition.verify(actor=WORKER, at=T0 + timedelta(hours=1), deadline=T0)
    assert [v.field for v in bad.value.violations] == ["deadline"]
    assert petition.status is Status.ASSIGNED


def test_every_status_change_carries_the_category_after_it() -> None:
    petition = petition_in(Status.ASSIGNED)
    petition.verify(actor=WORKER, at=T0 + timedelta(hours=1), category="road.manhole")
    [event] = petition.events
    assert isinstance(event, PetitionStatusChanged)
    assert event.category == "road.manhole"
    petition.resolve(note="fixed", actor=WORKER, at=T0 + timedelta(hours=2))
    assert [getattr(e, "category", None) for e in petition.events[1:]] == ["road.manhole"]


def test_a_handling_deadline_staff_chose_travels_with_the_verification_to_dispatch() -> None:
    petition = petition_in(Status.ASSIGNED)
    chosen = T0 + timedelta(days=2)
    petition.verify(actor=WORKER, at=T0 + timedelta(hours=1), deadline=chosen)
    [event] = petition.events
    assert isinstance(event, PetitionStatusChanged) and event.handling_deadline == chosen
    assert petition.deadline == petition.handling_deadline == chosen
    # Any other change, and a verification without a deadline, leave it to dispatch's rules.
    petition.resolve(note="fixed", actor=WORKER, at=T0 + timedelta(hours=2))
    petition.reopen(actor=RESIDENT, at=T0 + timedelta(hours=3))
    petition.verify(actor=WORKER, at=T0 + timedelta(hours=4))
    changes = [e for e in petition.events[1:] if isinstance(e, PetitionStatusChanged)]
    assert [e.handling_deadline for e in changes] == [None, None, None]


def test_paused_shows_only_while_dispatch_holds_the_clock() -> None:
    verified = T0 + timedelta(hours=1)
    petition = petition_in(Status.ASSIGNED)
    petition.verify(actor=WORKER, at=verified)
    deadline = verified + timedelta(hours=4)
    assert _handle_deadline(petition, verified, deadline)
    assert not petition.paused
    assert _handle_deadline(petition, verified + timedelta(hours=1), deadline, paused=True)
    assert petition.paused and petition.clock_paused_at == verified + timedelta(hours=1)
    assert _handle_deadline(petition, verified + timedelta(hours=2), deadline + timedelta(hours=1))
    assert not petition.paused
    # Paused, then resolved: no clock runs, nothing is paused.
    assert _handle_deadline(petition, verified + timedelta(hours=3), deadline, paused=True)
    petition.resolve(note="fixed", actor=WORKER, at=verified + timedelta(hours=4))
    assert not petition.paused and petition.clock_paused_at is None


def _handle_deadline(
    petition: Petition, changed_at: datetime, deadline: datetime, *, paused: bool = False
) -> bool:
    return petition.record_deadline(
        step=Step.HANDLE,
        deadline=deadline,
        yellow_at=deadline - timedelta(hours=1),
        paused=paused,
        changed_at=changed_at,
        reason="petition verified",
        actor=DISPATCH,
    )


def test_dispatchs_handle_deadline_shows_with_its_own_yellow_and_a_paused_light() -> None:
    verified = T0 + timedelta(hours=1)
    petition = petition_in(Status.ASSIGNED)
    petition.verify(actor=WORKER, at=verified)  # no deadline of its own: dispatch's SLA
    petition.new_history.clear()
    deadline = verified + timedelta(hours=4)

    assert _handle_deadline(petition, verified, deadline)

    assert petition.deadline == petition.handling_deadline == deadline
    assert petition.light(verified + timedelta(hours=2, minutes=59)) is Light.GREEN
    assert petition.light(verified + timedelta(hours=3)) is Light.YELLOW  # dispatch's yellow_at
    [entry] = petition.new_history
    assert entry.kind is EntryKind.NOTE and entry.to_status is Status.VERIFIED
    assert entry.note.startswith(f"handle deadline {deadline.isoformat()}")
    # Paused while yellow: stays yellow however long the wait.
    assert _handle_deadline(petition, verified + timedelta(hours=3), deadline, paused=True)
    assert petition.light(verified + timedelta(days=5)) is Light.YELLOW


def test_stale_deadline_changes_are_ignored() -> None:
    verified = T0 + timedelta(hours=1)
    petition = petition_in(Status.ASSIGNED)
    # A handle deadline before verification: the petition is not in that step.
    assert not _handle_deadline(petition, T0 + timedelta(minutes=30), T0 + timedelta(days=1))
    petition.verify(actor=WORKER, at=verified)
    assert _handle_deadline(petition, verified + timedelta(hours=2), verified + timedelta(hours=9))
    # Older than the last change applied (a pause that lost the race): ignored.
    assert not _handle_deadline(
        petition, verified + timedelta(hours=1), verified + timedelta(hours=4), paused=True
    )
    assert petition.deadline == verified + timedelta(hours=9)
    assert petition.clock_paused_at is None
    # Resolved: the clock stopped here; dispatch's later change does not start it again.
    petition.resolve(note="fixed", actor=WORKER, at=verified + timedelta(hours=3))
    assert not _handle_deadline(
        petition, verified + timedelta(hours=4), verified + timedelta(hours=12)
    )
    assert petition.deadline is None and petition.light(verified + timedelta(days=1)) is None
    # Reopened: dispatch's restart (stamped with the reopening time) shows.
    reopened = verified + timedelta(hours=5)
    petition.reopen(actor=RESIDENT, at=reopened, note="still dark")
    assert not _handle_deadline(petition, verified + timedelta(hours=4), reopened)
    assert _handle_deadline(petition, reopened, reopened + timedelta(hours=4))
    assert petition.handling_deadline == reopened + timedelta(hours=4)


def test_a_petition_without_dispatchs_yellow_at_is_green_until_its_deadline() -> None:
    petition = submitted()
    petition.assign(
        grid=GRID, assignee_id="w", deadline=T0 + timedelta(hours=4), category=None,
        actor=DISPATCH, at=T0,
    )  # fmt: skip
    assert petition.yellow_at is None
    assert petition.light(T0 + timedelta(hours=3, minutes=59)) is Light.GREEN
    assert petition.light(T0 + timedelta(hours=4)) is Light.RED


# The follow-up outcome -> what a RESOLVED petition becomes, and the note in its history.
@pytest.mark.parametrize(
    ("outcome", "status", "note"),
    [
        (FollowUpOutcome.SATISFIED, Status.CLOSED, "follow-up: satisfied"),
        (FollowUpOutcome.NO_RESPONSE, Status.CLOSED, "no response"),
        (FollowUpOutcome.UNSATISFIED, Status.REOPENED, "follow-up: unsatisfied"),
    ],
)
def test_the_follow_up_outcome_decides_closed_or_reopened(
    outcome: FollowUpOutcome, status: Status, note: str
) -> None:
    assert FOLLOW_UP[outcome] == (status, note)
    petition = petition_in(Status.RESOLVED)
    petition.new_history.clear()
    petition.events.clear()
    petition.complete_follow_up(outcome=outcome, actor=DISPATCH, at=T0 + timedelta(days=9))
    assert petition.status is status
    [entry] = petition.new_history
    assert (entry.from_status, entry.to_status, entry.note) == (Status.RESOLVED, status, note)
    [event] = petition.events
    assert isinstance(event, PetitionStatusChanged) and event.to_status is status


def test_a_follow_up_outcome_only_moves_a_resolved_petition() -> None:
    petition = petition_in(Status.CLOSED)
    with pytest.raises(TransitionRefused, match="CLOSED is final"):
        petition.complete_follow_up(
            outcome=FollowUpOutcome.UNSATISFIED, actor=DISPATCH, at=T0 + timedelta(days=9)
        )


def test_a_deadline_change_needs_aware_instants() -> None:
    petition = petition_in(Status.VERIFIED)
    with pytest.raises(InvalidArgument) as caught:
        petition.record_deadline(
            step=Step.HANDLE,
            deadline=datetime(2026, 12, 1, 9, 0),
            yellow_at=None,
            paused=False,
            changed_at=T0 + timedelta(days=1),
            reason="",
            actor=DISPATCH,
        )
    assert [v.field for v in caught.value.violations] == ["deadline"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda p, text: p.add_note(note=text, actor=WORKER, at=T0), "note"),
        (lambda p, text: p.reject(reason=text, actor=WORKER, at=T0), "reason"),
        (lambda p, text: p.set_publication(publish=True, note=text, actor=WORKER, at=T0), "note"),
    ],
)
def test_staff_text_with_control_or_bidi_characters_is_refused_and_changes_nothing(
    change: Callable[[Petition, str], None], field: str
) -> None:
    petition = submitted()
    petition.new_history.clear()
    with pytest.raises(InvalidArgument) as bad:
        change(petition, "called \u202eback")
    assert [v.field for v in bad.value.violations] == [field]
    assert petition.status is Status.SUBMITTED and petition.new_history == []
    change(petition, "called back\r\nagain tomorrow")  # newlines are fine in notes
    assert petition.new_history[-1].note.endswith("called back\nagain tomorrow")


def test_a_resolution_note_with_a_bidi_override_is_refused() -> None:
    petition = petition_in(Status.VERIFIED)
    with pytest.raises(InvalidArgument, match="note: must not contain U\\+2066"):
        petition.resolve(note="fixed \u2066", actor=WORKER, at=T0 + timedelta(hours=1))
    assert petition.status is Status.VERIFIED and petition.resolution_note is None


def test_verify_names_every_bad_field_at_once_and_refuses_a_spoofed_category() -> None:
    petition = petition_in(Status.ASSIGNED)
    with pytest.raises(InvalidArgument) as bad:
        petition.verify(
            actor=WORKER,
            at=T0 + timedelta(hours=1),
            category=f"road{chr(0x202E)}",
            deadline=T0,
            note="ok\x00",
        )
    assert [v.field for v in bad.value.violations] == ["deadline", "category", "note"]
    assert petition.status is Status.ASSIGNED and petition.category == "streetlight"
