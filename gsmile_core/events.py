"""The typed progress stream a run emits through its `on_event` callback.

Front ends subscribe instead of being called into: the CLI draws a progress bar on stderr, the
TUI's runner turns each event into a Textual message. Events are small frozen values, safe to
hand across threads; the text in them is already sanitised.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


# What each stage is called on screen (the CLI's progress bar and the TUI's run log).
STAGE_LABELS = {
    "generate": "asking the model",
    "embed": "embedding answers",
    "pvalues": "permutation p-values",
    "fit": "fitting the surrogate",
}


@dataclass(frozen=True)
class StageStarted:
    """A stage began: `generate`, `embed`, `pvalues`, `fit`. `total` is its number of steps."""

    stage: str
    total: int


@dataclass(frozen=True)
class StepDone:
    """One more step of the current stage finished (for progress bars)."""

    stage: str
    done: int
    total: int


@dataclass(frozen=True)
class GenerationReceived:
    """An answer arrived for a unique prompt (from the model or the cache)."""

    done: int
    total: int
    prompt: str
    output: str
    cached: bool
    latency_s: float
    spent_usd: float | None = None  # estimated spend of the run so far; None when no price is known


@dataclass(frozen=True)
class Notice:
    """Something the user should know: a warning, a retry wait. `level` is info|warning|error."""

    message: str
    level: str = "warning"


@dataclass(frozen=True)
class Retrying(Notice):
    """A call failed and will be tried again in `delay` seconds. `reason` is the failure without
    the wait, the same for every call that fails the same way (an unreachable server fails all
    of them), so a front end can show one line that updates instead of one line per retry."""

    reason: str = ""
    delay: float = 0.0


@dataclass(frozen=True)
class Finished:
    """The run is over; `seconds` of wall time."""

    seconds: float


Event = StageStarted | StepDone | GenerationReceived | Notice | Retrying | Finished
EventHandler = Callable[[Event], None]


def ignore(_: Event) -> None:
    """The default handler: drop every event."""
