"""Distances between two texts' clouds of word vectors, chosen by name for each side.

The input side (prompt vs perturbed prompt, feeding the kernel) and the output side (answer vs
perturbed answer, the regression target) pick independently from `DISTANCES` (the paper's
Table 9 compares such pairs). Every distance takes two `EmbeddedText`s and the order `p`, is 0
for two identical texts, and is finite for every input, empty bags included.

`wmd` is the Wasserstein-p distance between the two texts' normalised bags of words in the
embedding space (Word Mover's Distance for p = 1): each token occurrence carries mass 1/n, the
ground cost is the Euclidean distance raised to p, the transport problem is solved exactly with
POT's network simplex (the value of `ot.emd2`), and the result is raised to 1/p. With p = 1 this
equals gensim's `wmdistance`. It is solved on each text's distinct words with their counts, and
for p = 1 on the words whose share differs between the texts only (`transport`: both exact), so
its cost matrix is at most distinct × distinct words; a text with more than `clouds.MAX_POINTS`
distinct vectors is quantised first, within a computed error bound (`clouds`).

Empty bags (no token the vectors know) get a defined value instead of infinity or NaN:
- both empty: 0;
- one empty: the empty text is treated as a single "null word" at the origin of the embedding
  space, so the distance is (mean ‖x‖^p)^(1/p) over the other text's vectors — the cost of moving
  all of its meaning to nothing. The pipeline also records a warning when this happens.

`cosine` is 1 - cos between the two texts' mean word vectors (scipy's `cosine`), the usual
sentence-level similarity of LIME-style text explainers; it sees what a text is about, not how
its words are spread. An empty bag (or a mean vector of zero) has no direction: its distance to
anything non-empty is 1 ("unrelated", the value for orthogonal means), to another empty bag 0.

`wmd+cosine` is the paper's "WMD+C" (Table 9), which the paper does not define. We define it as
the mean of the two after putting both on [0, 1] for every pair of texts, without reference to
other pairs (so it stays a function of two texts, usable anywhere):
    wmd+cosine = ( W_p(x, y) / (M_p(x) + M_p(y))  +  cosine(x, y) / 2 ) / 2,
where M_p(x) = (mean ‖x_i‖^p)^(1/p) is the size of a cloud. The first term is in [0, 1] because
W_p is at most the cost of the independent coupling, (E‖X − Y‖^p)^(1/p), which Minkowski's
inequality bounds by M_p(x) + M_p(y); the second because cosine distance is in [0, 2]. Without
this normalisation the sum would be dominated by whichever term has the larger raw scale (WMD's
scale depends on the embedder). With one bag empty the value is (1 + 1/2)/2 = 0.75.

The ECDF family of the SMILE talk (Kolmogorov–Smirnov, Kuiper, Cramér–von Mises,
Anderson–Darling, Wasserstein-1D) lives in `sliced_distances` and registers here.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy.spatial.distance import cosine as scipy_cosine

from .clouds import Cloud, bounded_cloud
from .embed import EmbeddedText
from .transport import cloud_distance, ground_cost  # noqa: F401 (ground_cost: part of this module's API)
from .parts import DISTANCES

DistanceFunction = Callable[[EmbeddedText, EmbeddedText, float], float]



def wasserstein_p(x: np.ndarray, y: np.ndarray, p: float = 1.0) -> float:
    """Exact Wasserstein-p between uniform point clouds `x` (n×k) and `y` (m×k)."""
    return cloud_wasserstein(bounded_cloud(x), bounded_cloud(y), p)


def cloud_wasserstein(first: Cloud, second: Cloud, p: float = 1.0) -> float:
    """W_p between two texts' clouds, with the null-word rule for empty ones (module docstring)."""
    if first.empty and second.empty:
        return 0.0
    if first.empty or second.empty:
        return cloud_size(second if first.empty else first, p)
    return cloud_distance(first, second, p)


@DISTANCES.register("wmd")
def wmd(first: EmbeddedText, second: EmbeddedText, p: float = 1.0) -> float:
    return cloud_wasserstein(first.cloud, second.cloud, p)


def cloud_size(cloud: Cloud, p: float = 1.0) -> float:
    """M_p = (mean over tokens of ‖x‖^p)^(1/p); 0 for an empty cloud."""
    if cloud.empty:
        return 0.0
    return float((cloud.weights @ np.linalg.norm(cloud.points, axis=1) ** p) ** (1.0 / p))


def mean_vector_cosine(x: np.ndarray, y: np.ndarray) -> float:
    """1 - cos(mean x, mean y); 0 for two empty clouds, 1 if only one has a direction."""
    if x.shape[0] == 0 and y.shape[0] == 0:
        return 0.0
    if x.shape[0] == 0 or y.shape[0] == 0:
        return 1.0
    u, v = x.mean(axis=0), y.mean(axis=0)
    u_zero, v_zero = not np.any(u), not np.any(v)
    if u_zero or v_zero:
        return 0.0 if u_zero and v_zero else 1.0
    return float(min(max(scipy_cosine(u, v), 0.0), 2.0))


@DISTANCES.register("cosine")
def cosine(first: EmbeddedText, second: EmbeddedText, p: float = 1.0) -> float:
    return mean_vector_cosine(first.vectors, second.vectors)


def normalised_wmd(first: Cloud, second: Cloud, p: float = 1.0) -> float:
    """W_p / (M_p(first) + M_p(second)), in [0, 1]; 0 when both clouds are empty or at the origin."""
    scale = cloud_size(first, p) + cloud_size(second, p)
    if scale <= 0:
        return 0.0
    return float(min(max(cloud_wasserstein(first, second, p) / scale, 0.0), 1.0))


@DISTANCES.register("wmd+cosine")
def wmd_plus_cosine(first: EmbeddedText, second: EmbeddedText, p: float = 1.0) -> float:
    return 0.5 * (normalised_wmd(first.cloud, second.cloud, p) + 0.5 * mean_vector_cosine(first.vectors, second.vectors))


