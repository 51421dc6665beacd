"""Exact Shapley values of the prompt's words, by enumerating every subset (short prompts).

A reference the surrogate scores can be checked against: no sampling, no kernel, no linear
model, just the game v(S) = -Δ(S) — minus the output distance between the original answer and
the answer to the prompt that keeps exactly the words S (order preserved) — and the Shapley
formula over all 2^d subsets:
    φ_i = Σ_{S ⊆ N∖{i}} |S|! (d-|S|-1)! / d! · (v(S ∪ {i}) - v(S)).
Same sign convention as gSMILE's scores: φ_i > 0 means keeping word i holds the answer near the
original. v(N) = 0 (the original answer), and the empty prompt, which is never sent, is given
the value of an empty answer: v(∅) = -Δ(original answer, "") under the configured distance's
empty-bag rule. So Σ φ_i = Δ(original, "") (efficiency).

The answers already obtained by the explanation are reused — when the sampler enumerated every
mask nothing is asked again — and only the missing masks go to the backend, through the same
call engine (cache, retries, budgets) and with the same generation parameters, embedder and
output distance as the explanation. d ≤ `MAX_SHAPLEY_WORDS` (12 words: at most 4094 prompts).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..backends.base import Backend
from ..config import MAX_SHAPLEY_WORDS, ExplainConfig
from ..method.parts import DISTANCES
from ..method.embed import get_embedder
from ..errors import ConfigError
from ..method.segment import apply_mask
from ..calls.context import RunContext
from ..types import Explanation

SHAPLEY_KEY = "shapley"


def mask_to_bits(mask: tuple[int, ...]) -> int:
    """Keep-mask (1 = kept) to an integer whose bit i is word i."""
    return sum(1 << i for i, keep in enumerate(mask) if keep)


def bits_to_mask(bits: int, d: int) -> tuple[int, ...]:
    return tuple((bits >> i) & 1 for i in range(d))


def shapley_from_table(values: np.ndarray) -> np.ndarray:
    """Exact Shapley values from v over all 2^d coalitions (`values[bits]`, bit i = player i)."""
    values = np.asarray(values, dtype=float)
    d = int(round(math.log2(values.size)))
    if values.size != 2**d:
        raise ValueError("the value table must have 2^d entries")
    coalitions = np.arange(2**d)
    sizes = np.array([bin(c).count("1") for c in coalitions])
    weight_by_size = np.array(
        [math.factorial(s) * math.factorial(d - s - 1) / math.factorial(d) for s in range(d)]
    )
    phi = np.zeros(d)
    for i in range(d):
        without = coalitions[(coalitions >> i) & 1 == 0]
        gains = values[without | (1 << i)] - values[without]
        phi[i] = float(np.sum(weight_by_size[sizes[without]] * gains))
    return phi


@dataclass(frozen=True)
class ShapleyValues:
    """Exact Shapley values per word, and what computing them cost."""

    values: tuple[float, ...]
    empty_value: float  # v(∅) = -Δ(original answer, empty answer)
    masks_total: int  # 2^d - 1 non-empty masks
    masks_reused: int  # answered by the explanation already
    masks_queried: int  # sent to the backend now (the cache may still have answered some)
    model_calls: int
    cache_hits: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "values": list(self.values),
            "empty_value": self.empty_value,
            "masks_total": self.masks_total,
            "masks_reused": self.masks_reused,
            "masks_queried": self.masks_queried,
            "model_calls": self.model_calls,
            "cache_hits": self.cache_hits,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ShapleyValues:
        return cls(
            values=tuple(float(v) for v in data["values"]),
            empty_value=float(data["empty_value"]),
            masks_total=int(data["masks_total"]),
            masks_reused=int(data["masks_reused"]),
            masks_queried=int(data["masks_queried"]),
            model_calls=int(data.get("model_calls", 0)),
            cache_hits=int(data.get("cache_hits", 0)),
        )


def missing_masks(explanation: Explanation) -> list[tuple[int, ...]]:
    """Non-empty masks the explanation has no answer for, fewest words removed first."""
    d = len(explanation.features)
    known = {p.mask for p in explanation.perturbations}
    every = sorted(range(1, 2**d), key=lambda b: (-bin(b).count("1"), b))
    return [m for m in (bits_to_mask(b, d) for b in every) if m not in known]


async def exact_shapley(
    explanation: Explanation,
    backend: Backend,
    *,
    run: RunContext = RunContext(),
) -> ShapleyValues:
    """Exact Shapley values for `explanation`'s words; `run` as for `explain` (the missing
    masks' answers go through its cache and audit trail)."""
    from ..calls.sampling import engine_for, generate_answers  # the call engine, as the pipeline uses it

    d = len(explanation.features)
    if d > MAX_SHAPLEY_WORDS:
        raise ConfigError(
            f"exact Shapley values enumerate 2^d prompts; the prompt has {d} words, the limit is "
            f"{MAX_SHAPLEY_WORDS}"
        )
    config = ExplainConfig.from_dict(explanation.config)
    missing = missing_masks(explanation)
    calls = hits = 0
    answers: dict[tuple[int, ...], str] = {}
    if missing:
        texts = [apply_mask(explanation.prompt, explanation.features, m) for m in missing]
        # The original first: with several samples per prompt the engine treats it specially.
        original_text = explanation.perturbations[0].prompt
        engine = engine_for(backend, config, run)
        sampled = await generate_answers(engine, [original_text, *texts], config.samples_per_prompt)
        calls, hits = sampled.stats.model_calls, sampled.stats.cache_hits
        answers = {m: sampled.answers[t].text for m, t in zip(missing, texts)}

    embedder = get_embedder(config.embedder)
    distance = DISTANCES.get(config.output_distance)
    original = embedder.embed(explanation.original_output)
    table = np.zeros(2**d)
    for p in explanation.perturbations:
        table[mask_to_bits(p.mask)] = -p.output_distance
    embedded: dict[str, float] = {}
    for mask, text in answers.items():
        if text not in embedded:
            embedded[text] = distance(original, embedder.embed(text), config.p)
        table[mask_to_bits(mask)] = -embedded[text]
    table[0] = -distance(original, embedder.embed(""), config.p)
    phi = shapley_from_table(table)
    return ShapleyValues(
        values=tuple(float(v) for v in phi),
        empty_value=float(table[0]),
        masks_total=2**d - 1,
        masks_reused=2**d - 1 - len(missing),
        masks_queried=len(missing),
        model_calls=calls,
        cache_hits=hits,
    )
