"""Helpers of the TUI tests: a counting backend factory, a polling wait, and fixed explanations
(timings, timestamps) for snapshots."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable

from gsmile_core.backends.fake import FakeBackend
from gsmile_core.backends import create_backend
from gsmile_core.config import ExplainConfig, preset_config
from gsmile_core.pipeline import explain
from gsmile_core.session import Session
from gsmile_core.types import Explanation, Provenance, Timing

PROMPT = "What is the meaning of life?"
# The paper preset pins the method whatever the plain defaults become, so the pictures and
# numbers of these tests change only when the UI (or the method itself) does.
FAST = preset_config("paper", perturbations=16, bootstrap=50, seed=0)
FIXED_TIME = "2026-01-02T03:04:05Z"


class CountingFactory:
    """A backend factory that records every backend it builds (to prove what was called)."""

    def __init__(self, make: Callable[..., object] | None = None) -> None:
        self.make = make
        self.built: list[object] = []

    def __call__(self, name: str, **options):
        backend = self.make(**options) if self.make else create_backend(name, **options)
        self.built.append(backend)
        return backend

    @property
    def calls(self) -> int:
        return sum(getattr(b, "calls", 0) for b in self.built)


class SlowBackend(FakeBackend):
    """A fake whose calls take a while and record being cancelled."""

    def __init__(self, **options):
        super().__init__(latency=0.05, **options)
        self.cancelled = 0

    async def generate(self, prompt, params):
        try:
            return await super().generate(prompt, params)
        except asyncio.CancelledError:
            self.cancelled += 1
            raise


async def wait_until(pilot, condition: Callable[[], object], what: str, polls: int = 2000):
    """Poll `condition` between event-loop turns (never a blind sleep)."""
    for _ in range(polls):
        if condition():
            return
        await pilot.pause(0.02)
    raise AssertionError(f"gave up waiting for {what}")


def frozen(explanation: Explanation) -> Explanation:
    """The same explanation with timings and machine details fixed (for snapshots)."""
    return dataclasses.replace(
        explanation,
        timing=Timing(total_s=1.5, model_s=1.0, embed_s=0.2, distances_s=0.1, pvalues_s=0.1, fit_s=0.1),
        provenance=dataclasses.replace(
            explanation.provenance, created_at=FIXED_TIME, python="3.11", platform="Linux"
        ),
    )


async def explained(prompt: str = PROMPT, config: ExplainConfig = FAST, **backend_options) -> Explanation:
    return frozen(await explain(prompt, FakeBackend(**backend_options), config))


def explain_fake(prompt: str = PROMPT, config: ExplainConfig = FAST, **backend_options) -> Explanation:
    return asyncio.run(explained(prompt, config, **backend_options))


def session_with(*explanations: Explanation, compare_labels: tuple[str, ...] | None = None) -> Session:
    session = Session.new("audit", now=FIXED_TIME, session_id="s1")
    if compare_labels:
        return session.with_compare_group(explanations, compare_labels, now=FIXED_TIME)
    for explanation in explanations:
        session = session.with_run(explanation, now=FIXED_TIME)
    return session
