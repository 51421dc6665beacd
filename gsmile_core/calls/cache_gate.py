"""The engine's way into a response cache that another program may have locked.

sqlite allows one writer at a time, and another program (a second gSMILE, a backup, a database
browser with an open transaction) can hold the lock for a long while. The cache itself waits only
briefly and then raises `CacheLocked`; here the engine waits on with backoff, on the event loop
(calls in flight keep going, their timeouts stay honest) and says so once per lock. After
`patience` seconds of one lock it stops using the cache for the rest of the run and says that
too: the answers stay in memory, so nothing already paid for is lost; they are just not stored.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

from ..types import Generation
from .cache import CacheLocked, CallIdentity, ResponseCache
from .retry import seconds

T = TypeVar("T")


@dataclass(frozen=True)
class LockWait:
    """Backoff while the cache is locked: `first` seconds, doubling up to `longest`, for at most
    `patience` seconds in all."""

    first: float = 0.5
    longest: float = 10.0
    patience: float = 300.0

    def delays(self) -> Iterator[float]:
        waited, delay = 0.0, self.first
        while waited < self.patience:
            step = min(delay, self.longest, self.patience - waited)
            yield step
            waited += step
            delay *= 2


class CacheGate:
    """Reads and writes of one run's cache, one at a time, patient with another program's lock."""

    def __init__(
        self,
        cache: ResponseCache | None,
        *,
        sleep: Callable[[float], Awaitable[Any]],
        announce: Callable[[str, str], None],
        wait: LockWait | None = None,
    ) -> None:
        self.cache = cache
        self.sleep = sleep
        self.announce = announce  # (message, level)
        self.wait = wait or LockWait()
        self.gave_up = False
        self._one_at_a_time = asyncio.Lock()

    @property
    def usable(self) -> bool:
        return self.cache is not None and not self.gave_up

    async def get(self, key: str) -> Generation | None:
        """The stored answer, or None (a miss, no cache, or a cache given up on)."""
        cache = self.cache
        if cache is None:
            return None
        return await self._patiently(lambda: cache.get(key), None)

    async def put(self, key: str, identity: CallIdentity, generation: Generation) -> None:
        cache = self.cache
        if cache is not None:
            await self._patiently(lambda: cache.put(key, identity, generation), None)

    async def _patiently(self, operation: Callable[[], T], fallback: T) -> T:
        async with self._one_at_a_time:
            if self.gave_up:
                return fallback
            try:
                return operation()
            except CacheLocked as locked:
                where = str(locked)
            self.announce(f"{where}; waiting for it (up to {seconds(self.wait.patience)}; calls in flight go on)", "warning")
            for delay in self.wait.delays():
                await self.sleep(delay)
                try:
                    result = operation()
                except CacheLocked:
                    continue
                self.announce("the response cache is free again; carrying on", "info")
                return result
            self.gave_up = True
            self.announce(
                f"{where} still, after {seconds(self.wait.patience)}: this run goes on without it "
                "(its answers are kept, but not cached)", "warning",
            )
            return fallback
