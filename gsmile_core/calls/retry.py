"""When to try a failed call again, how long to wait first, and when to stop.

One retry loop for every backend (SDK retries are off), driven by `BackendError.kind`. Without a
Retry-After the wait before retry n is exponential with equal jitter. A provider's Retry-After is
honoured as asked, up to `retry_after_cap` (60 s by default): a provider that asks for longer
(a `Retry-After: 300`) is not retried early against its word, nor waited on for minutes with
nothing shown; the call fails at once with one line saying when to try again.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from ..errors import BackendError
from ..sanitize import one_line

KIND_LABELS = {
    "auth": "authentication failed",
    "rate_limit": "rate limited",
    "server": "provider error",
    "timeout": "timed out",
    "bad_response": "unusable response",
    "connection": "cannot reach the provider",
    "unavailable": "model unavailable",
    "context_length": "prompt too long for the model",
    "quota": "quota or credit exhausted",
    "bad_request": "request rejected",
}
MESSAGE_LIMIT = 300  # characters of a provider's message kept in one line


@dataclass(frozen=True)
class RetryPolicy:
    """How the engine retries. Delay before retry n (1-based) is, without Retry-After,
    `min(max_delay, base_delay * 2**(n-1))` with equal jitter (half fixed, half uniform); with
    Retry-After, exactly what the provider asked when that is at most `retry_after_cap`, else no
    retry at all (see `decide`)."""

    max_attempts: int = 5
    base_delay: float = 1.0
    max_delay: float = 30.0
    retry_after_cap: float = 60.0
    timeout: float | None = 120.0

    def delay(self, retry_number: int, error: BackendError, rng: random.Random) -> float:
        if error.retry_after is not None and error.retry_after >= 0:
            return float(error.retry_after)
        ceiling = min(self.max_delay, self.base_delay * 2 ** (retry_number - 1))
        return ceiling / 2 + rng.uniform(0, ceiling / 2)

    def decide(self, attempt: int, error: BackendError, rng: random.Random,
               now: Callable[[], datetime] = lambda: datetime.now(timezone.utc)) -> float:
        """Seconds to wait before attempt `attempt + 1`, or raise the one-line `BackendError`
        that ends the call: the error is not retryable, the attempts are used up, or the
        provider asks for a longer wait than `retry_after_cap`."""
        reason = describe(error)
        if not error.retryable:
            raise BackendError(reason, kind=error.kind) from None
        if attempt >= self.max_attempts:
            raise BackendError(f"{reason} (gave up after {attempt} attempts)", kind=error.kind) from None
        asked = error.retry_after
        if asked is not None and asked > self.retry_after_cap:
            when = now() + timedelta(seconds=asked)
            raise BackendError(
                f"{reason}: the provider asks to wait {seconds(asked)}, longer than gSMILE waits "
                f"({seconds(self.retry_after_cap)}); try again after {when:%Y-%m-%d %H:%M:%S} UTC "
                "(answers received so far are cached)",
                kind=error.kind, retry_after=asked,
            ) from None
        return self.delay(attempt, error, rng)


def describe(error: BackendError) -> str:
    """`<what went wrong>: <the backend's one-line message>`."""
    return f"{KIND_LABELS.get(error.kind, 'provider error')}: {one_line(str(error), MESSAGE_LIMIT)}"


def seconds(delay: float) -> str:
    return f"{delay:.0f} s" if delay >= 10 else f"{delay:.1f} s"
