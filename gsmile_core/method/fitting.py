"""From distances to scores: kernel weights, the perturbations that enter the fit, the surrogate.

`explain` does this once per explanation and `refit` again for another analysis setting on the
stored answers. One function serves both, so they cannot drift apart: a refit under the
explanation's own configuration reproduces its numbers bit for bit. Every setting is an explicit
argument (the pipeline and the refit read them from their `ExplainConfig`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .fidelity import fidelity
from .stats import effective_sample_size, gaussian_kernel, kernel_width_for
from .surrogate import LIME_KERNEL_WIDTH, SurrogateFit, effective_surrogate, fit_surrogate, lime_weights
from ..types import Fidelity


@dataclass(frozen=True, eq=False)
class FitOutcome:
    """The kernel width and weights, which perturbations were fitted, the fit and its fidelity."""

    kernel_width: float
    weights: np.ndarray
    used: np.ndarray  # bool per perturbation: entered the fit
    fit: SurrogateFit
    fidelity: Fidelity
    surrogate: str  # the surrogate fitted (`effective_surrogate`: wls becomes ridge when underdetermined)

    @property
    def dropped(self) -> int:
        return int((~self.used).sum())

    def explanation_fields(self) -> dict[str, Any]:
        """The `Explanation` fields the fit decides, as keyword arguments."""
        fit = self.fit
        return {
            "attributions": tuple(float(v) for v in fit.importance),
            "attribution_std": None if fit.coefficient_std is None else tuple(float(v) for v in fit.coefficient_std),
            "intercept": fit.intercept,
            "fidelity": self.fidelity,
            "kernel_width": self.kernel_width,
            "effective_sample_size": effective_sample_size(self.weights[self.used]),
            "dropped_insignificant": self.dropped,
        }


def kernel_uses_input_distances(*, surrogate: str, kernel_width: float | str) -> bool:
    """Whether the weights depend on the prompts' distances: not for the uniform kernel (every
    perturbation weighs 1) nor for LIME's kernel (on the masks). When they do not, the pipeline
    does not compute them: on a long prompt they are the costliest part of the analysis."""
    return surrogate != "lime" and kernel_width != "uniform"


def kernel_weights(
    masks: np.ndarray, deltas_in: np.ndarray, *, surrogate: str, kernel_width: float | str
) -> tuple[float, np.ndarray]:
    """σ and the weight of each perturbation: exp(-(δ/σ)²), or LIME's own kernel on the masks for
    the lime baseline (see surrogate.py), which ignores δ and σ."""
    if surrogate == "lime":
        return LIME_KERNEL_WIDTH, lime_weights(masks)
    if not kernel_uses_input_distances(surrogate=surrogate, kernel_width=kernel_width):
        return float("inf"), np.ones(masks.shape[0])
    sigma = kernel_width_for(kernel_width, deltas_in)
    return sigma, gaussian_kernel(deltas_in, sigma)


def fit_selection(p_values: Sequence[float | None], *, drop_insignificant: bool, alpha: float) -> np.ndarray:
    """All perturbations, or with `drop_insignificant` only those with p < alpha (the paper's rule);
    the original prompt (row 0) and perturbations without a p-value always stay."""
    used = np.ones(len(p_values), dtype=bool)
    if drop_insignificant:
        for j, p_value in enumerate(p_values):
            if j > 0 and p_value is not None and p_value >= alpha:
                used[j] = False
    return used


def fit_perturbations(
    masks: np.ndarray,
    deltas: np.ndarray,
    deltas_in: np.ndarray,
    p_values: Sequence[float | None],
    n_features: int,
    *,
    surrogate: str,
    kernel_width: float | str,
    drop_insignificant: bool = False,
    alpha: float = 0.05,
) -> FitOutcome:
    """Weight, select and fit: the surrogate of Δ (`deltas`) on the masks, and its fidelity."""
    sigma, weights = kernel_weights(masks, deltas_in, surrogate=surrogate, kernel_width=kernel_width)
    used = fit_selection(p_values, drop_insignificant=drop_insignificant, alpha=alpha)
    fitted = effective_surrogate(surrogate, masks.shape[1], int(used.sum()))
    fit = fit_surrogate(fitted, masks[used], deltas[used], weights[used])
    quality = fidelity(deltas[used], fit.predictions, weights[used], n_features)
    return FitOutcome(sigma, weights, used, fit, quality, fitted)
