"""The classifier's training data: the CSV files in `training/` (see its README), read once at
start-up; `domain/classifier.py` learns from the rows."""

from __future__ import annotations

import csv
from pathlib import Path

from gridplus.dispatch.domain.classifier import Rows, TextClassifier, TrainingRows

TRAINING_DIR = Path(__file__).resolve().parents[1] / "training"


def _rows(directory: Path, name: str) -> Rows:
    with (directory / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def training_rows(directory: Path = TRAINING_DIR) -> TrainingRows:
    return TrainingRows(
        cn_petitions=_rows(directory, "cn_petitions.csv"),
        cn_taxonomy=_rows(directory, "cn_taxonomy.csv"),
        nyc311_types=_rows(directory, "nyc311_types.csv"),
    )


def trained_classifier(directory: Path = TRAINING_DIR) -> TextClassifier:
    return TextClassifier(training_rows(directory))
