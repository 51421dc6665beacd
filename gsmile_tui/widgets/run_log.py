"""The live perturbation log: progress bar with ETA, counters, one line per answer, notices.

Fed by the runner's messages through `RunLog`'s methods. Lines are `rich.text.Text` written to a
RichLog with markup off, so an answer can never act as markup; every line is kept (no dropping).

While answers arrive the bar counts model calls only: an answer from the cache is instant, so
counting it as done would make the ETA promise model calls at cache speed. A stopped run (done,
cancelled, failed) shows no ETA and takes no more progress.
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
    RunLog #stage { width: auto; max-width: 40; margin-right: 1; }
    RunLog #counters { height: 1; color: $text-muted; }
    RunLog RichLog { height: 1fr; }
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
        self.stopped_at: str | None = "idle"  # why no progress is taken (None while running)

    def compose(self) -> ComposeResult:
        from textual.containers import Horizontal

        with Horizontal(id="stage-line"):
            yield Label("idle", id="stage", markup=False)
            yield ProgressBar(total=1, id="progress", show_eta=True, clock=self._clock)
        yield Label("", id="counters", markup=False)
        log = RichLog(id="log", markup=False, wrap=True, highlight=False, auto_scroll=True, classes="pane")
        log.border_title = "Log"
        yield log

    def on_mount(self) -> None:
        self._update_counters()
        self._show_eta(False)

    # -- fed by the screen from runner messages --------------------------------------------
    def reset(self, heading: str) -> None:
        """A new run or check starts: counters to zero, the bar waiting (it plans first)."""
        self.calls = self.cache_hits = self.retries = self.warnings = 0
        self.spent_usd = None
        self.stopped_at = None
        self.query_one(ProgressBar).update(total=None, progress=0)
        self.query_one("#stage", Label).update("planning")
        self._show_eta(True)
        self._update_counters()
        self.write(heading, "bold")

    def clear(self, heading: str) -> None:
        """Forget every line (another session is on screen) and show `heading`."""
        self.lines.clear()
        self.query_one(RichLog).clear()
        self.calls = self.cache_hits = self.retries = self.warnings = 0
        self.spent_usd = None
        self._stop("idle")
        self.query_one(ProgressBar).update(total=1, progress=0)
        self._update_counters()
        self.write(heading, "bold")

    def progress(self, stage: str, done: int, total: int) -> None:
        if self.stopped_at is not None:
            return  # a late progress message of a run that has stopped
        label = STAGE_LABELS.get(stage, stage)
        if stage == "generate":  # model calls only: the cache hits among the first `done` answers are left out
            done, total = done - self.cache_hits, total - self.cache_hits
            if self.cache_hits:
                label = f"{label} ({self.cache_hits} cached)"
        self.query_one("#stage", Label).update(label)
        self.query_one(ProgressBar).update(total=max(total, 1), progress=max(done, 0))

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
        self._stop("done")
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
        self._stop("stopped")
        self.write(text, style)

    def _stop(self, why: str) -> None:
        self.stopped_at = why
        self.query_one("#stage", Label).update(why)
        self._show_eta(False)

    def _show_eta(self, shown: bool) -> None:
        # the bar's own ETA part ("#eta", as Textual's docs name it): a stopped run has no ETA
        self.query_one(ProgressBar).query_one("#eta").display = shown

    def write(self, text: str, style: str = "") -> None:
        self.lines.append(text)
        self.query_one(RichLog).write(Text(text, style=style))

    def _update_counters(self) -> None:
        self.query_one("#counters", Label).update(
            f"calls {self.calls} · cache hits {self.cache_hits} · retries {self.retries} · warnings {self.warnings}"
            + ("" if self.spent_usd is None else f" · cost so far ${self.spent_usd:.4f}")
        )
