"""ATT accuracy (paper 4.4.1, Table 1): do the attributions pick out the words a human marked?

Ground truth: each word of the prompt is labelled 1 (critical) or 0 (auxiliary), as in the
paper ("a weight of 1 to critical keywords and 0 to auxiliary or less relevant tokens"). The
labelling rule of the shipped prompt set is `LABELLING_RULE`.

- ATT AUROC: scikit-learn's `roc_auc_score(labels, scores)` — the probability that a critical
  word scores higher than an auxiliary one; needs no threshold. Undefined (None) when a prompt
  has only one class.
- ATT ACC and ATT F1 need a yes/no prediction per word. The selection rule is stated with every
  result: by default the top-k words by score with k = the number of critical words of that
  prompt (so a perfect ranking scores 1 on both); alternatively a fixed k, or score > threshold.
  Ties in the score are broken by prompt order. `accuracy_score` and `f1_score` do the counting.

Scores are the explanation's signed importances (positive = keeping the word holds the answer),
so "important" means a large positive score.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from importlib import resources
from typing import Any

import numpy as np
from sklearn.metrics import accuracy_score, f1_score, roc_auc_score

from ...errors import ConfigError
from ...types import Feature
from .words import word_identity

LABELLING_RULE = (
    "A word is critical (label 1) when it names the subject the answer must be about: its "
    "nouns, and the modifiers or verbs that change which subject is meant ('chocolate' cake, "
    "'rainy' day, 'Roman' empire, what to 'make'). Every other word is auxiliary (label 0): "
    "question words, articles, prepositions, pronouns, auxiliary verbs, politeness ('could "
    "you', 'please'), generic request verbs ('tell', 'give', 'explain', 'describe', 'write', "
    "'list') and modifiers of form or amount that leave the subject unchanged ('short', "
    "'simple', 'three', 'regular', 'green'). Words are matched ignoring case and edge "
    "punctuation; a repeated critical word is critical at every position."
)


@dataclass(frozen=True)
class LabelledPrompt:
    prompt: str
    critical: tuple[str, ...]
    note: str = ""


def load_labelled_prompts() -> tuple[LabelledPrompt, ...]:
    """The labelled prompt set shipped in `gsmile_core/data/labelled_prompts.json`."""
    data = json.loads(resources.files("gsmile_core").joinpath("data", "labelled_prompts.json").read_text("utf-8"))
    return tuple(
        LabelledPrompt(item["prompt"], tuple(item["critical"]), item.get("note", ""))
        for item in data["prompts"]
    )


def labels_for(features: Sequence[Feature], critical: Sequence[str]) -> tuple[int, ...]:
    """1 for each word whose identity is one of the critical words, else 0."""
    wanted = {word_identity(w) for w in critical}
    labels = tuple(int(word_identity(f.text) in wanted) for f in features)
    missing = wanted - {word_identity(f.text) for f in features}
    if missing:
        raise ConfigError(f"critical word(s) not in the prompt: {', '.join(sorted(missing))}")
    return labels


@dataclass(frozen=True)
class SelectionRule:
    """How scores become a yes/no prediction: top-k (k None = number of critical words) or a threshold."""

    top_k: int | None = None
    threshold: float | None = None

    def __post_init__(self) -> None:
        if self.top_k is not None and self.threshold is not None:
            raise ConfigError("choose either a top-k or a threshold rule, not both")
        if self.top_k is not None and self.top_k < 1:
            raise ConfigError(f"top-k must be at least 1, got {self.top_k}")

    def describe(self) -> str:
        if self.threshold is not None:
            return f"a word is predicted critical when its score > {self.threshold:g}"
        if self.top_k is not None:
            return f"the top {self.top_k} words by score are predicted critical (ties: prompt order)"
        return "the top-k words by score are predicted critical, k = number of critical words (ties: prompt order)"

    def predict(self, scores: Sequence[float], n_critical: int) -> tuple[int, ...]:
        values = np.asarray(scores, dtype=float)
        if self.threshold is not None:
            return tuple(int(v > self.threshold) for v in values)
        k = min(self.top_k if self.top_k is not None else n_critical, len(values))
        order = sorted(range(len(values)), key=lambda i: (-values[i], i))
        chosen = set(order[:k])
        return tuple(int(i in chosen) for i in range(len(values)))


@dataclass(frozen=True)
class AccuracyResult:
    """ATT ACC / F1 / AUROC of one prompt's attributions."""

    words: tuple[str, ...]
    scores: tuple[float, ...]
    labels: tuple[int, ...]
    predicted: tuple[int, ...]
    acc: float
    f1: float
    auroc: float | None
    rule: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def attribution_accuracy(
    scores: Sequence[float],
    labels: Sequence[int],
    rule: SelectionRule | None = None,
    words: Sequence[str] = (),
) -> AccuracyResult:
    """ATT ACC, F1 (of the rule's prediction) and AUROC (of the scores) against `labels`."""
    rule = rule or SelectionRule()
    y = np.asarray(labels, dtype=int)
    s = np.asarray(scores, dtype=float)
    if y.shape != s.shape or y.size == 0:
        raise ConfigError(f"{s.size} scores for {y.size} labels")
    predicted = rule.predict(s, int(y.sum()))
    auroc = float(roc_auc_score(y, s)) if 0 < y.sum() < y.size else None
    return AccuracyResult(
        words=tuple(words) or tuple(str(i) for i in range(y.size)),
        scores=tuple(float(v) for v in s),
        labels=tuple(int(v) for v in y),
        predicted=predicted,
        acc=float(accuracy_score(y, predicted)),
        f1=float(f1_score(y, predicted, zero_division=0)),
        auroc=auroc,
        rule=rule.describe(),
    )


@dataclass(frozen=True)
class AccuracySummary:
    """Means over prompts (AUROC over the prompts where it is defined), as in Table 1."""

    acc: float
    f1: float
    auroc: float | None
    prompts: int
    rule: str
    labelling_rule: str = LABELLING_RULE

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def summarise(results: Sequence[AccuracyResult]) -> AccuracySummary:
    if not results:
        raise ConfigError("no prompt to summarise")
    aurocs = [r.auroc for r in results if r.auroc is not None]
    return AccuracySummary(
        acc=float(np.mean([r.acc for r in results])),
        f1=float(np.mean([r.f1 for r in results])),
        auroc=float(np.mean(aurocs)) if aurocs else None,
        prompts=len(results),
        rule=results[0].rule,
    )
