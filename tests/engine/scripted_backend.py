"""A backend whose behaviour per prompt is a script, for testing the call engine's loop.

Each prompt has a queue of outcomes consumed one per call: a `BackendError` (raised), an
Exception (raised: a backend breaking its contract), `HANG` (waits until cancelled), or a number
(sleep that long on the event loop, then answer), or (seconds, exception). An empty queue answers at once. The answer
depends on the prompt and, at temperature > 0, on the request seed, like a sampling model.
It records every call, the peak number of calls in flight and every call that was cancelled.
"""

from __future__ import annotations

import asyncio
from collections import Counter, defaultdict, deque
from typing import Any

from gsmile_core.types import Generation, GenerationParams

HANG = "hang"

WORDS = ["river", "mountain", "forest", "ocean", "desert", "valley", "island", "meadow"]


class ScriptedBackend:
    name = "scripted"

    def __init__(self, model: str = "scripted-1", base_url: str | None = "http://scripted.invalid/v1") -> None:
        self.model = model
        self.base_url = base_url
        self.scripts: dict[str, deque] = defaultdict(deque)
        self.calls: list[tuple[str, GenerationParams]] = []
        self.per_prompt: Counter[str] = Counter()
        self.in_flight = 0
        self.peak = 0
        self.cancelled = 0
        self.usage: tuple[int, int] | None = None  # (prompt_tokens, completion_tokens) to report

    def script(self, prompt: str, *outcomes: Any) -> None:
        self.scripts[prompt].extend(outcomes)

    def answer(self, prompt: str, params: GenerationParams) -> str:
        if params.temperature > 0:
            return f"{prompt} {WORDS[params.seed % len(WORDS)]} {WORDS[(params.seed // 8) % len(WORDS)]}"
        return f"{prompt} answered"

    async def generate(self, prompt: str, params: GenerationParams) -> Generation:
        self.calls.append((prompt, params))
        self.per_prompt[prompt] += 1
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)
        try:
            outcome = self.scripts[prompt].popleft() if self.scripts[prompt] else 0
            if isinstance(outcome, tuple):  # (seconds, exception): fail after a while
                await asyncio.sleep(outcome[0])
                outcome = outcome[1]
            if isinstance(outcome, BaseException):
                raise outcome
            if outcome == HANG:
                await asyncio.Event().wait()
            await asyncio.sleep(float(outcome))
        except asyncio.CancelledError:
            self.cancelled += 1
            raise
        finally:
            self.in_flight -= 1
        text = self.answer(prompt, params)
        tokens = self.usage or (len(prompt.split()), len(text.split()))
        return Generation(
            text=text, model=f"{self.model}-2026", finish_reason="stop",
            prompt_tokens=tokens[0], completion_tokens=tokens[1], fingerprint="fp_scripted",
        )

    async def aclose(self) -> None:
        return None

    def describe(self) -> dict[str, Any]:
        return {"model": self.model, "base_url": self.base_url}


class FakeClock:
    """A clock that only moves when the engine sleeps: retries and pacing without waiting."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)
