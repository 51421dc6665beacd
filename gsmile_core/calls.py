"""The call engine: every model call of a run goes through here, whatever the backend.

It asks each unique prompt once, keeps at most `concurrency` calls in flight, sanitises every
answer at the edge (escape sequences and control characters removed), reports each answer as an
event, and counts calls. Cancelling the run cancels the calls in flight.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from .backends.base import Backend
from .events import EventHandler, GenerationReceived, StageStarted, ignore
from .sanitize import strip_unsafe
from .types import Generation, GenerationParams


@dataclass(frozen=True)
class CallStats:
    model_calls: int
    cache_hits: int
    seconds: float


class CallEngine:
    def __init__(
        self,
        backend: Backend,
        params: GenerationParams,
        *,
        concurrency: int = 8,
        on_event: EventHandler = ignore,
    ) -> None:
        self.backend = backend
        self.params = params
        self.concurrency = concurrency
        self.on_event = on_event
        self.model_calls = 0
        self.cache_hits = 0

    async def _one(self, prompt: str, gate: asyncio.Semaphore) -> tuple[str, Generation]:
        async with gate:
            generation = await self.backend.generate(prompt, self.params)
        self.model_calls += 1
        return prompt, replace(generation, text=strip_unsafe(generation.text))

    async def generate_all(
        self,
        prompts: Sequence[str],
        on_answer: Callable[[str, Generation], None] | None = None,
    ) -> tuple[dict[str, Generation], CallStats]:
        """Answers for every distinct prompt in `prompts`, each asked once.

        Calls start in the order given (so the first prompt is answered among the first);
        `on_answer(prompt, generation)` runs on the event loop as each answer arrives, letting
        the caller start work on it while the model is still busy with the rest.
        """
        unique = list(dict.fromkeys(prompts))
        started = time.perf_counter()
        self.on_event(StageStarted("generate", len(unique)))
        gate = asyncio.Semaphore(self.concurrency)
        tasks = [asyncio.ensure_future(self._one(p, gate)) for p in unique]
        answers: dict[str, Generation] = {}
        try:
            for done_count, finished in enumerate(asyncio.as_completed(tasks), start=1):
                prompt, generation = await finished
                answers[prompt] = generation
                if on_answer is not None:
                    on_answer(prompt, generation)
                self.on_event(
                    GenerationReceived(
                        done=done_count,
                        total=len(unique),
                        prompt=prompt,
                        output=generation.text,
                        cached=generation.cached,
                        latency_s=generation.latency_s,
                    )
                )
        except BaseException:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            raise
        return answers, CallStats(self.model_calls, self.cache_hits, time.perf_counter() - started)

