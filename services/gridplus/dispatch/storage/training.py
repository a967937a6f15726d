"""The classifier's training data: the CSV files in `training/` (see its README), read once at
start-up; `domain/classifier.py` learns from the rows.

Training runs in a child process (`python -m gridplus.dispatch.storage.training DIR`) that hands
back the fitted models as arrays (pickled on its stdout): scikit-learn, scipy and the training's
garbage stay in the child, which exits; dispatch keeps only numpy and the models."""

from __future__ import annotations

import csv
import pickle
import subprocess
import sys
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


def train_here(directory: Path = TRAINING_DIR) -> TextClassifier:
    """Trains in this process (imports scikit-learn here)."""
    return TextClassifier.trained(training_rows(directory))


def trained_classifier(directory: Path = TRAINING_DIR) -> TextClassifier:
    """Trains in a child process and returns the models (the same as `train_here`)."""
    child = subprocess.run(
        [sys.executable, "-m", __name__, str(directory)], capture_output=True, check=False
    )
    if child.returncode != 0:
        raise RuntimeError(f"training the classifier failed: {child.stderr.decode()[-2000:]}")
    classifier = pickle.loads(child.stdout)  # our own child's output
    assert isinstance(classifier, TextClassifier)
    return classifier


if __name__ == "__main__":
    sys.stdout.buffer.write(pickle.dumps(train_here(Path(sys.argv[1])), pickle.HIGHEST_PROTOCOL))
