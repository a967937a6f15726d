"""A fitted text model as plain arrays: TF-IDF vocabularies and a linear model's coefficients,
scored with numpy alone (no scikit-learn at run time).

`TextVectorizer` does what a fitted scikit-learn `TfidfVectorizer` does to one text (lowercase,
the same char / char_wb / word n-grams, sublinear tf, idf, l2 norm); `LinearTextModel` joins one or
more of them (as `make_union` does) and scores the classes as `decision_function` does.
`classifier.compact` builds them from the fitted pipelines; the predictions are the pipeline's
(tests/unit/dispatch/test_classifier.py compares the top three over the training set).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass

import numpy as np

_WHITE_SPACES = re.compile(r"\s\s+")
_WORD = re.compile(r"(?u)\b\w\w+\b")


def _char_ngrams(text: str, low: int, high: int) -> list[str]:
    text = _WHITE_SPACES.sub(" ", text)
    length = len(text)
    return [
        text[i : i + n] for n in range(low, min(high, length) + 1) for i in range(length - n + 1)
    ]


def _char_wb_ngrams(text: str, low: int, high: int) -> list[str]:
    ngrams: list[str] = []
    for word in _WHITE_SPACES.sub(" ", text).split():
        padded = f" {word} "
        length = len(padded)
        for n in range(low, high + 1):
            offset = 0
            ngrams.append(padded[offset : offset + n])
            while offset + n < length:
                offset += 1
                ngrams.append(padded[offset : offset + n])
            if offset == 0:  # a short word counts once
                break
    return ngrams


def _word_ngrams(text: str, low: int, high: int) -> list[str]:
    tokens = _WORD.findall(text)
    grams = list(tokens) if low == 1 else []
    for n in range(max(low, 2), min(high, len(tokens)) + 1):
        grams.extend(" ".join(tokens[i : i + n]) for i in range(len(tokens) - n + 1))
    return grams


_ANALYZERS = {"char": _char_ngrams, "char_wb": _char_wb_ngrams, "word": _word_ngrams}


@dataclass(frozen=True)
class TextVectorizer:
    analyzer: str  # "char", "char_wb" or "word"
    ngram_range: tuple[int, int]
    vocabulary: dict[str, int]
    idf: np.ndarray  # float64, one per vocabulary entry

    def features(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """The text's non-zero features: (column indices, l2-normalised tf-idf values)."""
        counts = Counter(_ANALYZERS[self.analyzer](text.lower(), *self.ngram_range))
        vocabulary = self.vocabulary
        found = [(vocabulary[gram], count) for gram, count in counts.items() if gram in vocabulary]
        if not found:
            return np.empty(0, dtype=np.intp), np.empty(0)
        found.sort()
        columns = np.array([column for column, _ in found], dtype=np.intp)
        values = np.array([1.0 + math.log(count) for _, count in found]) * self.idf[columns]
        norm = math.sqrt(float(np.dot(values, values)))
        return columns, values / norm if norm > 0 else values


@dataclass(frozen=True)
class LinearTextModel:
    vectorizers: tuple[TextVectorizer, ...]  # their features side by side
    coef: np.ndarray  # (classes, features), or (1, features) for two classes
    intercept: np.ndarray
    classes: tuple[str, ...]

    def decision(self, text: str) -> np.ndarray:
        """One score per coefficient row, as scikit-learn's `decision_function` for one text."""
        scores = self.intercept.astype(np.float64, copy=True)
        offset = 0
        for vectorizer in self.vectorizers:
            columns, values = vectorizer.features(text)
            if len(columns):
                scores += self.coef[:, columns + offset] @ values
            offset += len(vectorizer.idf)
        return scores
