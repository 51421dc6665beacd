"""Weighted linear surrogates of the output movement (paper eqs. 5-6).

The target is the output distance Δ_j itself, regressed on the keep-mask z_j with the kernel
weights w_j. Surrogates are scikit-learn estimators, so the contract (`fit(X, y,
sample_weight)`, `coef_`, `intercept_`, `predict`) is scikit-learn's. `fit_surrogate` returns the
coefficients and, for Bayesian ridge, each coefficient's posterior standard deviation.

Importance is reported as -θ_i: keeping a word that holds the answer near the original lowers Δ,
so its coefficient is negative and its importance positive.

`lime` is a baseline, for side-by-side comparison with the same answers: LIME's text explainer
(lime 0.2) weights each sample by sqrt(exp(-d²/25²)) with d = 100 × the cosine distance between
its binary mask and the all-ones mask (the original), ignoring the embedding distances, and fits
scikit-learn `Ridge(alpha=1)` — LIME's defaults. We keep every word (LIME would select at most
10 by forward selection) so the scores stay comparable word by word. The pipeline uses
`lime_weights` instead of the Gaussian kernel of the input distance when this surrogate is
chosen.

`ridge` (α by generalised cross-validation, scikit-learn `RidgeCV`) is what `wls` becomes when a
prompt has more than one unit (plus the intercept) per two perturbations entering the fit: least
squares is then underdetermined or nearly so, and a bootstrap resample, which keeps about 63% of
the distinct perturbations, is underdetermined outright (its minimum-norm refits scatter so far
that a word's interval need not contain its own score), while ridge stays defined and stable.
`effective_surrogate` decides; the explanation records the choice and warns.

Bayesian ridge's posterior for the coefficients, given its fitted precisions, is Gaussian, so
`credible_intervals` gives each word's exact central credible interval of the importance.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.stats import norm
from sklearn.linear_model import BayesianRidge, LinearRegression, Ridge, RidgeCV
from sklearn.metrics.pairwise import pairwise_distances

from .parts import SURROGATES

SURROGATES.register("wls")(LinearRegression)
SURROGATES.register("bayes")(BayesianRidge)
SURROGATES.register("lime")(Ridge)
RIDGE_ALPHAS = tuple(np.logspace(-3, 3, 13))
SURROGATES.register("ridge")(lambda: RidgeCV(alphas=RIDGE_ALPHAS))


def effective_surrogate(name: str, units: int, perturbations: int) -> str:
    """`name`, except `wls` with fewer than two perturbations per coefficient (units + intercept):
    `ridge`. With fewer than 3 perturbations there is nothing to cross-validate: `name` stays."""
    return "ridge" if name == "wls" and 2 * (units + 1) > perturbations >= 3 else name

LIME_KERNEL_WIDTH = 25.0


def lime_distances(masks: np.ndarray) -> np.ndarray:
    """LIME's text distance: 100 × cosine distance of each mask to the original (all ones)."""
    masks = np.asarray(masks, dtype=float)
    original = np.ones((1, masks.shape[1]))
    return pairwise_distances(masks, original, metric="cosine").ravel() * 100


def lime_weights(masks: np.ndarray, width: float = LIME_KERNEL_WIDTH) -> np.ndarray:
    """LIME's kernel sqrt(exp(-d²/width²)) on `lime_distances`."""
    d = lime_distances(masks)
    return np.sqrt(np.exp(-(d**2) / width**2))


@dataclass(frozen=True)
class SurrogateFit:
    coefficients: np.ndarray
    intercept: float
    predictions: np.ndarray
    coefficient_std: np.ndarray | None
    alpha: float | None = None  # ridge's regularisation, as chosen by cross-validation

    @property
    def importance(self) -> np.ndarray:
        return -self.coefficients

    def credible_intervals(self, level: float = 0.95) -> np.ndarray | None:
        """(d × 2) central posterior intervals of the importance, or None without a posterior."""
        if self.coefficient_std is None:
            return None
        half = norm.ppf(0.5 + level / 2) * self.coefficient_std
        return np.column_stack([self.importance - half, self.importance + half])


def fit_surrogate(
    name: str, masks: np.ndarray, target: np.ndarray, weights: np.ndarray, alpha: float | None = None
) -> SurrogateFit:
    """Fit surrogate `name` to (masks, target) with sample weights; predictions on the same masks.

    `alpha` fixes ridge's regularisation (bootstrap refits reuse the full fit's, so their spread
    measures the sampling, not a re-chosen penalty)."""
    estimator = Ridge(alpha=alpha) if name == "ridge" and alpha is not None else SURROGATES.get(name)()
    estimator.fit(masks, target, sample_weight=weights)
    std = None
    if hasattr(estimator, "sigma_"):
        std = np.sqrt(np.clip(np.diag(estimator.sigma_), 0.0, None))
    return SurrogateFit(
        coefficients=np.asarray(estimator.coef_, dtype=float),
        intercept=float(estimator.intercept_),
        predictions=np.asarray(estimator.predict(masks), dtype=float),
        coefficient_std=std,
        alpha=float(estimator.alpha_) if hasattr(estimator, "alpha_") and name == "ridge" else alpha,
    )
