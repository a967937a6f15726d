"""Dispatch's text classifier: cross-validated accuracy on the labelled Chinese petitions (seven
top-level classes), accuracy and coverage above confidence thresholds, and training time.

Run alone: `python -m bench.classifier`. Every fold trains on the other folds only (the taxonomy
names are added to each training fold, never to a test fold).
"""

from __future__ import annotations

import time

import numpy as np
from sklearn.model_selection import StratifiedKFold

from gridplus.dispatch.domain import classifier as c
from gridplus.dispatch.storage.training import trained_classifier, training_rows

FOLDS = 10
THRESHOLDS = (0.0, 0.3, 0.4, 0.5, 0.6)


def cross_validate(folds: int = FOLDS) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per petition: true label, predicted label, confidence (each from a model that never saw
    it)."""
    rows = training_rows()
    petitions = c.chinese_petitions(rows.cn_petitions)
    taxonomy = c.chinese_taxonomy(rows.cn_taxonomy, set(petitions.labels))
    texts = np.array(petitions.texts, dtype=object)
    labels = np.array(petitions.labels)
    predicted = np.empty(len(labels), dtype=object)
    confidence = np.zeros(len(labels))
    splits = StratifiedKFold(folds, shuffle=True, random_state=0).split(texts, labels)
    for train, test in splits:
        fold = c.Examples(
            list(texts[train]) + taxonomy.texts,
            list(labels[train]) + taxonomy.labels,
            [1.0] * len(train) + taxonomy.weights,
        )
        model = c.chinese_model()
        model.fit(fold.texts, fold.labels, linearsvc__sample_weight=fold.weights)
        codes, scores = c.confidences(model, list(texts[test]))
        predicted[test] = codes
        confidence[test] = scores
    return labels, predicted, confidence


def report() -> dict[str, tuple[float, str]]:
    started = time.perf_counter()
    trained_classifier()
    training = time.perf_counter() - started
    labels, predicted, confidence = cross_validate()
    correct = labels == predicted
    print(
        f"Chinese petitions, 7 top-level classes, {len(labels)} rows, {FOLDS}-fold CV: "
        f"accuracy {correct.mean():.1%}"
    )
    for threshold in THRESHOLDS:
        kept = confidence >= threshold
        accuracy = correct[kept].mean() if kept.any() else float("nan")
        print(
            f"  threshold {threshold:.2f}: auto-classified {kept.mean():6.1%}, "
            f"accuracy there {accuracy:6.1%}, to triage {1 - kept.mean():6.1%}"
        )
    print(f"training both models (zh + NYC en) at start-up: {training:.2f} s")
    return {
        "classifier.accuracy": (100 * float(correct.mean()), "%"),
        "classifier.training": (training, "s"),
    }


if __name__ == "__main__":
    report()
