"""How much a word's score owes to which perturbations were drawn: bootstrap intervals.

A score is a regression coefficient fitted to a few dozen random perturbations. Drawing other
perturbations of the same prompt would give other scores; the bootstrap imitates that from the
data at hand: resample the perturbations (mask, answer distance, kernel weight) with
replacement, refit the same surrogate, and take the percentiles of each word's refitted score
(Efron's percentile interval). A word whose interval contains 0 is not reliably signed: the
auditor should not read its colour as a finding. Resampling is seeded from the run's seed, so
the interval is reproducible. Unlike Bayesian ridge's credible interval it makes no model
assumption and works for every surrogate, so both are shown.

Intervals travel in `Explanation.extras` (plain JSON) under `INTERVALS_KEY`; `intervals_of`
reads them back as typed values for renderers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np


INTERVALS_KEY = "intervals"
DEFAULT_LEVEL = 0.95


@dataclass(frozen=True)
class WordIntervals:
    """Per-word lower and upper bounds of the importance at `level`, and how they were made."""

    kind: str  # "bootstrap" (percentile, over perturbations) or "credible" (Bayesian posterior)
    level: float
    lower: tuple[float, ...]
    upper: tuple[float, ...]
    resamples: int = 0
    seed: int | None = None

    def crosses_zero(self) -> tuple[bool, ...]:
        return tuple(lo <= 0.0 <= hi for lo, hi in zip(self.lower, self.upper))

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "level": self.level,
            "lower": list(self.lower),
            "upper": list(self.upper),
            "resamples": self.resamples,
            "seed": self.seed,
            "crosses_zero": list(self.crosses_zero()),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> WordIntervals:
        return cls(
            kind=str(data["kind"]),
            level=float(data["level"]),
            lower=tuple(float(v) for v in data["lower"]),
            upper=tuple(float(v) for v in data["upper"]),
            resamples=int(data.get("resamples", 0)),
            seed=data.get("seed"),
        )


CHUNK = 16  # refits solved together


def _minimum_norm(gram: np.ndarray, moment: np.ndarray) -> np.ndarray:
    """Minimum-norm solutions of a stack of symmetric systems (the pseudo-inverse by eigenvalues,
    small ones cut as least squares does): a resample that misses a unit's variation leaves its
    Gram matrix singular, and then the answer is least squares' minimum-norm one, not a guess."""
    values, vectors = np.linalg.eigh(gram)
    cutoff = np.abs(values).max(axis=1, keepdims=True) * gram.shape[-1] * np.finfo(float).eps
    inverse = np.where(np.abs(values) > cutoff, 1.0 / np.where(values == 0, 1.0, values), 0.0)
    projected = np.einsum("rji,rj->ri", vectors, moment)
    return np.einsum("rij,rj->ri", vectors, inverse * projected)


def weighted_linear_fits(masks: np.ndarray, target: np.ndarray, weights: np.ndarray, alpha: float = 0.0) -> np.ndarray:
    """The coefficients of many weighted linear fits with an intercept at once: one row of
    `weights` per fit (R × n), the same masks (n × d) and target.

    alpha = 0 is scikit-learn's `LinearRegression(...).fit(masks, target, sample_weight=w)` (centre
    by the weighted means, then the minimum-norm solution); alpha > 0 is `Ridge(alpha)`. A bootstrap
    resample is a weight vector (multinomial counts, or Bayesian-bootstrap weights), so R refits
    cost R small linear systems instead of R estimator fits: the primal d × d system when units are
    fewer than perturbations, else the dual n × n one (X'(WXX' + αI)⁻¹Wy), never both."""
    w = np.asarray(weights, dtype=float)
    masks = np.asarray(masks, dtype=float)
    target = np.asarray(target, dtype=float)
    n, d = masks.shape
    total = w.sum(axis=1)                                          # R
    mean_x = (w @ masks) / total[:, None]                          # R × d
    mean_y = (w @ target) / total                                  # R
    coefficients = np.empty((w.shape[0], d))
    if d <= n or alpha == 0:
        sum_x = mean_x * total[:, None]
        for first in range(0, w.shape[0], CHUNK):  # chunks bound the R × d × n products in memory
            rows = slice(first, first + CHUNK)
            weighted = masks.T[None, :, :] * w[rows, None, :]      # chunk × d × n
            gram = weighted @ masks - sum_x[rows, :, None] * mean_x[rows, None, :]
            moment = weighted @ target - sum_x[rows] * mean_y[rows, None]
            if alpha > 0:
                gram[:, np.arange(d), np.arange(d)] += alpha
                coefficients[rows] = np.linalg.solve(gram, moment[:, :, None])[:, :, 0]
            else:
                coefficients[rows] = _minimum_norm(gram, moment)
        return coefficients
    products = masks @ masks.T                                     # n × n, once
    projections = masks @ mean_x.T                                 # n × R
    for r in range(w.shape[0]):
        mu = projections[:, r]
        centred_products = products - mu[:, None] - mu[None, :] + mean_x[r] @ mean_x[r]
        system = w[r][:, None] * centred_products
        system[np.arange(n), np.arange(n)] += alpha
        dual = np.linalg.solve(system, w[r] * (target - mean_y[r]))
        coefficients[r] = (masks - mean_x[r]).T @ dual
    return coefficients


