"""SMILE's ECDF distances, applied to word-vector clouds along random 1-D projections.

SMILE (the talk in ../shared/seeds) compares two samples by the distance between their
empirical distribution functions (ECDFs): Kolmogorov–Smirnov, Kuiper, Cramér–von Mises,
Anderson–Darling, Wasserstein. Those are one-dimensional; a text is a cloud of k-dimensional
word vectors. As in the sliced Wasserstein distance, both clouds are projected on the same
`PROJECTIONS` random unit directions (drawn once per dimension from a fixed seed, so a distance
is a deterministic function of the two texts and comparable across pairs), the 1-D statistic is
computed along each direction, and the values are averaged.

The statistics come from scipy/POT; only Kuiper, which neither has, is written here:
- `ks`: scipy `ks_2samp` statistic, sup |F - G|, in [0, 1].
- `kuiper`: sup (F - G) + sup (G - F), in [0, 1]; sensitive in the tails and rotation invariant
  on the circle; computed on the pooled sample points (ECDFs change only there).
- `cvm`: the Cramér–von Mises distance ∫ (F - G)² dH over the pooled ECDF H, in [0, 1]: scipy's
  `cramervonmises_2samp` statistic T = nm/(n+m) ∫ (F - G)² dH divided by nm/(n+m), so that the
  value does not grow with the answers' lengths. scipy needs two points per sample; for a
  one-word text the same integral is evaluated directly.
- `ad`: scipy's standardised k-sample Anderson–Darling statistic (Scholz & Stephens, midrank
  variant for ties), floored at 0: its null expectation is 0, so negative values mean "no more
  different than two random halves of one text" and are reported as distance 0.
- `wasserstein-1d`: POT's `wasserstein_1d` per direction (W_p, p as configured); for p = 1 this
  is scipy's `wasserstein_distance`.

Empty bags follow the WMD rule: both empty gives 0; an empty text is a single null word at the
origin, so each of its projections is the single value 0.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from functools import lru_cache

import numpy as np
import ot
from scipy import stats

from .distances import DISTANCES
from .embed import EmbeddedText

PROJECTIONS = 32
PROJECTION_SEED = 20250601

OneDimensional = Callable[[np.ndarray, np.ndarray], float]


@lru_cache(maxsize=8)
def projection_directions(dimension: int, count: int = PROJECTIONS, seed: int = PROJECTION_SEED) -> np.ndarray:
    """`count` unit vectors (rows) in R^dimension, the same for every call."""
    rng = np.random.default_rng(seed)
    directions = rng.standard_normal((count, dimension))
    directions /= np.linalg.norm(directions, axis=1, keepdims=True)
    directions.setflags(write=False)
    return directions


def project(first: EmbeddedText, second: EmbeddedText) -> tuple[np.ndarray, np.ndarray] | None:
    """Both clouds projected on the shared directions (columns = directions); None if both empty."""
    x, y = first.vectors, second.vectors
    if x.shape[0] == 0 and y.shape[0] == 0:
        return None
    dimension = x.shape[1] if x.shape[0] else y.shape[1]
    if x.shape[0] == 0:
        x = np.zeros((1, dimension))
    if y.shape[0] == 0:
        y = np.zeros((1, dimension))
    directions = projection_directions(dimension)
    return x @ directions.T, y @ directions.T


def ecdf_gaps(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """F_u - F_v evaluated at every pooled sample point (right-continuous ECDFs)."""
    pooled = np.concatenate([u, v])
    f = np.searchsorted(np.sort(u), pooled, side="right") / u.size
    g = np.searchsorted(np.sort(v), pooled, side="right") / v.size
    return f - g


def kuiper_statistic(u: np.ndarray, v: np.ndarray) -> float:
    """Kuiper's V = sup(F_u - F_v) + sup(F_v - F_u); both sups are >= 0 (both ECDFs reach 1)."""
    gaps = ecdf_gaps(np.asarray(u, float), np.asarray(v, float))
    return float(max(gaps.max(), 0.0) + max((-gaps).max(), 0.0))


def cramer_von_mises_distance(u: np.ndarray, v: np.ndarray) -> float:
    """∫ (F_u - F_v)² dH, H the pooled ECDF; via scipy's T when both samples have two points."""
    n, m = u.size, v.size
    if n >= 2 and m >= 2:
        statistic = stats.cramervonmises_2samp(u, v, method="asymptotic").statistic
        return float(max(statistic * (n + m) / (n * m), 0.0))
    return float(np.mean(ecdf_gaps(u, v) ** 2))


def anderson_darling_distance(u: np.ndarray, v: np.ndarray) -> float:
    """scipy's standardised two-sample Anderson–Darling statistic, floored at 0."""
    if np.ptp(np.concatenate([u, v])) == 0:
        return 0.0  # one distinct value: the two ECDFs are identical
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "p-value capped/floored": we use the statistic only
        statistic = stats.anderson_ksamp([u, v], variant="midrank").statistic
    return float(max(statistic, 0.0))


def ks_distance(u: np.ndarray, v: np.ndarray) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # its p-value divides by zero for one-point samples
        return float(stats.ks_2samp(u, v, method="asymp").statistic)


def _sliced(statistic: OneDimensional) -> Callable[[EmbeddedText, EmbeddedText, float], float]:
    def distance(first: EmbeddedText, second: EmbeddedText, p: float = 1.0) -> float:
        projected = project(first, second)
        if projected is None:
            return 0.0
        px, py = projected
        return float(np.mean([statistic(px[:, k], py[:, k]) for k in range(px.shape[1])]))

    distance.__name__ = f"sliced_{statistic.__name__}"
    distance.__doc__ = f"Mean over random 1-D projections of {statistic.__name__}."
    return distance


def sliced_wasserstein(first: EmbeddedText, second: EmbeddedText, p: float = 1.0) -> float:
    """Mean over the projections of the 1-D Wasserstein-p distance (POT, all directions at once)."""
    projected = project(first, second)
    if projected is None:
        return 0.0
    px, py = projected
    powered = np.asarray(ot.wasserstein_1d(px, py, p=p), dtype=float)  # W_p^p per direction
    return float(np.mean(np.clip(powered, 0.0, None) ** (1.0 / p)))


DISTANCES.register("ks", "sliced Kolmogorov–Smirnov: mean sup|F−G| over random 1-D projections")(
    _sliced(ks_distance)
)
DISTANCES.register("kuiper", "sliced Kuiper: mean sup(F−G)+sup(G−F) over random 1-D projections")(
    _sliced(kuiper_statistic)
)
DISTANCES.register("cvm", "sliced Cramér–von Mises: mean ∫(F−G)²dH over random 1-D projections")(
    _sliced(cramer_von_mises_distance)
)
DISTANCES.register("ad", "sliced Anderson–Darling: mean standardised statistic (floored at 0)")(
    _sliced(anderson_darling_distance)
)
DISTANCES.register("wasserstein-1d", "sliced Wasserstein: mean 1-D W_p over random projections")(
    sliced_wasserstein
)
