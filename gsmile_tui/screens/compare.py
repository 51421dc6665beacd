"""Compare 2-3 prompts side by side: heatmaps, per-word score deltas, top-k Jaccard.

The fairness check of the paper (neutral / from men's perspective / from women's perspective)
is one key press (ctrl+f) from `gsmile_core.evaluation.compare.fairness_variants`. The alignment, deltas
and Jaccard are `gsmile_core.evaluation.compare.compare`; the runs go through the app's runner and are kept
in the session as one compare group.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Input, Label, ProgressBar, Static

from gsmile_core.evaluation.compare import DEFAULT_TOP_K, Comparison, compare, fairness_variants
from gsmile_core.errors import ConfigError
from gsmile_core.sanitize import one_line
from gsmile_core.types import Explanation

from ..messages import (
    AnswerReceived,
    BatchFinished,
    RunCancelled,
    RunFailed,
    RunFinished,
    RunNotice,
    RunProgress,
    RunStarted,
)
from ..runner import check_prompt
from ..widgets.heatmap import TokenHeatmap

SLOTS = 3


def score(value: float | None) -> str:
    return "—" if value is None else f"{value:+.3f}"


class CompareScreen(Screen):
    BINDINGS = [
        Binding("ctrl+r", "run", "Run compare", priority=True),
        Binding("ctrl+f", "fairness", "Fairness template", priority=True),
        Binding("escape", "back_or_cancel", "Back / cancel"),
    ]

    def __init__(self) -> None:
        super().__init__(id="compare")
        self.labels = [f"prompt {i + 1}" for i in range(SLOTS)]
        self.explanations: list[Explanation] = []
        self.comparison: Comparison | None = None

    def compose(self) -> ComposeResult:
        yield Header(icon="≋")
        with Vertical(id="compare-inputs"):
            yield Label("Prompts to compare (the first is the baseline) · ctrl+f: neutral / men's / women's template", classes="section")
            for i in range(SLOTS):
                yield Input(placeholder=f"prompt {i + 1}" + (" (optional)" if i == 2 else ""), id=f"cmp-{i}", compact=True)
        with Horizontal(id="compare-status-line"):
            yield Label("idle", id="compare-status", markup=False)
            yield ProgressBar(total=1, id="compare-progress", show_eta=True, clock=getattr(self.app, "clock", None))
        with VerticalScroll(id="compare-results"):
            with Horizontal(id="compare-maps"):
                for i in range(SLOTS):
                    with Vertical(classes="compare-column", id=f"col-{i}"):
                        yield Label(self.labels[i], id=f"col-label-{i}", classes="section", markup=False)
                        yield TokenHeatmap(id=f"cmp-map-{i}")
                        yield Static("", id=f"cmp-answer-{i}", markup=False, classes="compare-answer")
            yield Label("", id="jaccard", markup=False)
            yield DataTable(id="deltas", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        self.title, self.sub_title = "gSMILE", "compare"
        main_prompt = self.app.main_screen.prompt_text.strip()
        if main_prompt:
            self.query_one("#cmp-0", Input).value = one_line(main_prompt)
        if self.app.session.groups:
            group = self.app.session.groups[-1]
            runs = self.app.session.group_runs(group)
            self.labels[: len(runs)] = [r.label for r in runs]
            for i, run in enumerate(runs):
                self.query_one(f"#cmp-{i}", Input).value = one_line(run.explanation.prompt)
            self.show_results([r.explanation for r in runs], group.top_k)
        self.query_one("#cmp-0", Input).focus()

    # -- actions -------------------------------------------------------------------------------
    def action_fairness(self) -> None:
        base = self.query_one("#cmp-0", Input).value.strip() or self.app.main_screen.prompt_text.strip()
        if not base:
            self.notify("type the neutral prompt first", severity="warning")
            return
        for i, (label, prompt) in enumerate(fairness_variants(one_line(base))[:SLOTS]):
            self.labels[i] = label
            self.query_one(f"#cmp-{i}", Input).value = prompt
            self.query_one(f"#col-label-{i}", Label).update(label)

    def prompts(self) -> list[tuple[str, str]]:
        """(label, prompt) of the filled slots."""
        result = []
        for i in range(SLOTS):
            text = self.query_one(f"#cmp-{i}", Input).value.strip()
            if text:
                result.append((self.labels[i], text))
        return result

    def action_run(self) -> None:
        if self.app.runner.running:
            self.notify("a run is already in progress (escape cancels it)", severity="warning")
            return
        filled = self.prompts()
        if len(filled) < 2:
            self.notify("fill at least two prompts (or press ctrl+f)", severity="error")
            return
        request = self.app.main_screen.request(tuple(p for _, p in filled), "compare")
        if request is None:
            self.notify("the run settings on the main screen need fixing", severity="error")
            return
        try:
            for _, prompt in filled:
                check_prompt(prompt, request.config)
        except ConfigError as error:
            self.notify(str(error), severity="error")
            return
        self.run_labels = [label for label, _ in filled]
        self.explanations = []
        self.status(f"explaining {len(filled)} prompts on {request.backend}…")
        self.app.runner.start(request, self)

    def action_back_or_cancel(self) -> None:
        if self.app.runner.cancel():
            self.notify("cancelling the comparison…")
        else:
            self.app.pop_screen()

    # -- results -------------------------------------------------------------------------------
    def status(self, text: str) -> None:
        self.query_one("#compare-status", Label).update(text)

    def show_results(self, explanations: list[Explanation], top_k: int = DEFAULT_TOP_K) -> None:
        labels = self.labels[: len(explanations)]
        for i in range(SLOTS):
            column = self.query_one(f"#col-{i}")
            column.display = i < len(explanations)
            if i < len(explanations):
                self.query_one(f"#col-label-{i}", Label).update(labels[i])
                self.query_one(f"#cmp-map-{i}", TokenHeatmap).show(explanations[i])
                self.query_one(f"#cmp-answer-{i}", Static).update(Content(explanations[i].original_output))
        self.comparison = compare(explanations, labels, top_k=top_k)
        c = self.comparison
        self.query_one("#jaccard", Label).update(
            f"top-{c.top_k} Jaccard vs {c.labels[0]}: "
            + ", ".join(f"{label} {value:.2f}" for label, value in zip(c.labels[1:], c.jaccard_to_baseline()))
        )
        table = self.query_one(DataTable)
        table.clear(columns=True)
        columns = ["word"] + [c.labels[0]]
        for label in c.labels[1:]:
            columns += [one_line(label, 20), "Δ"]
        table.add_columns(*columns)
        for row in c.rows:
            cells = [Text(one_line(row.word, 20)), Text(score(row.scores[0]), justify="right")]
            for i in range(1, len(c.labels)):
                cells += [Text(score(row.scores[i]), justify="right"), Text(score(row.deltas[i]), justify="right")]
            table.add_row(*cells)

    # -- runner messages -----------------------------------------------------------------------
    def on_run_started(self, message: RunStarted) -> None:
        self.status(f"prompt {message.index + 1} of {message.total}: asking the model")

    def on_run_progress(self, message: RunProgress) -> None:
        self.query_one("#compare-progress", ProgressBar).update(total=max(message.total, 1), progress=message.done)

    def on_answer_received(self, message: AnswerReceived) -> None:
        pass  # the progress bar shows it; the full log is on the main screen's runs

    def on_run_notice(self, message: RunNotice) -> None:
        self.notify(one_line(message.message, 200), severity="warning" if message.level != "info" else "information")

    def on_run_finished(self, message: RunFinished) -> None:
        self.explanations.append(message.explanation)
        self.status(f"{len(self.explanations)} of {message.total} explained")

    def on_batch_finished(self, message: BatchFinished) -> None:
        explanations = list(message.explanations)
        self.labels[: len(explanations)] = self.run_labels
        self.app.record_compare(explanations, self.run_labels)
        self.app.main_screen.refresh_title()
        self.show_results(explanations)
        self.status(f"done: {len(explanations)} prompts compared and kept in the session")
        self.query_one("#cmp-map-0", TokenHeatmap).focus()

    def _keep_partial(self) -> None:
        for explanation in self.explanations:
            self.app.record_run(explanation)
        self.app.main_screen.refresh_title()

    def on_run_failed(self, message: RunFailed) -> None:
        self._keep_partial()
        self.status(f"error: {message.message}")
        self.notify(message.message, severity="error", timeout=8)

    def on_run_cancelled(self, message: RunCancelled) -> None:
        self._keep_partial()
        self.status(f"cancelled; {len(self.explanations)} finished explanations kept as single runs")
