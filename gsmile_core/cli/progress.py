"""Progress of a run on stderr: a rich progress bar with ETA on a terminal, plain lines otherwise.

It consumes the core's event stream; answers are not echoed (they can be long), warnings are.
"""

from __future__ import annotations

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.text import Text

from ..events import Event, GenerationReceived, Notice, StageStarted, StepDone

STAGE_LABELS = {
    "generate": "asking the model",
    "embed": "embedding answers",
    "pvalues": "permutation p-values",
    "fit": "fitting the surrogate",
}


class ProgressPrinter:
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

    def __enter__(self) -> ProgressPrinter:
        self.progress.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        self.progress.__exit__(*exc)

    def handle(self, event: Event) -> None:
        if not self.enabled:
            return
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
        elif isinstance(event, Notice):
            self.console.print(Text(f"{event.level}: {event.message}", style="yellow"))
