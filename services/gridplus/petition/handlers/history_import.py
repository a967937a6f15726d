"""Importing history (a city's 311 export) as closed petitions: each checked row is located in
its grid (grid-registry), its category checked against the taxonomy, and the petition with its
two imported events written in batches, one transaction each (domain/history_import.py says
what an imported petition is).

Bad rows are reported by line and the rest imported by default: a real export always holds some
noise (rows without coordinates, a type the taxonomy lacks), and a history import is re-runnable
(each request is imported once), so fixing those rows and importing the file again adds just
them. `strict` checks every row first and writes nothing if any is bad (for a curated file that
must go in whole). Rows the source had not closed are reported as skipped either way.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Protocol

from gridplus.kit.db import SessionFactory, transaction
from gridplus.kit.outbox import Outbox
from gridplus.petition.domain.history_import import (
    Format,
    HistoryRecord,
    RowProblem,
    closed_petition,
)
from gridplus.petition.domain.petition import Petition
from gridplus.petition.domain.values import GridRef
from gridplus.petition.handlers.deps import publish
from gridplus.petition.ports import CategorySource
from gridplus.petition.storage import imported, repository


class GridLocator(Protocol):
    def locate(self, *, lat: float, lon: float) -> GridRef | None: ...


@dataclass
class ImportReport:
    """What a run did; `problems` in file order (bad rows and rows not closed)."""

    rows: int = 0
    imported: int = 0
    already: int = 0  # imported before (or twice in the file): left as they were
    problems: list[RowProblem] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def bad(self) -> list[RowProblem]:
        return [p for p in self.problems if not p.not_closed]

    @property
    def not_closed(self) -> int:
        return sum(1 for p in self.problems if p.not_closed)

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds > 0 else 0.0


@dataclass(frozen=True)
class HistorySource:
    """Which system the rows come from (their ids are that system's) and in which format."""

    system: str
    format: Format


Progress = Callable[[ImportReport], None]


def import_history(
    sessions: SessionFactory,
    outbox: Outbox,
    rows: Iterable[HistoryRecord | RowProblem],
    *,
    source: HistorySource,
    locator: GridLocator,
    categories: CategorySource,
    strict: bool = False,
    batch_size: int = 200,
    progress: Progress | None = None,
    progress_every: int = 1000,
) -> ImportReport:
    """Import `rows`; with `strict`, nothing at all when any row is bad."""
    report = ImportReport()
    started = time.monotonic()
    petitions = _petitions(rows, source, locator, categories, report)
    if strict:
        ready = list(petitions)
        report.seconds = time.monotonic() - started
        if report.bad:
            return report
        petitions = iter(ready)
    batch: list[Petition] = []
    reported = 0
    for petition in petitions:
        batch.append(petition)
        if len(batch) >= batch_size:
            _write(sessions, outbox, batch, report)
            batch = []
        if progress is not None and report.rows - reported >= progress_every:
            reported = report.rows
            report.seconds = time.monotonic() - started
            progress(report)
    _write(sessions, outbox, batch, report)
    report.seconds = time.monotonic() - started
    return report


def _petitions(
    rows: Iterable[HistoryRecord | RowProblem],
    source: HistorySource,
    locator: GridLocator,
    categories: CategorySource,
    report: ImportReport,
) -> Iterator[Petition]:
    for row in rows:
        report.rows += 1
        if isinstance(row, RowProblem):
            report.problems.append(row)
            continue
        if categories.get(row.category) is None:
            reason = f"category {row.category} ({row.title}) is not in the taxonomy"
            report.problems.append(RowProblem(row.line, row.request_id, reason))
            continue
        grid = locator.locate(lat=row.location.lat, lon=row.location.lon)
        if grid is None:
            reason = f"the point {row.location.lat}, {row.location.lon} lies outside every grid"
            report.problems.append(RowProblem(row.line, row.request_id, reason))
            continue
        yield closed_petition(row, system=source.system, source=source.format, grid=grid)


def _write(
    sessions: SessionFactory, outbox: Outbox, batch: list[Petition], report: ImportReport
) -> None:
    """One transaction: the batch's petitions not there yet, with their events in the outbox."""
    if not batch:
        return
    with transaction(sessions) as session:
        done = imported.get_existing_ids(session, ids={p.id for p in batch})
        for petition in batch:
            if petition.id in done:
                report.already += 1
                continue
            repository.create(session, petition=petition)
            publish(session, outbox, petition)
            done.add(petition.id)
            report.imported += 1
