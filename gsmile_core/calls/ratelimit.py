"""Requests-per-minute pacing (`--rpm`): call starts spaced at least 60/rpm seconds apart.

Smooth spacing rather than a burst-then-wait window, so a provider's per-second limits are never
hit in a burst either. The clock and the sleep are the engine's (injectable in tests).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any


class RateLimiter:
    """Spaces call starts at least 60/rpm seconds apart (a smooth requests-per-minute limit)."""

    def __init__(
        self,
        requests_per_minute: float,
        clock: Callable[[], float],
        sleep: Callable[[float], Awaitable[Any]],
    ) -> None:
        self.interval = 60.0 / requests_per_minute
        self.clock = clock
        self.sleep = sleep
        self.next_start: float | None = None
        self.lock = asyncio.Lock()

    async def acquire(self) -> None:
        async with self.lock:
            now = self.clock()
            start = now if self.next_start is None else max(now, self.next_start)
            self.next_start = start + self.interval
            if start > now:
                await self.sleep(start - now)
