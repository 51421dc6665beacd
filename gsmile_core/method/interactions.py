"""Pairwise interactions among the top units: which two act together, from the answers already in.

The surrogate is additive: each unit's removal moves the answer by its own amount. Two units
interact when removing both moves the answer by more or less than their two effects added. For a
pair (i, j) among the top units (by |importance|), with r = 1 − mask (1 = removed), the weighted
least-squares fit

    Δ ≈ b₀ + Σₖ bₖ rₖ (k over the top units) + γ · rᵢ rⱼ

estimates γ, the interaction, with its standard error and a two-sided t-test. Its sign says how:
- γ > 0, "only together": the answer moves when both are removed, much less when one is (two
  synonyms, either of which keeps the answer: an OR);
- γ < 0, "either one": removing either moves the answer about as much as removing both (two
  words the answer needs at once: an AND).
p-values are Holm-adjusted over the pairs tested. No model call: the masks and distances are the
explanation's own. With uniform-count or Bernoulli masks every pair is removed together in a
fair share of the perturbations; with `local` masks (few removals) pairs may be rare, and the test
then reports what it can (wide standard errors, large p).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

TOGETHER = "only together"
EITHER = "either one"


@dataclass(frozen=True)
class Interaction:
    """One pair of units and how they act on the answer together."""

    first: int  # unit indices, first < second
    second: int
    coefficient: float  # γ: Δ when both are removed, beyond their two effects
    std_error: float
    p_value: float  # two-sided t-test of γ = 0
    p_adjusted: float  # Holm over the pairs tested
    both_removed: int  # perturbations with both units removed

    @property
    def kind(self) -> str:
        return TOGETHER if self.coefficient > 0 else EITHER

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "kind": self.kind}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Interaction:
        names = ("first", "second", "coefficient", "std_error", "p_value", "p_adjusted", "both_removed")
        return cls(**{name: data[name] for name in names})


def holm(p_values: Sequence[float]) -> list[float]:
    """Holm's step-down adjustment (family-wise error), in the input order."""
    order = np.argsort(p_values)
    m = len(p_values)
    adjusted = [0.0] * m
    running = 0.0
    for rank, index in enumerate(order):
        running = max(running, min(1.0, (m - rank) * float(p_values[index])))
        adjusted[index] = running
    return adjusted


def pairwise_interactions(
    masks: np.ndarray,
    deltas: np.ndarray,
    weights: np.ndarray,
    importance: np.ndarray,
    *,
    top: int = 6,
    report: int = 5,
) -> tuple[Interaction, ...]:
    """The `report` strongest interactions (smallest adjusted p) among the `top` units by |importance|."""
    from scipy.stats import t as student_t

    masks = np.asarray(masks, dtype=float)
    deltas = np.asarray(deltas, dtype=float)
    weights = np.asarray(weights, dtype=float)
    n, d = masks.shape
    chosen = sorted(np.argsort(-np.abs(np.asarray(importance)), kind="stable")[: min(top, d)].tolist())
    removed = 1.0 - masks[:, chosen]
    found = []
    for a in range(len(chosen)):
        for b in range(a + 1, len(chosen)):
            product = removed[:, a] * removed[:, b]
            design = np.column_stack([np.ones(n), removed, product])
            p = design.shape[1]
            both = int(product.sum())
            if n <= p or both == 0 or both == n:
                continue
            root = np.sqrt(weights)
            solution, *_ = np.linalg.lstsq(design * root[:, None], deltas * root, rcond=None)
            residual = deltas - design @ solution
            dof = n - p
            sigma2 = float(np.sum(weights * residual**2) / dof)
            precision = design.T @ (design * weights[:, None])
            covariance = np.linalg.pinv(precision) * sigma2
            se = float(np.sqrt(max(covariance[-1, -1], 0.0)))
            gamma = float(solution[-1])
            if se == 0.0:
                p_value = 0.0 if gamma != 0 else 1.0
            else:
                p_value = float(2 * student_t.sf(abs(gamma / se), dof))
            found.append((chosen[a], chosen[b], gamma, se, p_value, both))
    adjusted = holm([f[4] for f in found])
    interactions = [
        Interaction(i, j, gamma, se, p_value, p_adj, both)
        for (i, j, gamma, se, p_value, both), p_adj in zip(found, adjusted)
    ]
    # Strongest first; |γ| compared to 10 decimals and then the pair's positions, so a tie does
    # not come out in an order set by floating-point noise (it changed with the BLAS in use).
    interactions.sort(key=lambda x: (x.p_adjusted, -round(abs(x.coefficient), 10), x.first, x.second))
    return tuple(interactions[:report])
