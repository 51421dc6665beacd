"""What every view of a model explanation shows, computed once from the `Explanation`.

The terminal, the HTML and Markdown reports and the TUI draw the same facts: the kind of model,
the explained target, the original outputs, and per feature its column and value (a table row) or
word (a text), score, 95% interval and permutation p-value. They read them here, from the JSON
the explanation round-trips through (`extras["model"]`), so a reopened session shows the same.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..method.uncertainty import intervals_of
from ..types import Explanation
from .engine import MODEL_KEY, TABULAR
from .feature_tests import FeatureTests
from .outputs import Target


@dataclass(frozen=True)
class FeatureRow:
    index: int
    name: str  # the column, or the word
    value: str | None  # the row's value (tabular), None for a word
    score: float
    interval: tuple[float, float] | None
    p_value: float | None


@dataclass(frozen=True)
class ModelSummary:
    kind: str
    name: str
    classes: tuple[str, ...]
    output_kind: str
    target: Target
    original: tuple[float, ...]
    rows: tuple[FeatureRow, ...]  # ranked, most important first
    tests: FeatureTests | None
    row: int | None = None
    data: str | None = None

    @property
    def tabular(self) -> bool:
        return self.kind == TABULAR

    def heading(self) -> str:
        what = "tabular model" if self.tabular else "text classifier"
        where = f" · row {self.row} of {self.data}" if self.tabular and self.row is not None else ""
        return f"{what} {self.name}{where} · explained: {self.target.describe()}"

    def legend(self) -> str:
        unit = "feature" if self.tabular else "word"
        if self.target.kind == "class":
            subject = "the predicted value" if self.output_kind == "value" else f"{self.target.class_name!r}"
            return (f"score = −θ on Δ = drop of {subject} when the {unit} is removed. Positive: the {unit} raises "
                    f"{subject} (removing it lowers it); negative: it lowers {subject}.")
        return (f"score = −θ on Δ = {self.target.distance} distance between the original and the perturbed output "
                f"distributions. Positive: keeping the {unit} holds the output near the original; negative: keeping "
                f"it moves the output away.")

    def outputs_line(self) -> str:
        if self.output_kind == "value":
            return f"{self.classes[0]} = {self.original[0]:.6g}"
        kind = "probabilities" if self.output_kind == "probabilities" else "scores (softmax for distances)"
        return f"{kind}: " + " · ".join(f"{c} {v:.3f}" for c, v in zip(self.classes, self.original))


def model_summary(explanation: Explanation) -> ModelSummary | None:
    """The summary of a model explanation; None for an LLM explanation."""
    stored = explanation.extras.get(MODEL_KEY)
    if not isinstance(stored, dict):
        return None
    tests = FeatureTests.from_dict(stored["feature_tests"]) if stored.get("feature_tests") else None
    intervals = intervals_of(explanation.extras)
    chosen = intervals.get("credible") or intervals.get("bootstrap")
    columns = stored.get("columns")
    values = stored.get("values")
    rows = []
    for feature, score in explanation.ranked():
        i = feature.index
        if columns is not None:
            value = values[i]
            name, shown = columns[i], (f"{value:.6g}" if isinstance(value, float) else str(value))
        else:
            name, shown = feature.text, None
        rows.append(FeatureRow(
            index=i, name=name, value=shown, score=float(score),
            interval=None if chosen is None else (float(chosen.lower[i]), float(chosen.upper[i])),
            p_value=None if tests is None else tests.p_values[i],
        ))
    return ModelSummary(
        kind=stored["kind"],
        name=str(stored.get("name", "")),
        classes=tuple(stored.get("classes", ())),
        output_kind=stored.get("output_kind", "probabilities"),
        target=Target.from_dict(stored["target"]),
        original=tuple(float(v) for v in stored["outputs"][0]),
        rows=tuple(rows),
        tests=tests,
        row=stored.get("row"),
        data=stored.get("data"),
    )
