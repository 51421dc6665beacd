"""Bounds of many transport problems that share one cost matrix, to settle them without solving.

The permutation test (stats.py) asks, for each random split of two answers' pooled words, whether
the split's optimal transport cost reaches the observed one. Every split moves mass between the
same pooled points, so all splits share one ground-cost matrix C (points × points) and differ only
in their marginals a_k, b_k. That makes Sinkhorn's scaling a matrix product for a whole batch at
once — u = a / (v Kᵀ), v = b / (u K), with one kernel K = exp(−C/ε) computed once per test — with
no per-split copy of the costs: memory is C, K, K∘C and a few (batch × points) arrays, whatever the
batch. Bounds hold at any iteration; iterations only tighten them:

- upper: the cost of Sinkhorn's plan rounded onto the transport polytope (Altschuler, Weed &
  Rigollet 2017, Algorithm 2: scale rows down to a, columns down to b, add the outer product of
  the deficits) — a feasible plan, so at least the optimum;
- lower: the row potentials f = ε log u on a's support and their c-transform
  g_j = min_i (C_ij − f_i) are dual feasible, so a·f + b·g is at most the optimum (weak
  duality). The c-transform is the one step that is not a matrix product; it runs on chunks of
  splits so that no temporary exceeds `CHUNK_ENTRIES` numbers.

Everything is float64: the bounds' rounding error (~1e-13 relative for thousands of points) is far
inside the decision margin `BOUND_SLACK`.
"""

from __future__ import annotations

import numpy as np

BOUND_SLACK = 1e-9  # decision margin, relative to the costs' scale and the potentials
CHUNK_ENTRIES = 1 << 22  # most numbers in one temporary of the c-transform (32 MB of float64)
_TINY = 1e-300  # floor of divisors


