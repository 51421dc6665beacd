"""SMILE's ECDF distances, applied to word-vector clouds along random 1-D projections.

SMILE (the talk in ../shared/seeds) compares two samples by the distance between their
empirical distribution functions (ECDFs): Kolmogorov–Smirnov, Kuiper, Cramér–von Mises,
Anderson–Darling, Wasserstein. Those are one-dimensional; a text is a cloud of k-dimensional
word vectors. As in the sliced Wasserstein distance, both clouds are projected on the same
`PROJECTIONS` random unit directions (drawn once per dimension from a fixed seed, so a distance
is a deterministic function of the two texts and comparable across pairs), the 1-D statistic is
computed along each direction, and the values are averaged.

The statistics come from scipy/POT, vectorised over the directions where scipy allows it;
only Kuiper, which neither has, is written here:
- `kuiper`: sup (F - G) + sup (G - F), in [0, 1]; sensitive in the tails and rotation invariant
  on the circle; evaluated at the pooled sample points (the ECDFs jump only there), all
  directions at once from one sort.
- `ks`: the Kolmogorov–Smirnov statistic sup |F - G|, in [0, 1]. It is the larger of Kuiper's two
  one-sided sups, so it comes from the same sort; scipy's `ks_2samp` returns the identical
  statistic (tested) but also computes a p-value we do not use, which made it 10-25× slower
  (30 ms per pair of answers, seconds per explanation).
- `cvm`: the Cramér–von Mises distance ∫ (F - G)² dH over the pooled ECDF H, in [0, 1]: scipy's
  `cramervonmises_2samp` statistic T = nm/(n+m) ∫ (F - G)² dH (all directions in one call)
  divided by nm/(n+m), so that the value does not grow with the answers' lengths. scipy needs
  two points per sample; for a one-word text the same integral is evaluated directly.
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

from .parts import DISTANCES
from .embed import EmbeddedText

PROJECTIONS = 32
PROJECTION_SEED = 20250601
CHUNK_ENTRIES = 1 << 19  # most projected values (tokens × directions) handled at once

Columnwise = Callable[[np.ndarray, np.ndarray], np.ndarray]  # (n×K, m×K) → K statistics


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
    projected = list(projections(first, second))
    if not projected:
        return None
    return np.hstack([px for px, _ in projected]), np.hstack([py for _, py in projected])


def projections(first: EmbeddedText, second: EmbeddedText):
    """`project`, a few directions at a time: each chunk's columns hold at most `CHUNK_ENTRIES`
    numbers in all, so the statistics' temporaries (sorts, ranks, cumulative sums: a few times
    the chunk) stay bounded for answers of any length instead of growing as tokens × PROJECTIONS."""
    x, y = first.vectors, second.vectors
    if x.shape[0] == 0 and y.shape[0] == 0:
        return
    dimension = x.shape[1] if x.shape[0] else y.shape[1]
    if x.shape[0] == 0:
        x = np.zeros((1, dimension))
    if y.shape[0] == 0:
        y = np.zeros((1, dimension))
    directions = projection_directions(dimension)
    step = max(1, CHUNK_ENTRIES // (x.shape[0] + y.shape[0]))
    for start in range(0, directions.shape[0], step):
        chunk = directions[start : start + step]
        yield x @ chunk.T, y @ chunk.T


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


def one_sided_sups(pu: np.ndarray, pv: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per column (direction): sup(F_u - F_v) and sup(F_v - F_u), both >= 0, from one sort.

    The ECDF gap is read at the last element of each run of tied values (where right-continuous
    ECDFs are evaluated), so ties between or within the samples are handled exactly.
    """
    n, m = pu.shape[0], pv.shape[0]
    pooled = np.concatenate([pu, pv])
    order = np.argsort(pooled, axis=0, kind="stable")
    values = np.take_along_axis(pooled, order, axis=0)
    from_u = order < n
    gaps = np.cumsum(from_u, axis=0) / n - np.cumsum(~from_u, axis=0) / m
    run_end = np.ones(values.shape, dtype=bool)
    run_end[:-1] = values[1:] != values[:-1]
    plus = np.where(run_end, gaps, 0.0).max(axis=0)
    minus = np.where(run_end, -gaps, 0.0).max(axis=0)
    return np.maximum(plus, 0.0), np.maximum(minus, 0.0)


