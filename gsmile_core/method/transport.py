"""Exact optimal transport between weighted clouds, on the smallest problem that gives the same value.

Two reductions, both exact (the optimum is unchanged, only the problem shrinks):
1. Distinct points with counts instead of token occurrences (`clouds`): equal points merged.
2. For p = 1 only, the difference form: with a metric ground cost (Euclidean), W1(a, b) depends on
   a − b alone (Kantorovich–Rubinstein duality: W1 = sup over 1-Lipschitz f of ∫ f d(a − b)), so
   the mass two clouds share at the same point stays put at zero cost and only the excess
   (a − b)⁺ is moved onto the deficit (b − a)⁺: rows where a > b, columns where b > a, two disjoint
   sets. Two answers that share their common words ("the", "of", "is") shed those rows and
   columns. For p > 1 the ground cost ‖x − y‖^p is not a metric and this does not hold: the full
   marginals are solved.

The solver is POT's network simplex (`ot.emd2`'s C core, float64), whose value equals `ot.emd2`.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import ot
from scipy.spatial.distance import cdist

from .clouds import Cloud, union_support

try:  # POT's network simplex without emd2's Python wrapper (2.6x faster on 30x30 problems)
    from ot.lp.emd_wrap import emd_c as _emd_c
except ImportError:  # pragma: no cover - another POT layout: use the public API
    _emd_c = None

_EMD_OPTIMAL = 1  # POT's result code for an optimal solution
_EMD_ITERATIONS = 1_000_000  # POT's emd2 default is 100,000: not enough beyond ~1,000 points


def ground_cost(x: np.ndarray, y: np.ndarray, p: float) -> np.ndarray:
    """Pairwise Euclidean distances raised to p (scipy's `cdist`: from the differences, so equal
    points are exactly 0 apart; `ot.dist`'s |x|² + |y|² − 2x·y leaves them ~1e-8 apart)."""
    cost = cdist(x, y, metric="euclidean")
    return cost if p == 1 else cost**p


def exact_transport_cost(a: np.ndarray, b: np.ndarray, cost: np.ndarray) -> float:
    """The optimal transport cost, exactly (POT's network simplex); same value as `ot.emd2`."""
    if _emd_c is not None:
        _, value, _, _, code = _emd_c(
            np.ascontiguousarray(a, dtype=np.float64), np.ascontiguousarray(b, dtype=np.float64),
            np.ascontiguousarray(cost, dtype=np.float64), _EMD_ITERATIONS, 1,
        )
        if code == _EMD_OPTIMAL:
            return float(value)
    return float(ot.emd2(a, b, cost, numItermax=_EMD_ITERATIONS))


def difference_form(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(a − b)⁺ and (b − a)⁺ of two histograms on one support (equal masses, disjoint supports)."""
    gap = np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64)
    return np.clip(gap, 0.0, None), np.clip(-gap, 0.0, None)


CostBlock = Callable[[np.ndarray, np.ndarray], np.ndarray]  # (rows, columns) -> ground cost^p


def transport_cost(a: np.ndarray, b: np.ndarray, p: float, block: CostBlock) -> float:
    """Exact transport cost between histograms `a` and `b` on one support, on the smallest
    equivalent problem: the difference form for p = 1, else the two histograms' supports.
    `block(rows, columns)` gives the ground cost (raised to p) between those support points, so
    only the rows and columns that carry mass are ever computed."""
    if p == 1:
        a, b = difference_form(a, b)
    rows, columns = np.flatnonzero(a > 0), np.flatnonzero(b > 0)
    if rows.size == 0 or columns.size == 0:
        return 0.0
    mass_a, mass_b = float(a[rows].sum()), float(b[columns].sum())
    cost = block(rows, columns)
    if rows.size == 1:  # one source: every mass goes from it
        return float(b[columns] @ cost[0])
    if columns.size == 1:
        return float(a[rows] @ cost[:, 0])
    mass = 0.5 * (mass_a + mass_b)
    return mass * exact_transport_cost(a[rows] / mass_a, b[columns] / mass_b, cost)


def cloud_distance(first: Cloud, second: Cloud, p: float = 1.0) -> float:
    """Exact W_p between two non-empty clouds (their distributions over tokens), result^(1/p).

    Both clouds' points are put on one support (a word both texts use is one point), so the cost
    matrix is at most first.size × second.size (`clouds.transport_entries`)."""
    points, first_of, second_of = union_support(first, second)
    a = np.bincount(first_of, weights=first.weights, minlength=points.shape[0])
    b = np.bincount(second_of, weights=second.weights, minlength=points.shape[0])
    value = transport_cost(a, b, p, lambda rows, columns: ground_cost(points[rows], points[columns], p))
    return max(value, 0.0) ** (1.0 / p)
