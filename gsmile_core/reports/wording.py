"""The words every report uses for the same thing, defined once: the heatmap legend and the
fidelity figures' names, so the terminal, HTML, Markdown and SVG say the same."""

from __future__ import annotations

LEGEND = (
    "importance = −θ (minus the surrogate coefficient). Positive: keeping the word holds the "
    "answer near the original answer (removing it moves the answer). Negative: keeping the word "
    "moves the answer away. Colour strength is |importance| relative to the largest in view."
)
FIDELITY_NAMES = ("WMSE", "R²_w", "adj. R²_w", "WMAE", "mean-L1", "mean-L2")
