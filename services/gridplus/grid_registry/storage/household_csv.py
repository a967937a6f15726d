"""The household register's CSV files (domain/household_rows.py): read with each row's line
number, written with the columns in order."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping
from pathlib import Path

from gridplus.grid_registry.domain.household_rows import (
    COLUMNS,
    RowError,
    RowsRefused,
    missing_columns,
)


def read_rows(path: Path) -> list[tuple[int, dict[str, str]]]:
    """(line, row) for every data row; RowsRefused when the header lacks a column."""
    with open(path, encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = missing_columns(reader.fieldnames or [])
        if missing:
            raise RowsRefused(
                [RowError(1, column, "missing from the header") for column in missing]
            )
        rows, errors = [], []
        for row in reader:
            if None in row:  # DictReader keeps extra cells under the key None
                errors.append(RowError(reader.line_num, "", "more cells than the header names"))
                continue
            rows.append((reader.line_num, {key: value or "" for key, value in row.items()}))
    if errors:
        raise RowsRefused(errors)
    return rows


def write_rows(path: Path, rows: Iterable[Mapping[str, str]]) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(COLUMNS))
        writer.writeheader()
        for row in rows:
            writer.writerow(row)
            count += 1
    return count
