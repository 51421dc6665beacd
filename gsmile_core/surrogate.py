"""Weighted linear surrogates of the output movement (paper eqs. 5-6).

The target is the output distance Δ_j itself, regressed on the keep-mask z_j with the kernel
weights w_j. Surrogates are scikit-learn estimators, so the contract (`fit(X, y,
sample_weight)`, `coef_`, `intercept_`, `predict`) is scikit-learn's. `fit_surrogate` returns the
coefficients and, for Bayesian ridge, each coefficient's posterior standard deviation.

Importance is reported as -θ_i: keeping a word that holds the answer near the original lowers Δ,
so its coefficient is negative and its importance positive.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.linear_model import BayesianRidge, LinearRegression

from .registry import Registry

SURROGATES: Registry[type] = Registry("surrogate")
SURROGATES.register("wls", "weighted least squares (paper eq. 6)")(LinearRegression)
SURROGATES.register("bayes", "Bayesian ridge with per-word posterior std")(BayesianRidge)


@dataclass(frozen=True)
class SurrogateFit:
    coefficients: np.ndarray
    intercept: float
    predictions: np.ndarray
    coefficient_std: np.ndarray | None

    @property
    def importance(self) -> np.ndarray:
        return -self.coefficients


def fit_surrogate(name: str, masks: np.ndarray, target: np.ndarray, weights: np.ndarray) -> SurrogateFit:
    """Fit surrogate `name` to (masks, target) with sample weights; predictions on the same masks."""
    estimator = SURROGATES.get(name)()
    estimator.fit(masks, target, sample_weight=weights)
    std = None
    if hasattr(estimator, "sigma_"):
        std = np.sqrt(np.clip(np.diag(estimator.sigma_), 0.0, None))
    return SurrogateFit(
        coefficients=np.asarray(estimator.coef_, dtype=float),
        intercept=float(estimator.intercept_),
        predictions=np.asarray(estimator.predict(masks), dtype=float),
        coefficient_std=std,
    )
