"""Reporters for a whole poll of events, asked of petition in one call (kit Prepared's
`prepare_ahead`) instead of one GetReporterContacts per event: in the 4,000-petition closed loop
notification's consumer spent 81% of its time waiting on those calls one by one, and drained
last, ~11 s after intake stopped.

What a poll fetched serves that poll's events only (the next poll replaces it). It is as fresh
as what each event asked for itself before: every event of the poll was committed in petition
before the poll, so the answer already holds what each of them changed (a merge's reporters
included). Everything else passes through to the source.
"""

from __future__ import annotations

from collections.abc import Sequence

from gridplus.notification.domain.audience import Member
from gridplus.notification.domain.notices import Recipient
from gridplus.notification.ports import RecipientDirectory, Subtree


class ReportersAhead(RecipientDirectory):
    def __init__(self, source: RecipientDirectory) -> None:
        self._source = source
        self._ahead: dict[str, list[tuple[Recipient, bool]]] = {}

    def fetch(self, petition_ids: Sequence[str]) -> None:
        """The reporters of `petition_ids`, for the prepares of this poll (replacing the last)."""
        self._ahead = {}  # a failure below leaves nothing of the last poll behind
        if petition_ids:
            self._ahead = self._source.reporters_of(petition_ids)

    def reporters(self, petition_id: str) -> list[tuple[Recipient, bool]]:
        found = self._ahead.get(petition_id)
        return found if found is not None else self._source.reporters(petition_id)

    def reporters_of(self, petition_ids: Sequence[str]) -> dict[str, list[tuple[Recipient, bool]]]:
        return self._source.reporters_of(petition_ids)

    def chain(self, grid_code: str) -> list[Member]:
        return self._source.chain(grid_code)

    def department_heads(self) -> dict[str, str]:
        return self._source.department_heads()

    def subtree(self, grid_code: str) -> Subtree | None:
        return self._source.subtree(grid_code)
