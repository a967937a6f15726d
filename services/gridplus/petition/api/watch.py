"""WatchPetitions: the change feed (petition_changes) read after a cursor, then polled.

Feed ids are given in insertion order, but on PostgreSQL a transaction holding a lower id may
commit after one holding a higher id. A watcher therefore never moves past a missing id until it
appears, or until it has been missing longer than GAP_GRACE (a rolled-back transaction), so a
resumed watch neither misses nor repeats an entry.
"""

from __future__ import annotations

import base64
import binascii
import time
from collections.abc import Callable, Iterator

from sqlalchemy.orm import Session

from gridplus.api.petition.v1 import petition_pb2
from gridplus.kit.clock import Clock
from gridplus.kit.db import SessionFactory, transaction
from gridplus.kit.errors import InvalidArgument
from gridplus.kit.text import clean_text
from gridplus.petition.api.convert import status_from_proto
from gridplus.petition.storage import changes
from gridplus.petition.storage.changes import Change
from gridplus.petition.storage.repository import PetitionQuery, Scope

CURSOR_HEADER = "gridplus-watch-cursor"
POLL_SECONDS = 0.2
GAP_GRACE_SECONDS = 10.0
BATCH = 200
_PREFIX = "w1:"


def encode_cursor(change_id: int) -> str:
    return base64.urlsafe_b64encode(f"{_PREFIX}{change_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        if not raw.startswith(_PREFIX):
            raise ValueError(raw)
        value = int(raw.removeprefix(_PREFIX))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise InvalidArgument.single("cursor", "is not a cursor this API returned") from None
    if value < 0:
        raise InvalidArgument.single("cursor", "is not a cursor this API returned")
    return value


def watch_query(request: petition_pb2.WatchPetitionsRequest, scope: Scope | None) -> PetitionQuery:
    status = status_from_proto(request.status)
    if request.status and status is None:
        raise InvalidArgument.single("status", f"unknown status {request.status}")
    return PetitionQuery(
        status=status,
        grid_code=request.grid_code or None,
        department_code=request.department_code or None,
        category=request.category or None,
        text=clean_text(request.text, field="text").strip() or None,
        scope=scope,
    )


class Feed:
    def __init__(
        self, sessions: SessionFactory, query: PetitionQuery, cursor: str, *, clock: Clock
    ) -> None:
        self._sessions = sessions
        self._query = query
        self._clock = clock
        if cursor == "now":
            with transaction(sessions) as session:
                self._after = changes.last_change_id(session)
        else:
            self._after = decode_cursor(cursor) if cursor else 0
        self._gap_seen: dict[int, float] = {}  # missing id -> when first noticed (monotonic)

    @property
    def cursor(self) -> str:
        return encode_cursor(self._after)

    def follow(self, active: Callable[[], bool]) -> Iterator[Change]:
        while active():
            found = self.read()
            yield from found
            if not found:
                time.sleep(POLL_SECONDS)

    def read(self) -> list[Change]:
        """The next matching entries after the cursor, up to the first young gap."""
        with transaction(self._sessions) as session:
            # Look at a bounded stretch at a time, so a watch from the start stays cheap.
            top = min(changes.last_change_id(session), self._after + 5 * BATCH)
            horizon = self._horizon(session, top)
            if horizon <= self._after:
                return []
            found = changes.get_changes(
                session, after_id=self._after, up_to=horizon, query=self._query, limit=BATCH
            )
        if len(found) == BATCH:
            self._after = found[-1].change_id
        else:
            self._after = horizon
        return found

    def _horizon(self, session: Session, top: int) -> int:
        after = self._after
        while True:
            gap = changes.first_gap(session, after_id=after, up_to=top)
            if gap is None:
                return top
            seen = self._gap_seen.setdefault(gap, time.monotonic())
            if time.monotonic() - seen < GAP_GRACE_SECONDS:
                return gap - 1
            after = gap  # missing for long: a rolled-back transaction; skip it
