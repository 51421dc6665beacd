"""An in-process answer memo around any backend: within one run, no prompt is asked twice.

Experiments and metrics explain many overlapping prompt sets (several samplers, seeds,
deletion curves, peers) on one model. Wrapping the backend in `MemoBackend` makes every repeat of
an identical (prompt, generation parameters) pair free: the first call's `Generation` is kept and
returned again, marked `cached=True`. Concurrent requests for the same prompt share one call.

`model_calls` counts the calls that really reached the wrapped backend and `memo_hits` the ones
that did not, so an experiment can report what it cost. The persistent on-disk response cache
(across runs) lives in the call engine; this memo only spans one process.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import Any

from ..backends.base import Backend
from ..types import Generation, GenerationParams


class MemoBackend:
    """A backend that answers each distinct (prompt, params) once and remembers the answer."""

    def __init__(self, backend: Backend) -> None:
        self.inner = backend
        self.name = backend.name
        self.model = backend.model
        self.model_calls = 0
        self.memo_hits = 0
        self._done: dict[tuple[str, GenerationParams], Generation] = {}
        # In-flight calls, so a concurrent request for the same prompt waits for the first.
        self._pending: dict[tuple[str, GenerationParams], asyncio.Future] = {}

    async def generate(self, prompt: str, params: GenerationParams) -> Generation:
        key = (prompt, params)
        if key in self._done:
            self.memo_hits += 1
            return replace(self._done[key], cached=True)
        pending = self._pending.get(key)
        if pending is not None:
            generation = await asyncio.shield(pending)
            self.memo_hits += 1
            return replace(generation, cached=True)
        future: asyncio.Future = asyncio.get_running_loop().create_future()
        self._pending[key] = future
        try:
            generation = await self.inner.generate(prompt, params)
        except BaseException as error:
            # A failed call is not remembered: the next request tries again.
            if not future.done():
                future.set_exception(error)
                future.exception()  # mark retrieved; waiters re-raise it themselves
            raise
        finally:
            self._pending.pop(key, None)
        self.model_calls += 1
        self._done[key] = generation
        future.set_result(generation)
        return generation

    def answers(self) -> int:
        """How many distinct prompts have an answer."""
        return len(self._done)

    async def aclose(self) -> None:
        await self.inner.aclose()

    def describe(self) -> dict[str, Any]:
        return self.inner.describe()
