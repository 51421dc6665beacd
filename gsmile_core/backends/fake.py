"""A deterministic backend for tests, demos and benchmarks: no model, known behaviour.

Its answer is built from the prompt's words by fixed rules, so a test can say in advance which
words matter: every word (lower-cased, punctuation stripped) found in `rules` contributes its
sentence to the answer, in prompt order; a prompt with no trigger word gets `default`. Words not
in `rules` change nothing, so their attribution should be near zero, and trigger words should
rank first. Like a real model it stops at `max_tokens` (one word per token here), with
finish reason "length". `latency` adds a sleep per call (for concurrency benchmarks).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Mapping
from typing import Any

from ..types import Generation, GenerationParams
from .base import BACKENDS

DEFAULT_RULES: Mapping[str, str] = {
    "meaning": "Meaning is the purpose and significance that people find in things.",
    "life": "Life is the existence of living beings, growing and changing over time.",
    "doctor": "The doctor examined the patient and prescribed medicine at the hospital.",
    "ocean": "The ocean is a vast body of salt water with waves, fish and whales.",
    "weather": "The weather today is rainy with clouds and a cold wind.",
    "rainy": "Rainy days bring umbrellas, puddles and grey skies.",
    "recipe": "A recipe lists ingredients like flour, sugar and eggs for cooking.",
    "math": "Mathematics studies numbers, equations and geometric shapes.",
}
DEFAULT_ANSWER = "I am not sure what you are asking about."


@BACKENDS.register("fake", "deterministic rule-based answers (tests and demos)")
class FakeBackend:
    name = "fake"

    def __init__(
        self,
        model: str = "fake-rules-v1",
        rules: Mapping[str, str] | None = None,
        default: str = DEFAULT_ANSWER,
        latency: float = 0.0,
        **_: Any,
    ) -> None:
        self.model = model
        self.rules = dict(DEFAULT_RULES if rules is None else rules)
        self.default = default
        self.latency = latency
        self.calls = 0

    def answer(self, prompt: str) -> str:
        words = [re.sub(r"[^\w]", "", w.lower()) for w in prompt.split()]
        parts = [self.rules[w] for w in words if w in self.rules]
        return " ".join(parts) if parts else self.default

    async def generate(self, prompt: str, params: GenerationParams) -> Generation:
        self.calls += 1
        if self.latency:
            await asyncio.sleep(self.latency)
        words = self.answer(prompt).split()
        finish = "length" if len(words) > params.max_tokens else "stop"
        words = words[: params.max_tokens]
        return Generation(
            text=" ".join(words),
            model=self.model,
            finish_reason=finish,
            prompt_tokens=len(prompt.split()),
            completion_tokens=len(words),
        )

    async def aclose(self) -> None:
        return None

    def describe(self) -> dict[str, Any]:
        return {"model": self.model, "rules": len(self.rules), "latency": self.latency}
