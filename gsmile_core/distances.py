"""Distances between two texts' clouds of word vectors.

`wmd` is the Wasserstein-p distance between the two texts' normalised bags of words in the
embedding space (Word Mover's Distance for p = 1): each token occurrence carries mass 1/n, the
ground cost is the Euclidean distance raised to p, the transport problem is solved exactly with
POT's `ot.emd2`, and the result is raised to 1/p. With p = 1 this equals gensim's `wmdistance`.

Empty bags (no token the vectors know) get a defined value instead of infinity or NaN:
- both empty: 0;
- one empty: the empty text is treated as a single "null word" at the origin of the embedding
  space, so the distance is (mean ‖x‖^p)^(1/p) over the other text's vectors — the cost of moving
  all of its meaning to nothing. The pipeline also records a warning when this happens.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import ot

from .embed import EmbeddedText
from .registry import Registry

DistanceFunction = Callable[[EmbeddedText, EmbeddedText, float], float]

DISTANCES: Registry[DistanceFunction] = Registry("distance")


def ground_cost(x: np.ndarray, y: np.ndarray, p: float) -> np.ndarray:
    """Pairwise Euclidean distances raised to p."""
    cost = ot.dist(x, y, metric="euclidean")
    return cost if p == 1 else cost**p


def wasserstein_p(x: np.ndarray, y: np.ndarray, p: float = 1.0) -> float:
    """Exact Wasserstein-p between uniform point clouds `x` (n×k) and `y` (m×k)."""
    if x.shape[0] == 0 and y.shape[0] == 0:
        return 0.0
    if x.shape[0] == 0 or y.shape[0] == 0:
        cloud = y if x.shape[0] == 0 else x
        norms = np.linalg.norm(cloud, axis=1)
        return float(np.mean(norms**p) ** (1.0 / p))
    a = np.full(x.shape[0], 1.0 / x.shape[0])
    b = np.full(y.shape[0], 1.0 / y.shape[0])
    value = float(ot.emd2(a, b, ground_cost(x, y, p)))
    return max(value, 0.0) ** (1.0 / p)


@DISTANCES.register("wmd", "Wasserstein-p between bags of word vectors (Word Mover's Distance)")
def wmd(first: EmbeddedText, second: EmbeddedText, p: float = 1.0) -> float:
    return wasserstein_p(first.vectors, second.vectors, p)
