"""The words every report uses for the same thing, defined once: the heatmap legend, its scale and
the fidelity figures' names, so the terminal, HTML, Markdown and SVG say the same."""

from __future__ import annotations

from ..types import Fidelity
from .format import number

LEGEND = (
    "importance = −θ (minus the surrogate coefficient). Positive: keeping the word holds the "
    "answer near the original answer (removing it moves the answer). Negative: keeping the word "
    "moves the answer away. Colour strength is |importance| relative to the largest in view."
)
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
