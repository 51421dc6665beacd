"""The words every report uses for the same thing, defined once: the heatmap legend, its scale, the
fidelity figures' names and the significance evidence and rule, so the terminal, HTML, Markdown and
SVG say the same."""

from __future__ import annotations

from ..method.word_support import WordSupport, support_rule
from ..types import Explanation, Fidelity
from .format import number, p_value

LEGEND = (
    "importance = −θ (minus the surrogate coefficient). Positive: keeping the word holds the "
    "answer near the original answer (removing it moves the answer). Negative: keeping the word "
    "moves the answer away. Colour strength is |importance| relative to the largest in view."
)


def legend_for(level: str = "word") -> str:
    """`LEGEND` for units at `level` ("keeping the sentence holds the answer...")."""
    return LEGEND if level == "word" else LEGEND.replace("the word", f"the {level}")


FIDELITY_TITLE = "Fidelity of the surrogate (paper eqs. 17-22)"
FIDELITY_NAMES = ("WMSE", "R²_w", "adj. R²_w", "WMAE", "mean-L1", "mean-L2")


def fidelity_values(fidelity: Fidelity) -> tuple[float | None, ...]:
    """The figures named by `FIDELITY_NAMES`, in that order."""
    f = fidelity
    return (f.wmse, f.r2_w, f.adj_r2_w, f.wmae, f.mean_l1, f.mean_l2)


def scale_ends(scale: float) -> tuple[str, str]:
    """The numbers at the colour scale's two ends (the largest |importance| in view, signed)."""
    return number(-scale, 3, signed=True), number(scale, 3, signed=True)


def scale_sentence(scale: float) -> str:
    """The colour scale in words, for a report without a drawn bar."""
    low, high = scale_ends(scale)
    return f"Colour scale: {low} (full negative colour) · 0 (no colour) · {high} (full positive colour)."


# The evidence columns beside each word, and its verdict, in every table of words.
EVIDENCE_COLUMNS = ("perturbations without it", "of them p < α", "with it: p < α", "removal test p", "significant")
VERDICT = {True: "yes", False: "no", None: "—"}
# Where a narrow view shows the two counts in one column: "without it · with it".
P_COUNTS_TOGETHER = "p < α: without · with it"


def evidence_cells(support: WordSupport) -> tuple[str, ...]:
    """The cells under `EVIDENCE_COLUMNS` for one word (plain text, no untrusted content)."""
    s = support
    return (
        str(len(s.without)),
        f"{s.significant_count}/{s.tested}" if s.tested else "—",
        f"{s.kept_significant}/{s.kept_tested}" if s.kept_tested else "—",
        p_value(s.removal_p),
        VERDICT[s.significant],
    )


def significance_sentence(explanation: Explanation, mark: str) -> str:
    """How a view marks the words that are not significant (`mark`, e.g. "underlined") and the
    rule, in one sentence."""
    return f"{mark}: not significant. Rule: {support_rule(explanation)}."
