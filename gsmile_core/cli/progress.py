"""Progress of a run on stderr: a rich progress bar with ETA on a terminal, plain lines otherwise.

It consumes the core's event stream; answers are not echoed (they can be long), warnings are.
One bar serves every command: `ProgressPrinter` follows an explanation's stages (`gsmile explain`),
`ExperimentProgress` one bar over an experiment's steps (`gsmile experiment`, `gsmile metric`).

Retries come in bursts of the same failure (an unreachable server fails every call in flight,
then every retry): on a terminal they are one status line under the bar that updates in place
(the reason, how many times, the next wait); otherwise the first retry of each reason is printed
and the repeats are counted in one line when the reason changes or the run ends.
"""

from __future__ import annotations

import time
from typing import Self

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.text import Text

from ..calls.retry import seconds
from ..events import STAGE_LABELS, Event, GenerationReceived, Notice, Retrying, StageStarted, StepDone


class _ProgressWithStatus(Progress):
    """rich's Progress with one optional status line under its bars."""

    status: Text | None = None

    def get_renderables(self):
        yield from super().get_renderables()
        if self.status is not None:
            yield self.status


class StderrProgress:
    """The bar with ETA (live on a terminal only) and notices in yellow; subclasses read the steps."""

    def __init__(self, console: Console, enabled: bool = True) -> None:
        self.console = console
        self.enabled = enabled
        self.live = enabled and console.is_terminal
        self.retry_reason: str | None = None
        self.retry_count = 0
        self.progress = _ProgressWithStatus(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("eta"),
            TimeRemainingColumn(),
            console=console,
            transient=True,
            disable=not self.live,
        )
        self.task = None

    def __enter__(self) -> Self:
        self.progress.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        self.progress.__exit__(*exc)
        self._count_repeats()

    def handle(self, event: Event) -> None:
        if not self.enabled:
            return
        if isinstance(event, Retrying):
            self.retrying(event)
        elif isinstance(event, Notice):
            self.console.print(Text(f"{event.level}: {event.message}", style="yellow"))
        else:
            if isinstance(event, GenerationReceived) and not event.cached and self.progress.status is not None:
                self.progress.status = None  # calls get through again
            self.step(event)

    def retrying(self, event: Retrying) -> None:
        if event.reason != self.retry_reason:
            self._count_repeats()
            self.retry_reason, self.retry_count = event.reason, 0
        self.retry_count += 1
        if self.live:
            times = f" ×{self.retry_count}" if self.retry_count > 1 else ""
            self.progress.status = Text(f"retrying{times}, next in {seconds(event.delay)}: {event.reason}",
                                        style="yellow", no_wrap=True, overflow="ellipsis")
            self.progress.refresh()
        elif self.retry_count == 1:
            self.console.print(Text(f"{event.level}: {event.message}", style="yellow"))

    def _count_repeats(self) -> None:
        """Without a terminal: one line for the retries not printed since the reason's first."""
        if not self.live and self.retry_count > 1:
            again = self.retry_count - 1
            self.console.print(Text(f"info: {again} more {'retry' if again == 1 else 'retries'} for the same reason",
                                    style="yellow"))
        self.retry_count = 0

    def step(self, event: Event) -> None:
        raise NotImplementedError


class ProgressPrinter(StderrProgress):
    """One bar per stage of an explanation; without a terminal, one line when asking starts."""

    def step(self, event: Event) -> None:
        if isinstance(event, StageStarted):
            label = STAGE_LABELS.get(event.stage, event.stage)
            if self.live:
                if self.task is not None:
                    self.progress.remove_task(self.task)
                self.task = self.progress.add_task(label, total=event.total)
            elif event.stage == "generate":
                self.console.print(Text(f"{label}: {event.total} unique prompts"))
        elif isinstance(event, (GenerationReceived, StepDone)) and self.task is not None:
            self.progress.update(self.task, completed=event.done)


class ExperimentProgress(StderrProgress):
    """One bar over the experiment's steps, with ETA; plain lines when stderr is not a terminal."""

    def __init__(self, console: Console, enabled: bool = True) -> None:
        super().__init__(console, enabled)
        self.label = "experiment"
        self.started = time.monotonic()

    def step(self, event: Event) -> None:
        if isinstance(event, StageStarted) and event.stage == "experiment":
            self.started = time.monotonic()
            if self.live:
                self.task = self.progress.add_task(self.label, total=event.total)
            else:
                self.console.print(Text(f"{self.label}: {event.total} steps"))
        elif isinstance(event, StepDone) and event.stage == "experiment":
            if self.live and self.task is not None:
                self.progress.update(self.task, completed=event.done)
            else:
                elapsed = time.monotonic() - self.started
                eta = elapsed / event.done * (event.total - event.done) if event.done else 0.0
                self.console.print(Text(f"{self.label}: {event.done}/{event.total} · {elapsed:.0f} s · eta {eta:.0f} s"))


class StderrNotices(StderrProgress):
    """No bar: warnings and the retry line only (for work whose steps are not worth a bar)."""

    def step(self, event: Event) -> None:
        return None
