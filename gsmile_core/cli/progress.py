"""Progress of a run on stderr: a rich progress bar with ETA on a terminal, plain lines otherwise.

It consumes the core's event stream; answers are not echoed (they can be long), warnings are.
One bar serves every command: `ProgressPrinter` follows an explanation's stages (`gsmile explain`),
`ExperimentProgress` one bar over an experiment's steps (`gsmile experiment`, `gsmile metric`).
"""

from __future__ import annotations

import time
from typing import Self

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.text import Text

from ..events import STAGE_LABELS, Event, GenerationReceived, Notice, StageStarted, StepDone

class StderrProgress:
    """The bar with ETA (live on a terminal only) and notices in yellow; subclasses read the steps."""

    def __init__(self, console: Console, enabled: bool = True) -> None:
        self.console = console
        self.enabled = enabled
        self.live = enabled and console.is_terminal
        self.progress = Progress(
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

    def handle(self, event: Event) -> None:
        if not self.enabled:
            return
        if isinstance(event, Notice):
            self.console.print(Text(f"{event.level}: {event.message}", style="yellow"))
        else:
            self.step(event)

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
