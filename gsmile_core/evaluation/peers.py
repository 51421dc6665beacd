"""The explainers gSMILE is measured against, implemented on the same backend and the same Δ.

Every peer scores word i by how much the answer depends on it, measured with gSMILE's own output
distance Δ(original answer, answer) so the comparison is about the method, not the distance:

- `lime_scores`: LIME's text explainer (Ribeiro et al. 2016, `lime_text`): masks with a
  uniformly drawn number of removed words, kernel sqrt(exp(-d²/w²)) with d = 100 × the cosine
  distance between the mask and the all-ones mask and w = 25, ridge regression (α = 1) of the
  target on the masks. Score = −coefficient (as in gSMILE: a word that holds the answer near the
  original has a negative coefficient on Δ).
- `leave_one_out`: feature ablation — score_i = Δ when word i alone is removed (d calls).
- `shapley_sampling`: Monte-Carlo Shapley values by random permutations (Castro et al. 2009,
  Captum's ShapleyValueSampling) of the game v(S) = −Δ(answer to the words in S), v(∅) from the
  null-word rule (see `probe`). Permutations are drawn until the call budget is spent.

All take an `OutputProbe`, so each prompt is asked once however many peers share it.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import numpy as np
from .probe import OutputProbe
from ..method.surrogate import fit_surrogate, lime_weights

__all__ = ["leave_one_out", "lime_scores", "lime_weights", "shapley_permutations", "shapley_sampling"]



def lime_scores(masks: Sequence[Sequence[int]], deltas: np.ndarray) -> np.ndarray:
    """LIME's ridge fit of Δ on the masks with LIME's kernel; score = −coefficient. The same fit
    as gSMILE's `--surrogate lime` (one implementation, `surrogate.py`)."""
    x = np.asarray(masks, dtype=float)
    return fit_surrogate("lime", x, np.asarray(deltas, dtype=float), lime_weights(x)).importance


async def leave_one_out(probe: OutputProbe) -> tuple[np.ndarray, int]:
    """Δ with word i removed, for every i; and the number of masks asked (d)."""
    d = len(probe.features)
    masks = [tuple(0 if j == i else 1 for j in range(d)) for i in range(d)]
    return await probe.deltas(masks), d


def shapley_permutations(d: int, budget: int, seed: int) -> list[np.ndarray]:
    """Random permutations whose prefix coalitions need at most `budget` distinct prompts.

    Each permutation adds at most d-1 new non-empty, non-full coalitions; the original prompt
    and the empty one are free. At least one permutation is always drawn. When every coalition
    fits in the budget and d ≤ 8, all d! permutations are returned: the estimate is then the
    exact Shapley value.
    """
    if d <= 8 and 2**d - 2 <= budget:
        return [np.array(order) for order in itertools.permutations(range(d))]
    rng = np.random.default_rng(seed)
    seen: set[tuple[int, ...]] = set()
    permutations: list[np.ndarray] = []
    for _ in range(100 * max(budget, 1)):
        order = rng.permutation(d)
        new = set()
        mask = [0] * d
        for i in order[:-1]:
            mask[int(i)] = 1
            key = tuple(mask)
            if key not in seen:
                new.add(key)
        if permutations and len(seen) + len(new) > budget:
            break
        seen |= new
        permutations.append(order)
        if len(seen) >= budget:
            break
    return permutations


async def shapley_sampling(probe: OutputProbe, budget: int, seed: int = 0) -> tuple[np.ndarray, int]:
    """Monte-Carlo Shapley values of v(S) = −Δ(S); and the number of distinct prompts asked."""
    d = len(probe.features)
    permutations = shapley_permutations(d, max(budget - 1, 1), seed)
    chains = []
    for order in permutations:
        mask = [0] * d
        chain = [tuple(mask)]
        for i in order:
            mask[int(i)] = 1
            chain.append(tuple(mask))
        chains.append(chain)
    every = list(dict.fromkeys(m for chain in chains for m in chain))
    values = dict(zip(every, -(await probe.deltas(every))))
    scores = np.zeros(d)
    for order, chain in zip(permutations, chains):
        for step, i in enumerate(order):
            scores[int(i)] += values[chain[step + 1]] - values[chain[step]]
    asked = len({probe.text(m) for m in every if any(m)})  # distinct prompts, the original included
    return scores / len(permutations), asked
