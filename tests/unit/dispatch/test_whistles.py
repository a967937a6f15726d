"""Whistle report deadlines and who arbitrates a repeated refusal."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from gridplus.dispatch.domain.whistles import arbitrator, summon

BLOWN = datetime(2026, 11, 27, 9, tzinfo=UTC)


def test_each_named_department_reports_once_within_the_limit() -> None:
    due = summon(["dep-water", " dep-police ", "dep-water", ""], BLOWN, 30)
    assert [d.department_code for d in due] == ["dep-water", "dep-police"]
    assert all(d.deadline == BLOWN + timedelta(minutes=30) for d in due)
    assert due[0].yellow_at == BLOWN + timedelta(minutes=22, seconds=30)


def test_a_repeated_refusal_goes_to_the_grid_chief_else_an_admin() -> None:
    assert arbitrator(1, ["c-2", "c-1"]) == ""
    assert arbitrator(2, ["c-2", "c-1"]) == "c-1"
    assert arbitrator(3, []) == "admin"
