"""Every prompt of an audit in this process, on one event loop, under one `SharedLimits`.

A few prompts run at once (enough to keep every call slot busy while a finished prompt's CPU work
— embeddings, p-values, the fit — runs), each with its own call engine; all their calls share one
concurrency limit, one pacing and one budget. Prompts start in file order; each record is handed
over the moment its prompt is done, so memory holds the prompts in flight, never the set.
"""

from __future__ import annotations

import asyncio
import math
from dataclasses import replace
from collections.abc import Callable, Iterable
from typing import Any

from ...backends.base import Backend
from ...calls.budget import Budget, no_price
from ...calls.context import RunContext
from ...calls.pricing import find_price
from ...calls.shared_limits import SharedLimits
from ...config import ExplainConfig
from ...events import Event, GenerationReceived, Notice, Retrying
from ...errors import GsmileError
from ..item import explain_item, stops_the_audit
from ..reader import PromptItem

MAX_PROMPTS_IN_FLIGHT = 64
MAX_NOTICES = 10  # distinct notices passed on; every prompt's warnings are in its record anyway


def prompts_in_flight(config: ExplainConfig) -> int:
    """Enough prompts at once that their calls fill every slot twice over (one prompt's calls can
    be answered while another's are analysed), plus one; at most `MAX_PROMPTS_IN_FLIGHT`."""
    calls_per_prompt = max(1, config.perturbations * config.samples_per_prompt)
    return min(MAX_PROMPTS_IN_FLIGHT, 2 * math.ceil(config.concurrency / calls_per_prompt) + 1)


def shared_limits_for(backend_name: str, model: str, config: ExplainConfig, **timing: Any) -> SharedLimits:
    """The audit's one concurrency limit, pacing and budget, from the set's settings."""
    price = find_price(backend_name, model)
    if config.max_cost is not None and price is None:
        raise no_price(backend_name, model)
    return SharedLimits(
        concurrency=config.concurrency,
        budget=Budget(max_calls=config.max_calls, max_cost=config.max_cost, price=price),
        max_tokens=config.max_tokens,
        system_prompt=config.system_prompt,
        requests_per_minute=config.requests_per_minute,
        **timing,
    )


class LocalExecutor:
    """Runs prompts on this event loop through `backend` (built once, shared by every prompt)."""

    def __init__(
        self,
        backend: Backend,
        config: ExplainConfig,
        run: RunContext = RunContext(),
        *,
        limits: SharedLimits | None = None,
        parallel_prompts: int | None = None,
    ) -> None:
        self.backend = backend
        self.config = config
        self.limits = limits or shared_limits_for(backend.name, backend.model, config)
        self.on_event = run.on_event
        self.run_context = RunContext(cache=run.cache, refresh=run.refresh, audit=run.audit,
                                      on_event=self._event, limits=self.limits)
        self.parallel_prompts = parallel_prompts or prompts_in_flight(config)
        self.cache_hits = 0
        self._said: set[str] = set()

    @property
    def calls(self) -> int:
        return self.limits.calls

    @property
    def spent_usd(self) -> float | None:
        return self.limits.spent_usd if self.limits.spending.priced else None

    def _event(self, event: Event) -> None:
        # Per-prompt stage events are noise at the scale of a set: count answers, pass notices on.
        if isinstance(event, GenerationReceived):
            if event.cached:
                self.cache_hits += 1
        elif isinstance(event, Retrying):
            self.on_event(event)  # the printer folds repeated retries into one line
        elif isinstance(event, Notice) and event.message not in self._said and len(self._said) < MAX_NOTICES:
            self._said.add(event.message)
            self.on_event(event)
            if len(self._said) == MAX_NOTICES:
                self.on_event(Notice("further notices are not shown; each prompt's warnings are in its line of results.jsonl", level="info"))

    async def run(self, items: Iterable[PromptItem], deliver: Callable[[dict[str, Any]], None]) -> None:
        queue = enumerate(items)
        stop: list[GsmileError] = []

        async def worker() -> None:
            # On a stop (budget spent, key rejected) no new prompt starts; prompts whose calls are
            # all answered still finish and are recorded, the others stop at their next call.
            for order, item in queue:
                if stop:
                    return
                run = replace(self.run_context, limits=self.limits.for_item(order))
                try:
                    record = await explain_item(item, self.backend, self.config, run)
                except GsmileError as error:
                    if not stops_the_audit(error):
                        raise
                    stop.append(error)
                    return
                deliver(record)

        workers = [asyncio.ensure_future(worker()) for _ in range(self.parallel_prompts)]
        try:
            finished, _ = await asyncio.wait(workers, return_when=asyncio.FIRST_EXCEPTION)
            for task in finished:
                task.result()  # the first failure that stops the audit
        finally:
            for task in workers:
                task.cancel()
            await asyncio.gather(*workers, return_exceptions=True)
        if stop:
            raise stop[0]
