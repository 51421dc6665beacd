"""Terminal views of model explanations (text classifiers, tabular rows), drawn with rich.

A text classifier's explanation is drawn like a prompt's: the word heatmap and the word table
(`terminal`), under a heading that names the classifier, the explained class or distance
and the original outputs, with the per-feature permutation tests. A table row is drawn as a
bar chart: one line per feature with its column, value, score, a bar of |score| in the score's
colour, its 95% interval and p-value. The fairness counterfactual adds both rows' scores side by
side with their deltas. All text is plain `Text` (never markup).
"""

from __future__ import annotations

from rich import box
from rich.console import Group
from rich.table import Table
from rich.text import Text

from ..scoring.summary import ModelSummary, model_summary
from ..types import Explanation
from .format import number, p_value

BAR_WIDTH = 10
POSITIVE, NEGATIVE = "#d62728", "#1f77b4"


def bar(score: float, scale: float, width: int = BAR_WIDTH) -> Text:
    """|score| / scale as a bar of block characters (eighths), red for positive, blue for negative."""
    eighths = 0 if scale <= 0 else round(min(abs(score) / scale, 1.0) * width * 8)
    full, rest = divmod(eighths, 8)
    blocks = "█" * full + ("" if rest == 0 else " ▏▎▍▌▋▊▉"[rest])
    return Text(blocks.ljust(width), style=POSITIVE if score >= 0 else NEGATIVE)


def feature_chart(summary: ModelSummary, limit: int | None = None) -> Table:
    """The features as a ranked bar chart with values, scores, intervals and p-values."""
    tabular = summary.tabular
    table = Table(title="Features by importance" if tabular else "Words by importance (permutation tests)",
                  title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("#", justify="right", no_wrap=True)
    table.add_column("column" if tabular else "word", min_width=10)
    if tabular:
        table.add_column("value", justify="right", max_width=10)
    table.add_column("score", justify="right", no_wrap=True)
    table.add_column("", no_wrap=True)
    table.add_column("95% interval", justify="right", no_wrap=True)
    table.add_column("p", justify="right", no_wrap=True)
    scale = max((abs(r.score) for r in summary.rows), default=0.0)
    for rank, row in enumerate(summary.rows[:limit], start=1):
        cells = [str(rank), Text(row.name)]
        if tabular:
            cells.append(Text(row.value or ""))
        interval = "n/a" if row.interval is None else f"[{number(row.interval[0], 3, True)}, {number(row.interval[1], 3, True)}]"
        cells += [number(row.score, 4, True), bar(row.score, scale), interval, p_value(row.p_value)]
        table.add_row(*cells)
    return table


def model_heading(summary: ModelSummary) -> Group:
    lines = [Text(summary.heading(), style="bold"), Text("original output: " + summary.outputs_line())]
    return Group(*lines)


def tests_note(summary: ModelSummary) -> Text:
    tests = summary.tests
    if tests is None or tests.draws == 0 or tests.note:
        reason = tests.note if tests is not None and tests.note else "no permutation tests"
        return Text(f"p: {reason}.", style="dim")
    return Text(
        f"p: {tests.method}, {tests.draws} permutations, p = (b+1)/(B+1). A deterministic model gives "
        "one output per input, so gSMILE's per-perturbation p-value (a test between two answers' word clouds) is not "
        "defined here; each feature is tested instead.", style="dim",
    )


def model_report(explanation: Explanation, heat: Group, tail: list) -> Group:
    """The whole terminal report of a model explanation; `heat` (the word heatmap and its legend)
    and `tail` (fidelity, run summary) are the text pipeline's views (`terminal`)."""
    summary = model_summary(explanation)
    if summary is None:
        raise ValueError("not a model explanation")
    parts: list = [model_heading(summary), Text("")]
    if not summary.tabular:
        parts += [Text("Text heatmap", style="bold"), heat]
    parts += [Text(summary.legend(), style="dim"), feature_chart(summary), tests_note(summary), *tail]
    return Group(*parts)  # the warnings open the report's summary (`terminal.summary_view`)


def counterfactual_view(counterfactual) -> Group:
    """Both rows' scores side by side with the deltas, and how the prediction moved."""
    first, second = counterfactual.labels
    shift = Table(title=f"Prediction: {first} vs {second}", title_justify="left")
    for name in ("output", first, second, "Δ"):
        shift.add_column(name, justify="left" if name == "output" else "right")
    for name, a, b in counterfactual.output_shift():
        shift.add_row(Text(str(name)), f"{a:.4f}", f"{b:.4f}", f"{b - a:+.4f}")
    table = Table(title=f"Scores side by side (Δ = {second} − {first})", title_justify="left")
    for name in ("column", first, second, "Δ"):
        table.add_column(name, justify="left" if name == "column" else "right")
    rows = sorted(counterfactual.comparison.rows, key=lambda r: -max((abs(d) for d in r.deltas[1:] if d is not None), default=0))
    for row in rows:
        a, b = row.scores
        delta = row.deltas[1]
        table.add_row(Text(row.word), number(a, 4, True), number(b, 4, True), number(delta, 4, True))
    jaccard = counterfactual.comparison.jaccard_to_baseline()[0]
    note = Text(f"top-{counterfactual.comparison.top_k} columns: Jaccard index {jaccard:.2f} "
                "(same masks and background draws for both rows: every difference comes from the protected value)",
                style="dim")
    return Group(shift, table, note)
