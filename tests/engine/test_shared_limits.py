"""Engines that share one `SharedLimits` (an audit's prompts) share one concurrency limit, one
pacing and one budget: two engines of concurrency 3 never have more than 3 calls in flight
together, a --max-calls of 12 stops both after 12 calls in all, and call starts are spaced by the
rate limit across engines."""

from __future__ import annotations

import asyncio

import pytest

from gsmile_core.backends.fake import FakeBackend
from gsmile_core.calls.budget import Budget, BudgetExceeded
from gsmile_core.calls.engine import CallEngine
from gsmile_core.calls.shared_limits import SharedLimits
from gsmile_core.types import GenerationParams

PARAMS = GenerationParams(max_tokens=16)


class CountingBackend(FakeBackend):
    """The fake backend, counting calls in flight across every engine that uses it."""

    def __init__(self) -> None:
        super().__init__(latency=0.01)
        self.in_flight = 0
        self.peak = 0

    async def generate(self, prompt, params):
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)
        try:
            return await super().generate(prompt, params)
        finally:
            self.in_flight -= 1


def limits(concurrency: int, max_calls: int | None = None, rpm: float | None = None, **timing) -> SharedLimits:
    return SharedLimits(concurrency=concurrency, budget=Budget(max_calls=max_calls), max_tokens=16,
                        system_prompt=None, requests_per_minute=rpm, **timing)


async def test_two_engines_share_one_concurrency_limit():
    backend, shared = CountingBackend(), limits(3)
    engines = [CallEngine(backend, PARAMS, concurrency=3, shared=shared) for _ in range(2)]
    prompts = [[f"prompt {e} {i}" for i in range(10)] for e in range(2)]
    results = await asyncio.gather(*(engine.generate_all(p) for engine, p in zip(engines, prompts)))
    assert backend.peak == 3  # without sharing: 6
    assert shared.calls == 20 and shared.peak_in_flight == 3 and shared.in_flight == 0
    assert [stats.model_calls for _, stats in results] == [10, 10]  # each engine counts its own


async def test_without_shared_limits_each_engine_has_its_own():
    backend = CountingBackend()
    engines = [CallEngine(backend, PARAMS, concurrency=3) for _ in range(2)]
    prompts = [[f"prompt {e} {i}" for i in range(10)] for e in range(2)]
    await asyncio.gather(*(engine.generate_all(p) for engine, p in zip(engines, prompts)))
    assert backend.peak == 6  # the contrast the shared limit removes


async def test_one_budget_stops_every_engine_after_max_calls_in_all():
    backend, shared = CountingBackend(), limits(2, max_calls=12)
    engines = [CallEngine(backend, PARAMS, concurrency=2, shared=shared) for _ in range(2)]
    prompts = [[f"prompt {e} {i}" for i in range(10)] for e in range(2)]
    outcomes = await asyncio.gather(*(engine.generate_all(p) for engine, p in zip(engines, prompts)),
                                    return_exceptions=True)
    assert backend.calls == 12 and shared.calls == 12
    assert any(isinstance(o, BudgetExceeded) for o in outcomes)
    assert shared.in_flight == 0  # every slot handed back


async def test_the_rate_limit_spaces_call_starts_across_engines():
    now = [0.0]
    sleeps: list[float] = []

    async def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        now[0] += seconds

    shared = limits(4, rpm=60, clock=lambda: now[0], sleep=sleep)  # one start a second
    backend = FakeBackend()
    engines = [CallEngine(backend, PARAMS, concurrency=2, shared=shared) for _ in range(2)]
    await asyncio.gather(*(engine.generate_all([f"p {e} {i}" for i in range(3)]) for e, engine in enumerate(engines)))
    assert backend.calls == 6
    assert now[0] == pytest.approx(5.0)  # 6 starts one second apart, whichever engine made them
