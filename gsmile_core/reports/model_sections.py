"""HTML and Markdown sections for model explanations (text classifiers, table rows).

The report's own sections (prompt, heatmap, tables, fidelity, perturbations, settings) serve a
model explanation as they are; this adds what is particular to it, right after the original
output: the model and the explained target with its legend, and the features as a bar chart
(HTML: one diverging bar per feature, inline styles only, as the report's Content-Security-Policy
allows; Markdown: a table with a text bar) with the row's values, scores, 95% intervals and the
per-feature permutation p-values. Every text from the model or the data is escaped.
"""

from __future__ import annotations

from ..scoring.summary import ModelSummary, model_summary
from ..types import Explanation
from .format import esc, html_table, markdown_table, md, number, p_value
from .model_terminal import BAR_WIDTH

BAR_PX = 120  # each half of the diverging bar


def _tests_text(summary: ModelSummary) -> str:
    tests = summary.tests
    if tests is None or tests.draws == 0 or tests.note:
        return "p (permutation): " + (tests.note if tests is not None and tests.note else "no tests") + "."
    return (f"p (permutation): {tests.method}, {tests.draws} permutations, p = (b+1)/(B+1). A deterministic model "
            "gives one output per input, so a per-perturbation p-value is not defined; each feature is tested instead.")


def _bar_html(score: float, scale: float, positive: str, negative: str) -> str:
    width = 0 if scale <= 0 else round(min(abs(score) / scale, 1.0) * BAR_PX)
    left = f'<span style="display:inline-block;width:{BAR_PX}px;text-align:right">' + (
        f'<span style="display:inline-block;height:12px;width:{width}px;background:{negative}"></span>' if score < 0 else "") + "</span>"
    right = f'<span style="display:inline-block;width:{BAR_PX}px;border-left:1px solid #888">' + (
        f'<span style="display:inline-block;height:12px;width:{width}px;background:{positive}"></span>' if score >= 0 else "") + "</span>"
    return f'<span style="white-space:nowrap">{left}{right}</span>'


def model_section_html(explanation: Explanation, positive: str, negative: str, heading_level: int = 3) -> str:
    """The model, target and feature bar chart; '' for an LLM explanation."""
    summary = model_summary(explanation)
    if summary is None:
        return ""
    h = f"h{heading_level}"
    scale = max((abs(r.score) for r in summary.rows), default=0.0)
    headers = ["rank", "column" if summary.tabular else "word"] + (["value"] if summary.tabular else [])
    headers += ["score", "bar (− | +)", "95% interval", "p (permutation)"]
    rows = []
    for rank, row in enumerate(summary.rows, start=1):
        cells = [("n", str(rank)), ("", esc(row.name))] + ([("n", esc(row.value))] if summary.tabular else [])
        interval = "n/a" if row.interval is None else f"[{number(row.interval[0])}, {number(row.interval[1])}]"
        cells += [("n", number(row.score, signed=True)), ("", _bar_html(row.score, scale, positive, negative)),
                  ("n", interval), ("n", p_value(row.p_value))]
        rows.append(cells)
    title = "Features by importance" if summary.tabular else "Words by importance (bar chart)"
    return "\n".join([
        f'<{h}>Model</{h}><p class="meta">{esc(summary.heading())}</p>',
        f'<p>Original output — {esc(summary.outputs_line())}</p>',
        f'<p class="meta">{esc(summary.legend())}</p>',
        f"<{h}>{title}</{h}>",
        html_table(headers, rows),
        f'<p class="meta">{esc(_tests_text(summary))}</p>',
    ])


def _bar_text(score: float, scale: float) -> str:
    length = 0 if scale <= 0 else round(min(abs(score) / scale, 1.0) * BAR_WIDTH)
    return ("+" if score >= 0 else "−") * length or "·"


def model_section_markdown(explanation: Explanation, level: int = 3) -> str:
    """The model, target and features table with text bars; '' for an LLM explanation."""
    summary = model_summary(explanation)
    if summary is None:
        return ""
    h = "#" * level
    scale = max((abs(r.score) for r in summary.rows), default=0.0)
    headers = ["rank", "column" if summary.tabular else "word"] + (["value"] if summary.tabular else [])
    headers += ["score", "bar", "95% interval", "p (permutation)"]
    rows = []
    for rank, row in enumerate(summary.rows, start=1):
        cells = [str(rank), md(row.name)] + ([md(row.value)] if summary.tabular else [])
        interval = "n/a" if row.interval is None else f"\\[{number(row.interval[0])}, {number(row.interval[1])}\\]"
        cells += [number(row.score, signed=True), f"`{_bar_text(row.score, scale)}`", interval, p_value(row.p_value)]
        rows.append(cells)
    return "\n\n".join([
        f"{h} Model\n\n{md(summary.heading())}\n\nOriginal output — {md(summary.outputs_line())}\n\n_{md(summary.legend())}_",
        f"{h} {'Features' if summary.tabular else 'Words'} by importance\n\n" + markdown_table(headers, rows),
        f"_{md(_tests_text(summary))}_",
    ])
