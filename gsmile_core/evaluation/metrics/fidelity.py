"""ATT fidelity (paper 4.4.5, Tables 5-9): the six figures, for one explanation or a sweep.

The figures themselves are computed by `gsmile_core.method.fidelity` when the surrogate is fitted (eqs.
16-22); this module names them as the paper's tables do and lays them out per explanation, e.g.
one row per perturbation count (Tables 6-8) or per distance × surrogate (Table 9).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ...types import Explanation

# (key in Fidelity, column title as in the paper's tables)
SIX_FIGURES: tuple[tuple[str, str], ...] = (
    ("wmse", "WMSE"),
    ("r2_w", "R²_w"),
    ("wmae", "WMAE"),
    ("mean_l1", "mean-L1"),
    ("mean_l2", "mean-L2"),
    ("adj_r2_w", "adj. R²_w"),
)


def fidelity_figures(explanation: Explanation) -> dict[str, float | None]:
    """The six fidelity figures of one explanation, keyed as in `Fidelity`."""
    data = explanation.fidelity.to_dict()
    return {key: data[key] for key, _ in SIX_FIGURES}


def fidelity_rows(explanations: Sequence[Explanation], label: str, labels: Sequence[Any]) -> list[dict[str, Any]]:
    """One row per explanation: `label` column, the six figures, samples and calls."""
    rows = []
    for value, explanation in zip(labels, explanations):
        row: dict[str, Any] = {label: value}
        row.update(fidelity_figures(explanation))
        row["n_samples"] = explanation.fidelity.n_samples
        row["enumerated"] = bool(explanation.extras.get("enumerated", False))
        rows.append(row)
    return rows
