"""Details of the selected heatmap word: score, interval, evidence, perturbations without it."""

from __future__ import annotations

from textual.content import Content
from textual.style import Style
from textual.widgets import Static

from gsmile_core.sanitize import one_line
from gsmile_core.types import Explanation
from gsmile_core.method.word_support import WordSupport

SHOWN = 8


VERDICTS = {True: "significant", False: "not significant", None: "significance unknown"}


def unit_status(explanation: Explanation, support: WordSupport) -> str:
    """One line on the selected unit (kept in view at the foot of the heatmap pane, however far
    a long prompt is scrolled; the full detail is under the legend)."""
    feature = support.feature
    return (f"{feature.level} {feature.index + 1}/{len(explanation.features)} · {support.score:+.4f} · "
            f"{VERDICTS[support.significant]}")


def describe_word(explanation: Explanation, support: WordSupport) -> Content:
    """Plain-text (never markup) description of one word's evidence."""
    alpha = explanation.config.get("alpha", 0.05)
    lines: list = [(f"“{one_line(support.feature.text)}”", Style(bold=True))]
    lines.append(f"  {support.feature.level} {support.feature.index + 1} · score {support.score:+.4f}")
    if support.interval is not None:
        lo, hi = support.interval
        lines.append(f" · 95% interval [{lo:+.4f}, {hi:+.4f}]")
    verdict = VERDICTS[support.significant]
    lines.append((f"\n{verdict}", Style(bold=True)))
    if support.removal_p is not None:
        lines.append(f" (removal test p = {support.removal_p:.3g})")
    lines.append(
        f"\n{len(support.without)} perturbations without it"
        + (f"; {support.significant_count}/{support.tested} with p < {alpha}" if support.tested else "")
    )
    for j in support.without[:SHOWN]:
        p = explanation.perturbations[j]
        p_text = "-" if p.p_value is None else f"{p.p_value:.3f}"
        lines.append(f"\n  Δ {p.output_distance:.3f}  p {p_text}  {one_line(p.prompt, 60)}")
    if len(support.without) > SHOWN:
        lines.append(f"\n  … {len(support.without) - SHOWN} more in the Perturbations tab")
    lines.append((f"\nrule: {support.rule}", Style(dim=True)))
    return Content.assemble(*lines)


class WordDetail(Static):
    DEFAULT_CSS = "WordDetail { height: auto; padding: 0 1; }"

    def __init__(self, **kwargs) -> None:
        super().__init__("Select a word with ← →.", markup=False, **kwargs)

    def show(self, explanation: Explanation, support: WordSupport) -> None:
        self.update(describe_word(explanation, support))
