"""The live perturbation log: progress bar with ETA, counters, one line per answer, notices.

Fed by the runner's messages through `RunLog`'s methods. Lines are `rich.text.Text` written to a
RichLog with markup off, so an answer can never act as markup; every line is kept (no dropping).
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Label, ProgressBar, RichLog

from gsmile_core.events import STAGE_LABELS
from gsmile_core.sanitize import one_line
from gsmile_core.types import Explanation

class RunLog(Vertical):
    DEFAULT_CSS = """
    RunLog { height: 1fr; }
    RunLog #stage-line { height: 1; width: 1fr; }
    RunLog #stage { width: 24; }
    RunLog #counters { height: 1; color: $text-muted; }
    RunLog RichLog { height: 1fr; border: round $panel; }
    """

    def __init__(self, clock=None, **kwargs) -> None:
        super().__init__(**kwargs)
        self._clock = clock
        self.calls = 0
        self.cache_hits = 0
        self.retries = 0
        self.warnings = 0
        self.spent_usd: float | None = None  # None until a priced answer arrives
        self.lines: list[str] = []  # plain text of every line written (tests, export of the log)

    def compose(self) -> ComposeResult:
        from textual.containers import Horizontal

        with Horizontal(id="stage-line"):
            yield Label("idle", id="stage", markup=False)
            yield ProgressBar(total=1, id="progress", show_eta=True, clock=self._clock)
        yield Label("", id="counters", markup=False)
        yield RichLog(id="log", markup=False, wrap=True, highlight=False, auto_scroll=True)

    def on_mount(self) -> None:
        self._update_counters()

    # -- fed by the screen from runner messages --------------------------------------------
    def reset(self, heading: str) -> None:
        self.calls = self.cache_hits = self.retries = self.warnings = 0
        self.spent_usd = None
        self.query_one(ProgressBar).update(total=None, progress=0)
        self.query_one("#stage", Label).update("starting")
        self._update_counters()
        self.write(heading, "bold")

    def progress(self, stage: str, done: int, total: int) -> None:
        self.query_one("#stage", Label).update(STAGE_LABELS.get(stage, stage))
        self.query_one(ProgressBar).update(total=max(total, 1), progress=done)

    def answer(
        self, done: int, total: int, prompt: str, output: str, cached: bool, spent_usd: float | None = None
    ) -> None:
        if spent_usd is not None:
            self.spent_usd = spent_usd
        if cached:
            self.cache_hits += 1
        else:
            self.calls += 1
        self._update_counters()
        source = "cache" if cached else "model"
        self.write(f"{done:>3}/{total} [{source}] {one_line(prompt, 60)} → {one_line(output, 80)}")

    def notice(self, message: str, level: str, is_retry: bool) -> None:
        if is_retry:
            self.retries += 1
        if level in ("warning", "error"):
            self.warnings += 1
        self._update_counters()
        self.write(f"{level}: {one_line(message)}", "yellow" if level == "warning" else ("red" if level == "error" else "cyan"))

    def finished(self, explanation: Explanation) -> None:
        self.query_one("#stage", Label).update("done")
        for j, p in enumerate(explanation.perturbations):
            mask = "".join(map(str, p.mask))
            prompt_distance = "" if p.input_distance is None else f"  δ {p.input_distance:.3f}"
            self.write(f"Δ {p.output_distance:.3f}{prompt_distance}  {mask}  {one_line(p.prompt, 60)}", "dim")
        self.write(
            f"finished: {len(explanation.perturbations)} perturbations, "
            f"{explanation.unique_prompts} unique prompts, {explanation.model_calls} model calls, "
            f"{explanation.cache_hits} cache hits",
            "bold green",
        )

    def stopped(self, text: str, style: str = "bold red") -> None:
        self.query_one("#stage", Label).update("stopped")
        self.write(text, style)

    def write(self, text: str, style: str = "") -> None:
        self.lines.append(text)
        self.query_one(RichLog).write(Text(text, style=style))

    def _update_counters(self) -> None:
        self.query_one("#counters", Label).update(
            f"calls {self.calls} · cache hits {self.cache_hits} · retries {self.retries} · warnings {self.warnings}"
            + ("" if self.spent_usd is None else f" · cost so far ${self.spent_usd:.4f}")
        )