def cramer_von_mises_distance(u: np.ndarray, v: np.ndarray) -> float:
    """∫ (F_u - F_v)² dH, H the pooled ECDF; via scipy's T when both samples have two points."""
    return float(cramer_von_mises_columns(np.asarray(u, float)[:, None], np.asarray(v, float)[:, None])[0])


def cramer_von_mises_columns(pu: np.ndarray, pv: np.ndarray) -> np.ndarray:
    """`cramer_von_mises_distance` of every column pair, scipy's statistic in one call."""
    n, m = pu.shape[0], pv.shape[0]
    if n >= 2 and m >= 2:
        statistic = stats.cramervonmises_2samp(pu, pv, method="asymptotic", axis=0).statistic
        return np.maximum(np.asarray(statistic, dtype=float) * (n + m) / (n * m), 0.0)
    return np.array([np.mean(ecdf_gaps(pu[:, k], pv[:, k]) ** 2) for k in range(pu.shape[1])])


def anderson_darling_distance(u: np.ndarray, v: np.ndarray) -> float:
    """scipy's standardised two-sample Anderson–Darling statistic, floored at 0."""
    if np.ptp(np.concatenate([u, v])) == 0:
        return 0.0  # one distinct value: the two ECDFs are identical
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "p-value capped/floored": we use the statistic only
        statistic = stats.anderson_ksamp([u, v], variant="midrank").statistic
    return float(max(statistic, 0.0))


def _sliced(statistic: Columnwise) -> Callable[[EmbeddedText, EmbeddedText, float], float]:
    def distance(first: EmbeddedText, second: EmbeddedText, p: float = 1.0) -> float:
        values = [statistic(px, py) for px, py in projections(first, second)]
        return float(np.mean(np.concatenate(values))) if values else 0.0

    distance.__name__ = f"sliced_{statistic.__name__}"
    distance.__doc__ = f"Mean over random 1-D projections of {statistic.__name__}."
    return distance


def ks_columns(pu: np.ndarray, pv: np.ndarray) -> np.ndarray:
    plus, minus = one_sided_sups(pu, pv)
    return np.maximum(plus, minus)


def kuiper_columns(pu: np.ndarray, pv: np.ndarray) -> np.ndarray:
    plus, minus = one_sided_sups(pu, pv)
    return plus + minus


def anderson_darling_columns(pu: np.ndarray, pv: np.ndarray) -> np.ndarray:
    return np.array([anderson_darling_distance(pu[:, k], pv[:, k]) for k in range(pu.shape[1])])


def sliced_wasserstein(first: EmbeddedText, second: EmbeddedText, p: float = 1.0) -> float:
    """Mean over the projections of the 1-D Wasserstein-p distance (POT, all directions at once)."""
    powered = [np.asarray(ot.wasserstein_1d(px, py, p=p), dtype=float) for px, py in projections(first, second)]
    if not powered:
        return 0.0
    return float(np.mean(np.clip(np.concatenate(powered), 0.0, None) ** (1.0 / p)))  # W_p^p per direction


DISTANCES.register("ks")(
    _sliced(ks_columns)
)
DISTANCES.register("kuiper")(
    _sliced(kuiper_columns)
)
DISTANCES.register("cvm")(
    _sliced(cramer_von_mises_columns)
)
DISTANCES.register("ad")(
    _sliced(anderson_darling_columns)
)
DISTANCES.register("wasserstein-1d")(
    sliced_wasserstein
)
