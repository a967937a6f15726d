"""The text classifier: a petition's title and description -> a class and a confidence.

Two linear models (scikit-learn), trained when dispatch starts from the rows of the files in
`training/` (read by `storage/training.py`; this module only learns from them):
- Chinese: character 1-3-grams (Chinese has no spaces, so characters carry the words) over the
  labelled petitions' title (weighted x4) and text, plus the taxonomy's second- and third-level
  names as short extra examples of their class -> the seven top-level classes in the data, by
  their Chinese names as the data labels them (grid-registry's taxonomy gives their codes: the
  router asks it, `ports.GridDirectory.top_level_named`; dispatch keeps no list of codes).
- English: word 1-2-grams and character 2-4-grams over NYC 311 complaint types and descriptors ->
  `nyc.<slug>` codes.
Text with Chinese characters goes to the first, other text to the second. Once fitted, each
pipeline is kept as plain arrays (`linear_text`, `compact`) and scored with numpy: scikit-learn is
imported only to train (storage/training.py trains in a child process, so dispatch itself never
loads scikit-learn or scipy). The confidence is the
softmax of the linear scores (monotone in the margin; `bench.classifier` shows accuracy per
threshold), and the caller sends anything below its threshold to the triage queue.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from gridplus.dispatch.domain.categories import nyc_code
from gridplus.dispatch.domain.linear_text import LinearTextModel, TextVectorizer

if TYPE_CHECKING:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import Pipeline

_CJK = re.compile(r"[\u4e00-\u9fff]")
_NOT_CJK = re.compile(r"[\sA-Za-z0-9]+")
_TITLE_WEIGHT = 4  # a title names the problem; the text mostly tells the story around it
_TAXONOMY_REPEATS = 2
# Scale SVM margins (about -1.5..1.5) before the softmax; the English model has ~100 classes, so
# the same margin spreads over many more alternatives.
_TEMPERATURE = {"zh": 4.0, "en": 10.0}


SUGGESTIONS = 3  # how many of the likeliest classes a person in triage is offered


@dataclass(frozen=True)
class Prediction:
    label: str  # "en": an `nyc.<slug>` category code; "zh": a top-level class's Chinese name
    confidence: float  # 0..1
    language: str  # "zh" or "en"
    # The likeliest classes (label, confidence), best first (label and confidence are the
    # first): what triage offers a person when the best is not sure enough.
    ranked: tuple[tuple[str, float], ...] = ()


@dataclass(frozen=True)
class Examples:
    texts: list[str]
    labels: list[str]
    weights: list[float]


def is_chinese(text: str) -> bool:
    return len(_CJK.findall(text)) >= 2


def chinese_text(title: str, text: str) -> str:
    return _NOT_CJK.sub(" ", f"{title}\n" * _TITLE_WEIGHT + text)


def english_text(title: str, text: str) -> str:
    return f"{title}\n{text}".lower()


Rows = list[dict[str, str]]


@dataclass(frozen=True)
class TrainingRows:
    """The training files' rows: labelled Chinese petitions, the Chinese taxonomy's names, and
    NYC 311 complaint types with their descriptors and counts."""

    cn_petitions: Rows
    cn_taxonomy: Rows
    nyc311_types: Rows


def chinese_petitions(rows: Rows) -> Examples:
    """The labelled petitions only (what cross-validation scores)."""
    return Examples(
        texts=[chinese_text(row["title"], row["text"]) for row in rows],
        labels=[row["top_level"] for row in rows],
        weights=[1.0] * len(rows),
    )


def chinese_taxonomy(all_rows: Rows, labels: set[str]) -> Examples:
    """Second/third-level names of the classes in `labels`, as extra short examples."""
    rows = [r for r in all_rows if r["top_level"] in labels] * _TAXONOMY_REPEATS
    return Examples(
        texts=[_NOT_CJK.sub(" ", f"{row['level2']} {row['level3']}") for row in rows],
        labels=[row["top_level"] for row in rows],
        weights=[1.0] * len(rows),
    )


def nyc_examples(rows: Rows) -> Examples:
    return Examples(
        texts=[english_text(row["complaint_type"], row["descriptor"]) for row in rows],
        labels=[nyc_code(row["complaint_type"]) for row in rows],
        # Frequent pairs count more, but a 1,200-row day of heating must not drown the rest.
        weights=[1.0 + math.log(int(row["rows"])) for row in rows],
    )


def chinese_model() -> Pipeline:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import make_pipeline
    from sklearn.svm import LinearSVC

    vectorizer = TfidfVectorizer(
        analyzer="char", ngram_range=(1, 3), sublinear_tf=True, min_df=2, max_df=0.3
    )
    # Hinge loss (not squared): measured 85.3% against 84.6% in 10-fold cross-validation.
    model = LinearSVC(C=0.3, class_weight="balanced", loss="hinge", max_iter=5000)
    return make_pipeline(vectorizer, model)


def english_model() -> Pipeline:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import make_pipeline, make_union
    from sklearn.svm import LinearSVC

    features = make_union(
        TfidfVectorizer(analyzer="word", ngram_range=(1, 2), sublinear_tf=True),
        TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), sublinear_tf=True),
    )
    return make_pipeline(features, LinearSVC(C=1.0))


def _fit(model: Pipeline, examples: Examples) -> Pipeline:
    model.fit(examples.texts, examples.labels, linearsvc__sample_weight=examples.weights)
    return model


def _join(first: Examples, second: Examples) -> Examples:
    return Examples(
        first.texts + second.texts, first.labels + second.labels, first.weights + second.weights
    )


def confidences(
    model: Pipeline, texts: Sequence[str], temperature: float = _TEMPERATURE["zh"]
) -> tuple[list[str], np.ndarray]:
    """Best label and its softmax confidence for each text."""
    scores = np.atleast_2d(model.decision_function(list(texts)))
    classes = model.classes_
    if scores.shape[1] == 1:  # two classes: one margin column
        scores = np.hstack([-scores, scores])
    scaled = np.exp(temperature * (scores - scores.max(axis=1, keepdims=True)))
    probabilities = scaled / scaled.sum(axis=1, keepdims=True)
    best = probabilities.argmax(axis=1)
    return [str(classes[i]) for i in best], probabilities.max(axis=1)


def _vectorizer(fitted: TfidfVectorizer) -> TextVectorizer:
    vocabulary = {str(gram): int(column) for gram, column in fitted.vocabulary_.items()}
    low, high = fitted.ngram_range
    return TextVectorizer(str(fitted.analyzer), (low, high), vocabulary, fitted.idf_.copy())


def compact(model: Pipeline) -> LinearTextModel:
    """A fitted pipeline (one TF-IDF vectorizer or a union of them, then a linear model) as
    arrays; `LinearTextModel.decision` gives its `decision_function` for one text."""
    features, linear = model.steps[0][1], model.steps[-1][1]
    parts = getattr(features, "transformer_list", None)
    fitted = [part for _, part in parts] if parts is not None else [features]
    return LinearTextModel(
        vectorizers=tuple(_vectorizer(part) for part in fitted),
        coef=np.ascontiguousarray(linear.coef_, dtype=np.float64),
        intercept=np.asarray(linear.intercept_, dtype=np.float64),
        classes=tuple(str(label) for label in linear.classes_),
    )


def ranked(
    model: LinearTextModel, text: str, temperature: float, count: int = SUGGESTIONS
) -> tuple[tuple[str, float], ...]:
    """The `count` likeliest labels of one text with their softmax confidences, best first."""
    scores = model.decision(text)
    if len(scores) == 1:  # two classes: one margin
        scores = np.hstack([-scores, scores])
    scaled = np.exp(temperature * (scores - scores.max()))
    probabilities = scaled / scaled.sum()
    # Stable on ties: the class listed first wins, as argmax does for the best guess.
    order = np.argsort(-probabilities, kind="stable")[:count]
    return tuple((model.classes[i], float(probabilities[i])) for i in order)


class TextClassifier:
    """Both models, trained once (`trained`) and kept as arrays; `predict` is thread-safe
    (read-only) and needs numpy only."""

    def __init__(self, chinese: LinearTextModel, english: LinearTextModel) -> None:
        self._chinese = chinese
        self._english = english

    @classmethod
    def trained(cls, rows: TrainingRows) -> TextClassifier:
        """Fits both pipelines (scikit-learn) and keeps their arrays."""
        petitions = chinese_petitions(rows.cn_petitions)
        taxonomy = chinese_taxonomy(rows.cn_taxonomy, set(petitions.labels))
        chinese = _fit(chinese_model(), _join(petitions, taxonomy))
        english = _fit(english_model(), nyc_examples(rows.nyc311_types))
        return cls(compact(chinese), compact(english))

    def predict(self, title: str, description: str) -> Prediction:
        if is_chinese(f"{title}{description}"):
            model, text, language = self._chinese, chinese_text(title, description), "zh"
        else:
            model, text, language = self._english, english_text(title, description), "en"
        likeliest = ranked(model, text, _TEMPERATURE[language])
        label, confidence = likeliest[0]
        return Prediction(label, confidence, language, likeliest)
