"""Ask the black box about arbitrary keep-masks and measure how far each answer moved.

The explainer's peers (leave-one-out, Shapley sampling) and the deletion/insertion test all need
the same primitive: for a set of masks over the prompt's words, the output distance
Δ(original answer, answer to the masked prompt), measured exactly as gSMILE measures it (same
embedder, same output distance, same generation parameters). `OutputProbe` does that through the
call engine, so every prompt is asked once and answers are sanitised like any other.

The all-zero mask is an empty prompt, which is never sent: its answer is taken to be empty, and
Δ(original, "") follows the distances' null-word rule (the cost of moving the whole original
answer to nothing). That is the natural baseline "no words at all" for Shapley values and for the
last point of a deletion curve.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..backends.base import Backend
from ..config import ExplainConfig
from ..method.parts import DISTANCES
from ..method.embed import get_embedder
from ..calls.sampling import engine_for, generate_answers
from ..method.segment import apply_mask
from ..calls.context import RunContext
from ..types import Feature

Mask = tuple[int, ...]


class OutputProbe:
    """Output distances of masked prompts for one prompt, one model and one configuration."""

    def __init__(
        self,
        prompt: str,
        features: Sequence[Feature],
        backend: Backend,
        config: ExplainConfig,
        original_output: str | None = None,
        *,
        run: RunContext = RunContext(),
    ) -> None:
        self.prompt = prompt
        self.features = tuple(features)
        self.backend = backend
        self.config = config
        self.original_output = original_output
        # The same engine as `explain` (cache, retries, budget) and the same k samples per prompt,
        # so Δ here is the Δ of the explanation.
        self.engine = engine_for(backend, config, run)
        self.embedder = get_embedder(config.embedder)
        self.distance = DISTANCES.get(config.output_distance)
        self._delta: dict[Mask, float] = {}
        self.answers: dict[Mask, str] = {}

    def text(self, mask: Mask) -> str:
        return apply_mask(self.prompt, self.features, mask) if any(mask) else ""

    async def deltas(self, masks: Sequence[Sequence[int]]) -> np.ndarray:
        """Δ(original answer, answer to each masked prompt), in the order given."""
        masks = [tuple(int(v) for v in m) for m in masks]
        full: Mask = (1,) * len(self.features)
        wanted = [m for m in dict.fromkeys([full, *masks]) if m not in self._delta]
        asked = [m for m in wanted if any(m)]
        if asked:
            sampled = await generate_answers(self.engine, [self.text(m) for m in asked], self.config.samples_per_prompt)
            for m in asked:
                self.answers[m] = sampled.answers[self.text(m)].text
        if self.original_output is None:
            self.original_output = self.answers[full]
        original = self.embedder.embed(self.original_output)
        for m in wanted:
            answer = self.answers.get(m, "")
            self._delta[m] = float(self.distance(original, self.embedder.embed(answer), self.config.p))
        return np.array([self._delta[m] for m in masks], dtype=float)
