"""ATT fidelity: how closely the surrogate g reproduces the black box f (paper eqs. 16-22).

f_j is the observed output distance of perturbation j, g_j the surrogate's prediction, w_j the
kernel weight. The formulas are the paper's, literally:

- R²_w    = 1 - Σ(f-g)² / Σ(f - f̄_w)²   with f̄_w the weighted mean (eq. 17)
- adj R²_w = 1 - (1 - R²_w)(N-1)/(N-N_s-1)  (eq. 18), undefined when N - N_s - 1 <= 0
- WMSE = Σw(f-g)²/Σw,  WMAE = Σw|f-g|/Σw   (eqs. 19-20)
- mean-L1 = mean|f-g|,  mean-L2 = mean (f-g)²  (eqs. 21-22)

`r2_w_conventional` adds the usual weighted R² (weights in both sums), scikit-learn's
`r2_score(..., sample_weight=w)`. Undefined figures are None.
"""

from __future__ import annotations

import numpy as np

from ..types import Fidelity


def fidelity(observed: np.ndarray, predicted: np.ndarray, weights: np.ndarray, n_features: int) -> Fidelity:
    f = np.asarray(observed, dtype=float)
    g = np.asarray(predicted, dtype=float)
    w = np.asarray(weights, dtype=float)
    n = f.size
    if n == 0 or w.sum() <= 0:
        return Fidelity(None, None, None, None, None, None, None, n, n_features)
    residual = f - g
    weighted_mean = float(np.sum(w * f) / np.sum(w))
    spread = float(np.sum((f - weighted_mean) ** 2))
    r2_w = 1.0 - float(np.sum(residual**2)) / spread if spread > 0 else None
    dof = n - n_features - 1
    adj = None if r2_w is None or dof <= 0 else 1.0 - (1.0 - r2_w) * (n - 1) / dof
    weighted_spread = float(np.sum(w * (f - weighted_mean) ** 2))
    conventional = (
        1.0 - float(np.sum(w * residual**2)) / weighted_spread if weighted_spread > 0 else None
    )
    return Fidelity(
        wmse=float(np.sum(w * residual**2) / np.sum(w)),
        r2_w=r2_w,
        adj_r2_w=adj,
        wmae=float(np.sum(w * np.abs(residual)) / np.sum(w)),
        mean_l1=float(np.mean(np.abs(residual))),
        mean_l2=float(np.mean(residual**2)),
        r2_w_conventional=conventional,
        n_samples=n,
        n_features=n_features,
    )