class SharedCostSinkhorn:
    """Sinkhorn scaling of k problems with one cost matrix (n × m) and marginals a (k × n),
    b (k × m) of equal masses per row (not necessarily 1)."""

    def __init__(self, cost: np.ndarray, kernel: np.ndarray, weighted: np.ndarray, epsilon: float,
                 a: np.ndarray, b: np.ndarray) -> None:
        self.cost, self.kernel, self.weighted, self.epsilon = cost, kernel, weighted, epsilon
        self.a, self.b = a, b
        self.u = np.ones(a.shape)
        self.v = np.ones(b.shape)

    def iterate(self, iterations: int) -> None:
        for _ in range(iterations):
            self.u = self.a / np.maximum(self.v @ self.kernel.T, _TINY)
            self.v = self.b / np.maximum(self.u @ self.kernel, _TINY)

    def keep(self, rows: np.ndarray) -> None:
        """Continue with the problems `rows` only."""
        self.a, self.b, self.u, self.v = self.a[rows], self.b[rows], self.u[rows], self.v[rows]

    def upper(self) -> np.ndarray:
        """The cost of a feasible plan per problem (Altschuler et al.'s rounding of the current one)."""
        a, b, kernel = self.a, self.b, self.kernel
        u = self.u * np.minimum(a / np.maximum(self.u * (self.v @ kernel.T), _TINY), 1.0)
        column_sums = u @ kernel  # of diag(u) K, before the columns are scaled
        v = self.v * np.minimum(b / np.maximum(self.v * column_sums, _TINY), 1.0)
        row_gap = np.clip(a - u * (v @ kernel.T), 0.0, None)
        col_gap = np.clip(b - v * column_sums, 0.0, None)
        mass = row_gap.sum(axis=1)
        plan_cost = np.einsum("ki,ki->k", u, v @ self.weighted.T)
        gap_cost = np.einsum("ki,ki->k", row_gap, col_gap @ self.cost.T)
        return plan_cost + np.where(mass > 0, gap_cost / np.where(mass > 0, mass, 1.0), 0.0)

    def lower(self, rows: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """The dual bound of each problem (or of the problems `rows`), and the size of its
        potentials (for the margin)."""
        a, b, u = (self.a, self.b, self.u) if rows is None else (self.a[rows], self.b[rows], self.u[rows])
        on_a, on_b = a > 0, b > 0
        f = np.where(on_a, self.epsilon * np.log(np.maximum(u, _TINY)), -np.inf)
        g = np.empty(b.shape)
        rows = max(1, CHUNK_ENTRIES // max(self.cost.size, 1))
        for start in range(0, f.shape[0], rows):
            chunk = f[start : start + rows]
            g[start : start + rows] = (self.cost[None, :, :] - chunk[:, :, None]).min(axis=1)
        value = (a * np.where(on_a, f, 0.0)).sum(axis=1) + (b * np.where(on_b, g, 0.0)).sum(axis=1)
        potential = np.maximum(np.abs(f).max(axis=1, where=on_a, initial=0.0),
                               np.abs(g).max(axis=1, where=on_b, initial=0.0))
        return value, potential


class SharedCostBounds:
    """The kernels of one cost matrix, made once, for batches of problems on it."""

    def __init__(self, cost: np.ndarray, sharpness: float) -> None:
        largest = float(cost.max()) if cost.size else 0.0
        self.cost = cost
        self.largest = largest if largest > 0 else 1.0
        self.epsilon = self.largest / sharpness
        self.kernel = np.exp(-cost / self.epsilon)  # entries >= e^-sharpness
        self.weighted = self.kernel * cost

    def batch(self, a: np.ndarray, b: np.ndarray) -> SharedCostSinkhorn:
        return SharedCostSinkhorn(self.cost, self.kernel, self.weighted, self.epsilon, a, b)


def bracket(
    bounds: SharedCostBounds, a: np.ndarray, b: np.ndarray, threshold: float, stages: tuple[int, ...],
    solve_iterations: float, iteration_overhead: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Settle which problems' optimal cost reaches `threshold`, in stages of Sinkhorn iterations.

    After each stage every open problem gets an upper bound (below the threshold settles "not
    reached") and a lower bound (at or above it settles "reached"), each beyond a rounding margin.
    Settled problems leave the batch. A stage is skipped when it would cost more than solving the
    open problems exactly: an iteration costs `iteration_overhead` (a fixed cost, in cost-matrix
    entries) plus one pass over the cost matrix per open problem; an exact solve costs about
    `solve_iterations` such passes. Returns the indices settled as reached and those still open.
    """
    sinkhorn = bounds.batch(a, b)
    open_ = np.arange(a.shape[0])
    reached: list[np.ndarray] = [np.zeros(0, dtype=np.int64)]
    margin = BOUND_SLACK * bounds.largest
    entries = max(bounds.cost.size, 1)
    for stage, iterations in enumerate(stages):
        if stage and iterations * (iteration_overhead + open_.size * entries) > open_.size * solve_iterations * entries:
            break
        sinkhorn.iterate(iterations)
        still = ~(sinkhorn.upper() * (1 + BOUND_SLACK) + margin < threshold)  # not settled below
        if still.any():  # the dual bound (the costlier one) only where the upper bound did not settle
            candidates = np.flatnonzero(still)
            lower, potential = sinkhorn.lower(candidates)
            above = lower - BOUND_SLACK * potential - margin >= threshold
            reached.append(open_[candidates[above]])
            still[candidates[above]] = False
        open_ = open_[still]
        if not open_.size:
            break
        sinkhorn.keep(np.flatnonzero(still))
    return np.concatenate(reached), open_


def feasible_plan_costs(cost: np.ndarray, a: np.ndarray, b: np.ndarray, iterations: int = 50,
                        sharpness: float = 50.0) -> np.ndarray:
    """Upper bounds of the optimal costs of problems (a_k, b_k) on `cost` after `iterations`."""
    sinkhorn = SharedCostBounds(cost, sharpness).batch(np.atleast_2d(a), np.atleast_2d(b))
    sinkhorn.iterate(iterations)
    return sinkhorn.upper()


def dual_lower_bounds(cost: np.ndarray, a: np.ndarray, b: np.ndarray, iterations: int = 50,
                      sharpness: float = 50.0) -> np.ndarray:
    """Lower bounds of the optimal costs of problems (a_k, b_k) on `cost` after `iterations`."""
    sinkhorn = SharedCostBounds(cost, sharpness).batch(np.atleast_2d(a), np.atleast_2d(b))
    sinkhorn.iterate(iterations)
    return sinkhorn.lower()[0]
