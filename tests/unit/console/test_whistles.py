"""The whistles page's reading of a report: reported, waiting, or late."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from gridplus.console.whistles.routes import ReportRow, _request_id

DUE = datetime(2026, 12, 4, 1, 30, tzinfo=UTC)


def row(light: str, reported: datetime | None = None) -> ReportRow:
    return ReportRow("DEP", "Environmental Protection", DUE, reported, light)


def test_a_report_is_reported_waiting_or_late() -> None:
    assert row("GREEN").state == "waiting"
    assert row("YELLOW").state == "waiting"
    assert row("RED").state == "late"
    # A report made after its deadline keeps a red light, and is reported all the same.
    assert row("RED", reported=DUE).state == "reported"


def test_a_form_keeps_its_request_id_and_a_forged_one_is_replaced() -> None:
    given = str(uuid.uuid4())
    assert _request_id(given) == given
    fresh = _request_id("'; drop table whistles")
    assert uuid.UUID(fresh) and fresh != given
