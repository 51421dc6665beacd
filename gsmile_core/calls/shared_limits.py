"""One concurrency limit, one rate limit and one budget shared by many runs (an audit's prompts).

Why: an audit explains hundreds of prompts, each through its own call engine. If each engine
kept its own limits, 100 prompts at `--concurrency 32` would put 3,200 calls in flight, `--rpm`
would be exceeded 100 times over and `--max-calls` would bound each prompt instead of the set.
Here every engine asks the same `SharedLimits` before each attempt: a slot among `concurrency`
(taken first, so a call waiting for a slot does not hold a rate-limit turn), then the budget
(stop cleanly before a call that could cross it), then the pacing; `release` gives the slot back
and accounts what the call cost.

Slots go to the earliest prompt first (`for_item(order)`): with plain first-come slots every prompt
in flight would advance in lockstep and all finish together at the end; by order, prompts finish
one after another, so records stream out steadily and a budget stop leaves whole prompts done.

`CallPermits` is the contract the engine relies on; `SharedLimits` keeps it within one event
loop. Across processes (Ray workers) the same object lives in one actor and the workers hold a
proxy with the same two methods (`gsmile_core.batch.executors.ray`).
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

from ..types import Generation
from .budget import Budget, Spending
from .ratelimit import RateLimiter


@dataclass(frozen=True)
class Permit:
    """Leave to make one call attempt: which one (`number`) and the cost reserved for it."""

    number: int
    reserved_usd: float


class CallPermits(Protocol):
    """What an engine asks before each attempt and tells after it."""

    async def acquire(self, prompt: str) -> Permit:
        """Wait for a slot and the rate limit; raise `BudgetExceeded` if the call could overspend."""

    def release(self, permit: Permit, prompt: str, generation: Generation | None) -> None:
        """Give the slot back; account the cost of `generation` (None: the attempt failed).
        Never blocks (it runs in `finally` blocks, cancellation included)."""


class PrioritySlots:
    """`count` slots handed out lowest priority first (then first come), on one event loop."""

    def __init__(self, count: int) -> None:
        self.free = count
        self._waiting: list[tuple[int, int, asyncio.Future]] = []
        self._order = itertools.count()

    async def acquire(self, priority: int = 0) -> None:
        if self.free > 0 and not self._waiting:
            self.free -= 1
            return
        future = asyncio.get_running_loop().create_future()
        heapq.heappush(self._waiting, (priority, next(self._order), future))
        try:
            await future
        except asyncio.CancelledError:
            if future.done() and not future.cancelled():
                self.release()  # handed a slot just as it was cancelled: pass it on
            raise

    def release(self) -> None:
        while self._waiting:
            _, _, future = heapq.heappop(self._waiting)
            if not future.done():
                future.set_result(None)
                return
        self.free += 1


class SharedLimits:
    """The limits of a whole audit within one event loop."""

    def __init__(
        self,
        *,
        concurrency: int,
        budget: Budget,
        max_tokens: int,
        system_prompt: str | None,
        requests_per_minute: float | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    ) -> None:
        self.concurrency = max(int(concurrency), 1)
        self.spending = Spending(budget, max_tokens, system_prompt)
        self.limiter = RateLimiter(requests_per_minute, clock, sleep) if requests_per_minute else None
        self._slots = PrioritySlots(self.concurrency)
        self._numbers = itertools.count(1)
        self.in_flight = 0
        self.peak_in_flight = 0

    @property
    def calls(self) -> int:
        """Attempts started by every engine sharing these limits."""
        return self.spending.calls

    @property
    def spent_usd(self) -> float:
        return self.spending.spent_usd

    def for_item(self, order: int) -> CallPermits:
        """The permits of the `order`-th prompt: its calls get slots before later prompts'."""
        return _Prioritised(self, order)

    async def acquire(self, prompt: str, priority: int = 0) -> Permit:
        await self._slots.acquire(priority)
        reserved = 0.0
        try:
            reserved = self.spending.reserve(prompt)  # BudgetExceeded: no call, slot handed back
            if self.limiter is not None:
                await self.limiter.acquire()
        except BaseException:
            self.spending.release(reserved)
            self._slots.release()
            raise
        self.in_flight += 1
        self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
        return Permit(next(self._numbers), reserved)

    def release(self, permit: Permit, prompt: str, generation: Generation | None) -> None:
        self.in_flight -= 1
        self.spending.release(permit.reserved_usd)
        if generation is not None:
            self.spending.account(prompt, generation)
        self._slots.release()


class _Prioritised:
    def __init__(self, shared: SharedLimits, order: int) -> None:
        self.shared, self.order = shared, order

    async def acquire(self, prompt: str) -> Permit:
        return await self.shared.acquire(prompt, self.order)

    def release(self, permit: Permit, prompt: str, generation: Generation | None) -> None:
        self.shared.release(permit, prompt, generation)
