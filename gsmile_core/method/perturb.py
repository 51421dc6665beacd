"""Order-preserving deletion masks over the prompt's words.

A mask is a tuple of 0/1, one per word; 1 keeps the word. The first mask is always the original
(all ones): it anchors the surrogate at zero movement and costs no extra call, because the
original answer is generated anyway. The others are unique, never empty and never the original.
When the sampler's whole support fits in the budget it is enumerated instead of sampled, so no
call is spent on a duplicate and nothing is left to chance.

Samplers (`--sampler`):
- `bernoulli`: each word kept with probability 0.5 (the paper).
- `uniform-count`: the number of removed words uniform in 1..d-1, then which ones uniformly
  (LIME's text sampler).
- `local`: at most `max_removed` words removed (count uniform in 1..k), as in MExGen.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from itertools import combinations, product

import numpy as np

from ..errors import ConfigError
from ..types import Feature
from .parts import SAMPLERS
from .segment import MaskedText

Mask = tuple[int, ...]


class Sampler:
    """Draws candidate masks and knows its support, so small supports can be enumerated."""

    name = ""

    def __init__(self, n_features: int, max_removed: int | None = None) -> None:
        self.d = n_features
        self.max_removed = max_removed

    def draw(self, rng: np.random.Generator) -> Mask:
        raise NotImplementedError

    def support_size(self) -> int:
        """Masks this sampler can produce, excluding the empty one and the original."""
        return max(2**self.d - 2, 0)

    def fits(self, budget: int) -> bool:
        """Whether the whole support and the original fit in `budget` masks (then it is enumerated)."""
        return self.support_size() + 1 <= budget

    def enumerate(self) -> Iterator[Mask]:
        """Every mask of the support, in a fixed order (fewest removals first)."""
        for removed in range(1, self.d):
            for drop in combinations(range(self.d), removed):
                yield _mask_without(self.d, drop)


def _mask_without(d: int, drop: tuple[int, ...] | np.ndarray) -> Mask:
    mask = [1] * d
    for i in drop.tolist() if isinstance(drop, np.ndarray) else drop:  # plain ints: no numpy scalar per entry
        mask[i] = 0
    return tuple(mask)


@SAMPLERS.register("bernoulli")
class BernoulliSampler(Sampler):
    name = "bernoulli"

    def draw(self, rng: np.random.Generator) -> Mask:
        return tuple(int(v) for v in rng.integers(0, 2, size=self.d))

    def enumerate(self) -> Iterator[Mask]:
        for bits in product((1, 0), repeat=self.d):
            if 0 < sum(bits) < self.d:
                yield tuple(bits)


@SAMPLERS.register("uniform-count")
class UniformCountSampler(Sampler):
    name = "uniform-count"

    def draw(self, rng: np.random.Generator) -> Mask:
        removed = int(rng.integers(1, self.d))  # 1..d-1
        return _mask_without(self.d, rng.choice(self.d, size=removed, replace=False))


@SAMPLERS.register("local")
class LocalSampler(Sampler):
    name = "local"

    def __init__(self, n_features: int, max_removed: int | None = None) -> None:
        super().__init__(n_features, max_removed)
        if max_removed is None or max_removed < 1:
            raise ConfigError(
                "the local sampler needs max removed (the most words one mask removes), at least 1",
                field="max_removed",
            )
        self.k = min(max_removed, max(n_features - 1, 0))

    def draw(self, rng: np.random.Generator) -> Mask:
        removed = int(rng.integers(1, self.k + 1))
        return _mask_without(self.d, rng.choice(self.d, size=removed, replace=False))

    def support_size(self) -> int:
        return sum(math.comb(self.d, r) for r in range(1, self.k + 1))

    def fits(self, budget: int) -> bool:
        # summed only until it passes the budget: on a long prompt the full sum is huge numbers
        total = 1
        for removed in range(1, self.k + 1):
            total += math.comb(self.d, removed)
            if total > budget:
                return False
        return True

    def enumerate(self) -> Iterator[Mask]:
        for removed in range(1, self.k + 1):
            for drop in combinations(range(self.d), removed):
                yield _mask_without(self.d, drop)


def make_masks(
    n_features: int,
    budget: int,
    *,
    sampler: str = "bernoulli",
    seed: int = 0,
    max_removed: int | None = None,
) -> tuple[tuple[Mask, ...], bool]:
    """Up to `budget` unique masks, the original first; and whether the support was enumerated.

    Sampling stops early (fewer masks than the budget) only if the sampler keeps repeating
    itself, which happens when its support is barely larger than the budget.
    """
    if n_features < 1:
        raise ConfigError("the prompt has no words to explain")
    if budget < 1:
        raise ConfigError("the number of perturbations must be at least 1", field="perturbations")
    original: Mask = (1,) * n_features
    chosen = SAMPLERS.get(sampler)(n_features, max_removed)
    if chosen.fits(budget):
        return (original, *chosen.enumerate()), True

    rng = np.random.default_rng(seed)
    seen: set[Mask] = {original}
    masks: list[Mask] = [original]
    attempts, max_attempts = 0, 200 * budget
    while len(masks) < budget and attempts < max_attempts:
        attempts += 1
        mask = chosen.draw(rng)
        if mask in seen or not any(mask):
            continue
        seen.add(mask)
        masks.append(mask)
    return tuple(masks), False


def plan_perturbations(
    prompt: str,
    features: Sequence[Feature],
    *,
    perturbations: int,
    sampler: str,
    seed: int,
    max_removed: int | None = None,
) -> tuple[tuple[tuple[int, ...], ...], tuple[str, ...], bool]:
    """The masks, the exact text sent for each, and whether the masks were enumerated.

    Time and memory grow with `perturbations` × the prompt's length (the masks and their texts are
    all kept: every one is sent); `ExplainConfig` bounds `perturbations` by MAX_PERTURBATIONS.
    """
    masks, enumerated = make_masks(len(features), perturbations, sampler=sampler, seed=seed, max_removed=max_removed)
    text_of = MaskedText(prompt, features)
    return masks, tuple(text_of(m) for m in masks), enumerated
