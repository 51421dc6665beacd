"""The kernel that weights perturbations, and the permutation test of Algorithm 1.

Kernel (paper eq. 4): w = exp(-(d/σ)²). With `--kernel-width auto`, σ is the median of the
non-zero input distances: a perturbation at the typical distance gets weight e⁻¹ ≈ 0.37, so the
weights follow the scale of the distances actually observed instead of a constant tuned for
another embedding (the authors' 0.25 left an effective sample size of 23 of 64).

Permutation test (paper Algorithm 1, made a valid test): under H0 the original answer's token
vectors X and the perturbed answer's Y come from one distribution, so we pool them, split the
pool at random into sizes |X| and |Y| B times, and count splits whose Wasserstein distance is at
least the observed one; p = (b + 1) / (B + 1).

Why it is fast, and why that is sound. Done naively, Algorithm 1 is B exact transport solves
per perturbation (10^5 × 64 ≈ 6.4 million), each on a tokens × tokens cost matrix. Three ideas cut
that without changing the statistic:

1. Distinct words with counts (`clouds`). A split of the pooled tokens is a split of the pooled
   distinct points' counts, and transport between two texts' token distributions is exactly
   transport between their distinct points with counts. So the pooled cost matrix is
   points × points, computed once per test and shared by every split; a split is two count
   vectors (`split_counts`, drawn from the same random permutations of the tokens as before, so
   short answers get the very same splits and p-values). For p = 1 each split is put in the
   difference form first (`transport`: the mass both halves hold at a point stays put; exact).
2. Bounds decide most splits; only the undecided are solved. A split counts iff its optimal
   cost reaches the observed one. A lower bound at or above the threshold proves "counts"; an
   upper bound below it proves "does not count" (`transport_bounds`: the dual value of Sinkhorn's
   potentials and their c-transform; the cost of Sinkhorn's plan rounded onto the transport
   polytope, Altschuler, Weed & Rigollet 2017). Sinkhorn runs in stages (`SINKHORN_STAGES`) on a
   batch of 128 splits at once as matrix products with the one shared kernel, in float64, and a
   split leaves as soon as its bracket excludes the threshold beyond a rounding margin of 1e-9 of
   the costs' scale; POT's exact network simplex runs only for splits still open. The count,
   hence the p-value, is exactly what solving every split would give (tested against ot.emd2 on
   the token clouds, including thresholds 1e-7 from a tight bound).
3. Sequential Monte-Carlo stopping (Besag & Clifford 1991; Gandy 2009): an auditor needs the
   decision p < α, not p's fourth digit. After each batch of 128 splits, if the 99.9% Clopper–
   Pearson interval of the exceedance rate lies wholly on one side of α, sampling stops. Clear
   cases stop after 128–384 splits; only perturbations whose p is close to α run on, up to the
   budget B (`--bootstrap`); the chance that a stop reverses the full-budget decision is about
   10^-3 per look, and is negligible unless p is within a few Monte-Carlo errors of α — where
   any finite test, a 10^5-draw one included, is a coin toss. Every p-value is reported with
   its number of draws and Monte-Carlo standard error; `--exact-pvalues` turns stopping off.

Bounded for long answers. The pooled cloud has at most `TEST_POINTS` (256) points: two answers
with more distinct words between them (English-like answers of about 200 words each and longer;
the usual answers of a few dozen words are far below) are quantised by weighted k-means
on the pooled points (`clouds.pooled_cloud`). That is a function of the pooled multiset only, the
same whatever the split, so the test stays a valid permutation test, exactly, of a slightly
different statistic: the distance between the quantised halves, which is within
`PermutationTest.observed_error_bound` of the unquantised one (each token's move to its point is a
feasible plan). Its cost per split no longer grows with the answers' length: memory is the
256 × 256 costs and a few batch × 256 arrays, whatever the answers. Measured with
benchmarks/bench_long_answers.py --agreement (63 answers of ~700 words, ~660 pooled points, α =
0.05): the decision p < α was the unquantised test's for 56 of 63 answers, in 13 s instead of
161 s; in 6 of the 7 others the quantised test was the more significant (a coarser statistic is
less noisy between random splits). 512 points agreed no better (55 of 63) and took 5x as long:
the difference is that of two statistics, not a quantisation error that more points remove.

Measured with benchmarks/bench_pvalues.py on real SmolLM2 answers (6 explanations of labelled
prompts, 60-64 distinct answers each, GloVe, budget 10^4, α = 0.05): the decision p < α agreed
with an independent fixed 10^5-draw reference on 381 of 383 perturbations (99.5%); both
disagreements had a reference p within 0.003 of α (0.0478 and 0.0508, about 4 reference standard
errors), where a 10^4-draw estimate (s.e. 0.0022) lands on either side by chance. Those answers
are short (their pooled clouds are not quantised), so the p-values of this implementation are
the same numbers (same splits, exact counts). Long answers: benchmarks/bench_long_answers.py.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import betaincinv

from .clouds import pooled_cloud
from .transport import difference_form, ground_cost, transport_cost
from .transport_bounds import CHUNK_ENTRIES, SharedCostBounds, bracket


def gaussian_kernel(distances: np.ndarray, width: float) -> np.ndarray:
    """Paper eq. 4: exp(-(d/σ)²); 1 at distance 0, decreasing in d."""
    distances = np.asarray(distances, dtype=float)
    return np.exp(-((distances / width) ** 2))


def kernel_width_for(rule: float | str, distances: np.ndarray) -> float:
    """σ for a kernel-width setting: "auto" = median non-zero distance, "uniform" = ∞ (every
    perturbation weighs 1, the measured best on the labelled set, docs/defaults.md), or a number."""
    if rule == "auto":
        return auto_kernel_width(distances)
    if rule == "uniform":
        return float("inf")
    return float(rule)


def auto_kernel_width(distances: np.ndarray) -> float:
    """σ = median of the non-zero input distances (1.0 when every distance is zero)."""
    distances = np.asarray(distances, dtype=float)
    positive = distances[distances > 0]
    if positive.size == 0:
        return 1.0
    return float(np.median(positive))


def effective_sample_size(weights: np.ndarray) -> float:
    """(Σw)² / Σw²: how many equally weighted samples the weighted sample is worth."""
    weights = np.asarray(weights, dtype=float)
    total_sq = float(np.sum(weights**2))
    return float(np.sum(weights) ** 2 / total_sq) if total_sq > 0 else 0.0


@dataclass(frozen=True)
class PermutationTest:
    """Result of one permutation test: the observed distance, its p-value and how it was got.

    `draws` is the number of random splits actually made (at most the budget); `mc_error` is the
    Monte-Carlo standard error of `p_value` as an estimate of the exact permutation p-value.
    """

    observed: float
    p_value: float
    exceedances: int
    draws: int
    exact_solves: int
    stopped_early: bool = False
    support: int = 0  # distinct points of the pooled tokens the splits were drawn over
    quantised: bool = False  # the pooled cloud had more than TEST_POINTS points (clouds.py)
    observed_error_bound: float = 0.0  # |observed - the unquantised distance| is at most this

    @property
    def mc_error(self) -> float:
        p = self.exceedances / self.draws
        return float(np.sqrt(max(p * (1 - p), 0.0) / self.draws))


STOP_CONFIDENCE_EPSILON = 1e-3
_BATCH = 128  # splits per batch and per stopping look (measured: 5% less CPU than 64, 256 more)
SINKHORN_STAGES = (10, 10, 20, 40)  # iterations added per stage; splits settled after a stage stop there
# Measured (one thread, 2.3 GHz): on 256 pooled points an exact solve took 1.2 ms and one Sinkhorn
# iteration of a split 9 µs (a pass over the costs); a batched iteration also costs ~20 µs fixed.
SOLVE_ITERATIONS = 128.0  # an exact solve costs about this many iterations of one split
ITERATION_OVERHEAD = 1.4e5  # a batched iteration's fixed cost, in cost-matrix entries
SINKHORN_SHARPNESS = 200.0  # entropic regularisation = (largest pooled cost) / this (float64)
TEST_POINTS = 256  # most distinct points of the pooled answers the splits are drawn over


def permutation_test(
    x: np.ndarray,
    y: np.ndarray,
    *,
    draws: int,
    p: float = 1.0,
    seed: int | np.random.SeedSequence = 0,
    alpha: float | None = None,
    max_points: int = TEST_POINTS,
) -> PermutationTest:
    """Algorithm 1 as a permutation test on the pooled embeddings; p = (b+1)/(n+1).

    `x`, `y`: token vectors of the original and of the perturbed answer (rows), both non-empty.
    `draws` is the budget B of random splits. With `alpha` set, sampling stops as soon as the
    decision p < alpha is settled: after each batch of 128 splits, if the 99.9% Clopper-Pearson
    interval of the exact permutation p-value lies wholly below or above alpha (sequential
    Monte-Carlo testing in the manner of Besag & Clifford 1991 and Gandy 2009; the chance that
    stopping reverses the full-budget decision is about 1e-3 per check). Without `alpha` every
    one of the B splits is drawn and p = (b+1)/(B+1) exactly as in a fixed-size test.

    The pooled tokens are held as distinct points with counts (`clouds.pooled_cloud`), at most
    `max_points` of them (beyond that the pooled cloud is quantised, and the test is the exact
    permutation test of the distance between the quantised halves; `PermutationTest.quantised`).
    """
    if x.shape[0] == 0 or y.shape[0] == 0:
        raise ValueError("the permutation test needs tokens on both sides")
    if draws < 1:
        raise ValueError("draws must be at least 1")
    nx, ny = x.shape[0], y.shape[0]
    pooled = pooled_cloud(x, y, max_points)
    cost = ground_cost(pooled.points, pooled.points, p)  # points × points, points <= max_points
    tokens, totals = pooled.token_point, pooled.counts
    first = np.bincount(tokens[:nx], minlength=pooled.size)
    observed_cost = transport_cost(first / nx, (totals - first) / ny, p, lambda r, c: cost[np.ix_(r, c)])
    # Solver tolerance: costs within 1e-9 (relative) of the observed one count as ties (>=).
    threshold = observed_cost * (1 - 1e-9) - 1e-12

    bounds = SharedCostBounds(cost, SINKHORN_SHARPNESS)
    rng = np.random.default_rng(seed)
    exceedances = made = solves = 0
    stopped_early = False
    while made < draws:
        size = min(_BATCH, draws - made)
        left = split_counts(rng, tokens, nx, size, pooled.size)
        hits, solved = _count_exceedances(bounds, left / nx, (totals - left) / ny, threshold, p)
        exceedances += hits
        solves += solved
        made += size
        if alpha is not None and made < draws and _decision_settled(exceedances, made, alpha):
            stopped_early = True
            break
    return PermutationTest(
        observed=max(observed_cost, 0.0) ** (1.0 / p),
        p_value=(exceedances + 1) / (made + 1),
        exceedances=exceedances,
        draws=made,
        exact_solves=solves,
        stopped_early=stopped_early,
        support=pooled.size,
        quantised=pooled.quantised,
        observed_error_bound=_half_bound(pooled.displacement[:nx], p) + _half_bound(pooled.displacement[nx:], p),
    )


def _half_bound(displacement: np.ndarray, p: float) -> float:
    """W_p between one answer's tokens and where the quantisation put them: at most the p-mean of
    how far each token moved (moving each token to its point is a feasible plan); 0 if none moved."""
    return float(np.mean(displacement**p) ** (1.0 / p)) if displacement.any() else 0.0


def split_counts(rng: np.random.Generator, token_point: np.ndarray, first: int, splits: int, points: int) -> np.ndarray:
    """`splits` random splits of the pooled tokens into the first `first` and the rest, as the
    count of the first part's tokens on each point (splits × points).

    Each split is a uniform random permutation of the tokens (numpy's `permuted`, row by row in
    chunks of at most CHUNK_ENTRIES numbers: the same random stream as one call for all rows)."""
    tokens = token_point.shape[0]
    counts = np.empty((splits, points), dtype=np.int64)
    rows = max(1, CHUNK_ENTRIES // tokens)
    for start in range(0, splits, rows):
        k = min(rows, splits - start)
        permuted = rng.permuted(np.tile(np.arange(tokens), (k, 1)), axis=1)
        where = token_point[permuted[:, :first]] + points * np.arange(k)[:, None]
        counts[start : start + k] = np.bincount(where.ravel(), minlength=k * points).reshape(k, points)
    return counts


def _decision_settled(exceedances: int, draws: int, alpha: float) -> bool:
    """True when the 1-ε Clopper-Pearson interval of the exceedance rate excludes alpha."""
    eps = STOP_CONFIDENCE_EPSILON
    # Beta quantiles by scipy.special.betaincinv: scipy.stats.beta.ppf's per-call overhead was a
    # fifth of the whole test's time.
    lower = 0.0 if exceedances == 0 else float(betaincinv(exceedances, draws - exceedances + 1, eps / 2))
    upper = 1.0 if exceedances == draws else float(betaincinv(exceedances + 1, draws - exceedances, 1 - eps / 2))
    return upper < alpha or lower > alpha


def _count_exceedances(
    bounds: SharedCostBounds, a: np.ndarray, b: np.ndarray, threshold: float, p: float
) -> tuple[int, int]:
    """How many splits (rows of the marginals `a`, `b`) have transport cost >= threshold, and how
    many needed an exact solve.

    `transport_bounds.bracket` settles the splits whose bounds exclude the threshold beyond a
    rounding margin; every other split is solved exactly (`transport.transport_cost`, float64), so
    the count is exact. For p = 1 the splits are first put in the difference form (the shared
    mass stays put), which has the same optimum and less mass to move.
    """
    if threshold <= 0:  # every cost is >= 0: every split reaches it
        return a.shape[0], 0
    if p == 1:
        a, b = difference_form(a, b)
    reached, open_ = bracket(bounds, a, b, threshold, SINKHORN_STAGES, SOLVE_ITERATIONS, ITERATION_OVERHEAD)
    cost = bounds.cost
    solved = sum(
        transport_cost(a[i], b[i], p, lambda r, c: cost[np.ix_(r, c)]) >= threshold for i in open_
    )
    return int(reached.size + solved), int(open_.size)


def mc_standard_error(p_value: float, draws: int) -> float:
    """Monte-Carlo standard error of a permutation p-value (b+1)/(n+1) reported with n draws:
    sqrt(p(1-p)/n), evaluated at the reported p so that b = 0 does not claim zero error."""
    if draws < 1:
        return 0.0
    p = min(max(float(p_value), 0.0), 1.0)
    return float(np.sqrt(p * (1 - p) / draws))