def bootstrap_intervals(
    surrogate: str,
    masks: np.ndarray,
    target: np.ndarray,
    weights: np.ndarray,
    *,
    resamples: int,
    seed: int,
    level: float = DEFAULT_LEVEL,
    alpha: float | None = None,
) -> WordIntervals:
    """Percentile intervals of each word's importance over `resamples` bootstrap refits.

    `wls` refits are solved together and so are `ridge` refits (`weighted_linear_fits`: the solutions of scikit-learn's
    LinearRegression and Ridge); the other surrogates refit one by one.

    Least-squares surrogates refit on multinomial resamples of the perturbations. The ridge
    surrogate (an underdetermined fit) refits with the full fit's `alpha` on Bayesian-bootstrap
    weights instead (every perturbation kept, its weight times an Exp(1) draw, Rubin 1981): a
    multinomial resample leaves out about a third of the perturbations, and with more units than
    perturbations ridge then shrinks every score, so the intervals would sit below the estimates."""
    from .surrogate import fit_surrogate  # scikit-learn: only when fitting, not when reading intervals

    masks = np.asarray(masks, dtype=float)
    target = np.asarray(target, dtype=float)
    weights = np.asarray(weights, dtype=float)
    n = masks.shape[0]
    rng = np.random.default_rng(np.random.SeedSequence(entropy=seed, spawn_key=(0xB00757,)))
    scores = np.empty((resamples, masks.shape[1]))
    if surrogate == "wls":
        counts = np.empty((resamples, n))
        for r in range(resamples):
            rows = rng.integers(0, n, size=n)
            if not np.any(weights[rows] > 0):
                rows = np.arange(n)  # a resample with no weight cannot be fitted; use the sample
            counts[r] = np.bincount(rows, minlength=n)
        scores = -weighted_linear_fits(masks, target, weights * counts)
    elif surrogate == "ridge" and alpha is not None:
        scores = -weighted_linear_fits(masks, target, weights * rng.exponential(size=(resamples, n)), alpha)
    for r in range(resamples if surrogate not in ("wls", "ridge") else 0):
        rows = rng.integers(0, n, size=n)
        if not np.any(weights[rows] > 0):
            rows = np.arange(n)  # a resample with no weight cannot be fitted; use the sample
        scores[r] = fit_surrogate(surrogate, masks[rows], target[rows], weights[rows], alpha=alpha).importance
    tail = (1 - level) / 2 * 100
    lower, upper = np.percentile(scores, [tail, 100 - tail], axis=0)
    return WordIntervals(
        kind="bootstrap",
        level=level,
        lower=tuple(float(v) for v in lower),
        upper=tuple(float(v) for v in upper),
        resamples=resamples,
        seed=seed,
    )


def credible_intervals(bounds: np.ndarray | None, level: float = DEFAULT_LEVEL) -> WordIntervals | None:
    """Bayesian ridge's posterior intervals (from `SurrogateFit.credible_intervals`) as WordIntervals."""
    if bounds is None:
        return None
    return WordIntervals(
        kind="credible",
        level=level,
        lower=tuple(float(v) for v in bounds[:, 0]),
        upper=tuple(float(v) for v in bounds[:, 1]),
    )


def intervals_of(extras: dict[str, Any]) -> dict[str, WordIntervals]:
    """The intervals stored in an explanation's extras, by kind (empty if none)."""
    stored = extras.get(INTERVALS_KEY) or {}
    return {kind: WordIntervals.from_dict(data) for kind, data in stored.items()}
