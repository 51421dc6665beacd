"""An audit's progress on stderr: prompts done / failed of the set, model calls, cache hits, cost
so far and ETA. On a terminal one live bar; otherwise a line every `EVERY_S` seconds (and at the
end), so a log file stays short however many prompts there are. Notices (warnings, retries) go
through the same retry-aware printer as `gsmile explain`'s."""

from __future__ import annotations

import time
from typing import Self

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.text import Text

from ..batch.runner import AuditProgress
from ..events import Event
from .progress import StderrNotices

EVERY_S = 10.0


def progress_line(state: AuditProgress) -> str:
    cost = "" if state.cost_usd is None else f" · ${state.cost_usd:.4f}"
    eta = "" if state.eta_s is None else f" · eta {state.eta_s:.0f} s"
    finished = state.earlier + state.done + state.failed
    earlier = f" ({state.earlier} earlier)" if state.earlier else ""
    return (f"{finished}/{state.total} prompts{earlier} · {state.failed} failed · {state.calls} calls · "
            f"{state.cache_hits} cache hits{cost} · {state.elapsed_s:.0f} s{eta}")


class AuditProgressPrinter:
    def __init__(self, console: Console, total: int, enabled: bool = True) -> None:
        self.console = console
        self.enabled = enabled
        self.live = enabled and console.is_terminal
        self.notices = StderrNotices(console, enabled)
        self.progress = Progress(
            TextColumn("audit"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[line]}"),
            TimeElapsedColumn(), console=console, transient=True, disable=not self.live,
        )
        self.task = self.progress.add_task("audit", total=total, line="")
        self.last_print = 0.0
        self.state: AuditProgress | None = None

    def __enter__(self) -> Self:
        self.progress.__enter__()
        self.notices.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        self.progress.__exit__(*exc)
        self.notices.__exit__(*exc)
        if self.enabled and self.state is not None:
            self.console.print(Text(progress_line(self.state)))

    def notice(self, event: Event) -> None:
        self.notices.handle(event)

    def update(self, state: AuditProgress) -> None:
        self.state = state
        if not self.enabled:
            return
        finished = state.earlier + state.done + state.failed
        if self.live:
            self.progress.update(self.task, completed=finished, line=progress_line(state).split(" · ", 1)[1])
        elif time.monotonic() - self.last_print >= EVERY_S:
            self.last_print = time.monotonic()
            self.console.print(Text(progress_line(state)))
