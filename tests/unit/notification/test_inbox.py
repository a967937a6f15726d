"""Inbox paging, its page tokens, and who may read an inbox."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest

from gridplus.kit.errors import InvalidArgument
from gridplus.kit.page_tokens import write_page_token
from gridplus.notification.api import convert
from gridplus.notification.domain import inbox
from gridplus.notification.domain.inbox import Cursor


@pytest.mark.parametrize(("requested", "served"), [(0, 20), (1, 1), (100, 100), (101, 100)])
def test_page_size_defaults_and_caps(requested: int, served: int) -> None:
    assert inbox.page_size(requested) == served


def test_a_negative_page_size_is_refused() -> None:
    with pytest.raises(ValueError):
        inbox.page_size(-1)


FILTERS = ["worker-7", False]


def test_a_page_token_round_trips() -> None:
    cursor = Cursor(datetime(2025, 3, 4, 9, 30, 1, 123456, tzinfo=UTC), uuid.uuid4())
    token = convert.page_token(cursor, FILTERS)
    assert convert.cursor_of(token, FILTERS) == cursor


def test_no_cursor_is_an_empty_token_and_back() -> None:
    assert convert.page_token(None, FILTERS) == ""
    assert convert.cursor_of("", FILTERS) is None


def test_a_token_keeps_the_instant_across_time_zones() -> None:
    local = datetime(2025, 3, 4, 17, 30, tzinfo=timezone(timedelta(hours=8)))
    token = convert.page_token(Cursor(local, uuid.uuid4()), FILTERS)
    decoded = convert.cursor_of(token, FILTERS)
    assert decoded is not None and decoded.created_at == local


@pytest.mark.parametrize(
    "token",
    [
        "garbage!",
        "e30",
        "eyJ0IjoxfQ",
        "eyJ0IjoieCIsImkiOiJ5In0",
        write_page_token({"t": "x", "i": "y"}, FILTERS),
        write_page_token({"t": "2025-03-04T09:30:00", "i": str(uuid.uuid4())}, FILTERS),
    ],
)
def test_a_token_not_issued_by_the_service_is_refused(token: str) -> None:
    with pytest.raises(InvalidArgument) as refused:
        convert.cursor_of(token, FILTERS)
    assert [v.field for v in refused.value.violations] == ["page_token"]


def test_a_token_of_another_query_is_refused() -> None:
    token = convert.page_token(Cursor(datetime(2025, 3, 4, tzinfo=UTC), uuid.uuid4()), FILTERS)
    with pytest.raises(InvalidArgument):
        convert.cursor_of(token, ["worker-7", True])


@pytest.mark.parametrize(
    ("subject", "role", "allowed"),
    [
        ("worker-7", "grid_worker", True),
        ("worker-8", "grid_worker", False),
        ("chief-1", "grid_chief", False),
        ("ops", "admin", True),
        ("dispatch", "service", True),
    ],
)
def test_only_the_owner_admins_and_services_read_an_inbox(
    subject: str, role: str, allowed: bool
) -> None:
    assert inbox.may_read_inbox(subject=subject, role=role, recipient_id="worker-7") is allowed
