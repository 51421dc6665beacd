"""The auditor's main screen: prompt and settings, live log, heatmap, metric tables, checks.

Layout and wiring only: a Run builds a `RunRequest` (a trust check a `CheckRequest`) and gives it
to the app's runner; the runner's messages are routed to the widgets; a finished explanation (or
check) is handed to the app, which keeps it in the session (and auto-saves).
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Footer, Header, Label, Static, TabbedContent, TabPane, TextArea

from gsmile_core.calls.backend_options import origin_of
from gsmile_core.evaluation.checks import REPEAT_STAGE, CallPlan, CheckInputs, config_of
from gsmile_core.config import ExplainConfig
from gsmile_core.errors import ConfigError, GsmileError
from gsmile_core.render_terminal import run_summary
from gsmile_core.sanitize import one_line
from gsmile_core.types import Explanation

from ..messages import (
    AnswerReceived,
    CheckCancelled,
    CheckFailed,
    CheckFinished,
    CheckStarted,
    RunCancelled,
    RunFailed,
    RunFinished,
    RunNotice,
    RunProgress,
    RunStarted,
)
from ..runner import CheckRequest, RunRequest, check_inputs, check_plan, check_prompt, dry_run
from ..widgets.checks import ChecksView
from ..widgets.heatmap import TokenHeatmap
from ..widgets.legend import HeatLegend
from ..widgets.run_log import RunLog
from ..widgets.settings import RunSettings
from ..widgets.tables import FidelityTable, PerturbationTable, TopWordsTable
from ..widgets.word_detail import WordDetail

STAGE_WORDS = {"generate": "answers", "embed": "answers embedded", "pvalues": "p-values", "fit": "fits"}
TABS = ("tab-prompt", "tab-log", "tab-heatmap", "tab-metrics", "tab-perturbations", "tab-checks")


class MainScreen(Screen):
    BINDINGS = [
        Binding("ctrl+r", "run", "Run", priority=True),
        Binding("escape", "cancel", "Cancel"),
        Binding("ctrl+g", "dry_run", "Dry run", priority=True),
        Binding("f2", "tab('tab-prompt')", "Prompt", show=False, priority=True),
        Binding("f3", "tab('tab-log')", "Log", show=False, priority=True),
        Binding("f4", "tab('tab-heatmap')", "Heatmap", show=False, priority=True),
        Binding("f5", "tab('tab-metrics')", "Metrics", show=False, priority=True),
        Binding("f6", "tab('tab-perturbations')", "Perturbations", show=False, priority=True),
        Binding("f12", "tab('tab-checks')", "Checks", show=False, priority=True),
        Binding("left_square_bracket", "show_run(-1)", "Prev run", show=False),
        Binding("right_square_bracket", "show_run(1)", "Next run", show=False),
    ]

    def __init__(self, prompt: str = "", backend: str = "fake", config: ExplainConfig | None = None) -> None:
        super().__init__(id="main")
        self.initial_prompt = prompt
        self.initial_backend = backend
        self.initial_config = config
        self.shown_run: int | None = None  # index into app.session.runs
        self._repeat: tuple[int, int] | None = None  # (explanation, of R) of a running consistency check

    def compose(self) -> ComposeResult:
        yield Header(icon="≋")
        with TabbedContent(initial="tab-prompt", id="tabs"):
            with TabPane("Prompt F2", id="tab-prompt"):
                with Horizontal():
                    with Vertical(id="prompt-side"):
                        yield Label("Prompt", classes="section")
                        yield TextArea(self.initial_prompt, id="prompt", soft_wrap=True, show_line_numbers=False)
                        yield Label("", id="prompt-error", markup=False)
                    yield RunSettings(self.initial_backend, self.initial_config, id="settings")
            with TabPane("Log F3", id="tab-log"):
                yield RunLog(clock=getattr(self.app, "clock", None), id="runlog")
            with TabPane("Heatmap F4", id="tab-heatmap"):
                yield Label("No run yet.", id="run-title", markup=False)
                with Horizontal():
                    with VerticalScroll(id="heat-side"):
                        yield TokenHeatmap(id="heatmap")
                        yield HeatLegend(id="legend")
                        yield WordDetail(id="word-detail")
                    with VerticalScroll(id="answer-side"):
                        yield Label("Original answer", classes="section")
                        yield Static("", id="answer", markup=False)
            with TabPane("Metrics F5", id="tab-metrics"):
                with VerticalScroll():
                    yield Label("Fidelity of the surrogate (paper eqs. 17-22)", classes="section")
                    yield FidelityTable(id="fidelity")
                    yield Label("Top words", classes="section")
                    yield TopWordsTable(id="top-words")
                    yield Static("", id="summary", markup=False)
            with TabPane("Perturbations F6", id="tab-perturbations"):
                yield Label("sorted by original order · s: next column · r: reverse", id="sort-label", markup=False)
                yield PerturbationTable(id="perturbations")
            with TabPane("Checks F12", id="tab-checks"):
                yield ChecksView(id="checks")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(ChecksView).connect(self._plan_check, self._validate_check)
        self.query_one("#prompt", TextArea).focus()
        self.refresh_title()
        if self.app.session.runs:
            self.show_run(len(self.app.session.runs) - 1)

    # -- helpers -------------------------------------------------------------------------------
    @property
    def settings(self) -> RunSettings:
        return self.query_one(RunSettings)

    @property
    def prompt_text(self) -> str:
        return self.query_one("#prompt", TextArea).text

    @property
    def log_widget(self) -> RunLog:
        return self.query_one(RunLog)

    def refresh_title(self) -> None:
        session = self.app.session
        self.title = "gSMILE"
        self.sub_title = f"{session.name} · {len(session.runs)} runs"

    def set_prompt_error(self, message: str) -> None:
        self.query_one("#prompt-error", Label).update(message)

    def request(self, prompts: tuple[str, ...], label: str = "run") -> RunRequest | None:
        """A RunRequest from the form, or None after showing what is wrong."""
        config = self.settings.validate()
        if config is None:
            self.query_one(TabbedContent).active = "tab-prompt"
            self.notify("fix the highlighted settings first", severity="error")
            return None
        backend = self.settings.backend
        options = self.app.backend_options(backend, self.settings.model, config)
        return RunRequest(prompts, backend, config, options, label, self.app.response_cache)

    # -- actions -------------------------------------------------------------------------------
    def action_tab(self, tab: str) -> None:
        self.query_one(TabbedContent).active = tab
        if tab == "tab-checks":
            self.query_one("#field-edited").focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # on the Checks tab ctrl+r runs the focused check (ChecksView's binding), not the prompt
        if action == "run" and self.query_one(TabbedContent).active == "tab-checks":
            return False
        return True

    def action_run(self) -> None:
        if self.app.runner.running:
            self.notify("a run is already in progress (escape cancels it)", severity="warning")
            return
        request = self.request((self.prompt_text,))
        if request is None:
            return
        try:
            check_prompt(self.prompt_text, request.config)  # refuse an empty/huge prompt before any call
        except ConfigError as error:
            self.set_prompt_error(str(error))
            self.notify(str(error), severity="error")
            return
        self.set_prompt_error("")
        self.log_widget.reset(f"run on {request.backend}: {one_line(self.prompt_text, 70)}")
        self.app.runner.start(request, self)
        self.action_tab("tab-log")

    def action_cancel(self) -> None:
        if self.app.runner.cancel():
            self.notify("cancelling the run…")

    def action_dry_run(self) -> None:
        request = self.request((self.prompt_text,), "dry-run")
        if request is None:
            return
        try:
            plan = dry_run(request)
        except GsmileError as error:
            self.set_prompt_error(str(error))
            self.notify(str(error), severity="error")
            return
        self.set_prompt_error("")
        from .dry_run import DryRunScreen

        self.app.push_screen(DryRunScreen(plan, request))

    def action_show_run(self, step: int) -> None:
        runs = self.app.session.runs
        if not runs:
            return
        current = len(runs) - 1 if self.shown_run is None else self.shown_run
        self.show_run(max(0, min(len(runs) - 1, current + step)))

    # -- showing a run -------------------------------------------------------------------------
    def show_run(self, index: int) -> None:
        run = self.app.session.runs[index]
        self.shown_run = index
        title = f"run {run.id} ({index + 1} of {len(self.app.session.runs)}): {one_line(run.label, 80)}"
        self.show_explanation(run.explanation, title)
        self.query_one(ChecksView).show(run, f"Checks of {title}")

    def start_over(self) -> None:
        """Forget the shown run (a new or empty session)."""
        self.shown_run = None
        self.refresh_title()
        self.query_one("#run-title", Label).update("No run yet.")
        self.query_one(TokenHeatmap).show(None)
        self.query_one(HeatLegend).show(None)
        self.query_one("#answer", Static).update("")
        self.query_one(FidelityTable).show(None)
        self.query_one(TopWordsTable).show(None)
        self.query_one(PerturbationTable).show(None)
        self.query_one("#summary", Static).update("")
        self.query_one(ChecksView).show(None)

    def show_explanation(self, explanation: Explanation, title: str) -> None:
        self.query_one("#run-title", Label).update(title + "   [ ] other runs · ← → select a word")
        self.query_one(TokenHeatmap).show(explanation)
        self.query_one(HeatLegend).show(explanation)
        self.query_one("#answer", Static).update(Content(explanation.original_output))
        self.query_one(FidelityTable).show(explanation)
        self.query_one(TopWordsTable).show(explanation)
        self.query_one(PerturbationTable).show(explanation)
        self.query_one("#summary", Static).update(run_summary(explanation))

    @property
    def shown_run_id(self) -> str | None:
        if self.shown_run is None or not self.app.session.runs:
            return None
        return self.app.session.runs[self.shown_run].id

    @property
    def shown_explanation(self) -> Explanation | None:
        if self.shown_run is None or not self.app.session.runs:
            return None
        return self.app.session.runs[self.shown_run].explanation

    @on(TokenHeatmap.WordSelected)
    def _word_selected(self, event: TokenHeatmap.WordSelected) -> None:
        if event.heatmap.explanation is not None:
            self.query_one(WordDetail).show(event.heatmap.explanation, event.support)

    @on(PerturbationTable.HeaderSelected)
    def _sorted(self) -> None:
        self.call_after_refresh(self._update_sort_label)

    def on_key(self, event) -> None:
        if event.key in ("s", "r") and isinstance(self.focused, PerturbationTable):
            self.call_after_refresh(self._update_sort_label)

    def _update_sort_label(self) -> None:
        table = self.query_one(PerturbationTable)
        self.query_one("#sort-label", Label).update(
            f"sorted by {table.sort_label} · s: next column · r: reverse"
        )

    # -- trust checks --------------------------------------------------------------------------
    def check_request(self, kind: str, run_id: str, inputs: CheckInputs) -> CheckRequest:
        """A check of run `run_id` on the backend and model that made it (KeyError: no such run)."""
        explanation = self.app.session.run(run_id).explanation
        backend = explanation.provenance.backend
        # the model asked for (recorded with the run), not the dated name the provider answered with
        options = self.app.backend_options(backend, origin_of(explanation).model, config_of(explanation))
        return CheckRequest(kind, run_id, explanation, inputs, backend, options, self.app.response_cache)

    def _plan_check(self, kind: str, run_id: str, inputs: CheckInputs) -> CallPlan:
        return check_plan(self.check_request(kind, run_id, inputs))

    def _validate_check(self, kind: str, run_id: str, inputs: CheckInputs) -> None:
        check_inputs(kind, self.app.session.run(run_id).explanation, inputs)

    @on(ChecksView.RunRequested)
    def _run_check(self, event: ChecksView.RunRequested) -> None:
        event.stop()
        section = self.query_one(ChecksView).section(event.kind)
        if self.app.runner.running:
            section.status("a run or check is already in progress (escape cancels it)")
            self.notify("a run is already in progress (escape cancels it)", severity="warning")
            return
        try:
            request = self.check_request(event.kind, event.run_id, event.inputs)
        except (GsmileError, KeyError) as error:
            section.show_error(one_line(str(error)))
            return
        self.log_widget.reset(f"{event.kind} check of run {event.run_id} on {request.backend}")
        self._repeat = None
        section.status(f"starting the {event.kind} check… (escape cancels)")
        self.app.runner.start_check(request, self)

    def on_check_started(self, message: CheckStarted) -> None:
        self.log_widget.write(f"{message.kind} check of run {message.run_id} on {message.backend}…", "bold")
        self.query_one(ChecksView).section(message.kind).status(f"running on {message.backend}… (escape cancels)")

    def on_check_finished(self, message: CheckFinished) -> None:
        kind = message.check.kind
        self.log_widget.stopped(f"{kind} check finished: {message.check.cost.model_calls} model calls, "
                                f"{message.check.cost.cache_hits} cache hits", "bold green")
        try:
            self.app.record_check(message.run_id, message.check)
        except KeyError:  # the run left the session meanwhile: say so rather than attach it elsewhere
            self.notify(f"run {message.run_id} is no longer in the session; the {kind} check was not kept",
                        severity="error", timeout=10)
            return
        if message.run_id == self.shown_run_id:
            section = self.query_one(ChecksView).section(kind)
            section.show_result(message.check)
            section.refresh_plan()  # its answers are cached now
            section.status("done · saved in the session")
        self.notify(f"{kind} check of run {message.run_id} done")

    def on_check_failed(self, message: CheckFailed) -> None:
        self.log_widget.stopped(f"error: {message.message}")
        self.query_one(ChecksView).section(message.kind).status(f"error: {message.message}")
        self.notify(message.message, severity="error", timeout=8)

    def on_check_cancelled(self, message: CheckCancelled) -> None:
        text = (f"cancelled after {message.answers} answers; nothing was added to the session "
                "(the answers stay in the response cache)")
        self.log_widget.stopped(text, "bold yellow")
        self.query_one(ChecksView).section(message.kind).status(text)
        self.notify("check cancelled")

    # -- runner messages -----------------------------------------------------------------------
    def on_run_started(self, message: RunStarted) -> None:
        self.log_widget.write(f"explaining on {message.backend}…", "bold")

    def on_run_progress(self, message: RunProgress) -> None:
        self.log_widget.progress(message.stage, message.done, message.total)
        check = self.app.runner.check
        if check is not None and self.app.runner.running:
            kind, run_id = check.kind, check.run_id
            if message.stage == REPEAT_STAGE:  # a consistency check: which of its R explanations
                self._repeat = (min(message.done + 1, message.total), message.total)
                return
            if run_id == self.shown_run_id:  # the progress of a check of the run on screen
                what = STAGE_WORDS.get(message.stage, message.stage)
                prefix = f"run {self._repeat[0]} of {self._repeat[1]} · " if self._repeat else ""
                self.query_one(ChecksView).section(kind).status(
                    f"{prefix}{message.done}/{message.total} {what}… (escape cancels)"
                )

    def on_answer_received(self, message: AnswerReceived) -> None:
        self.log_widget.answer(
            message.done, message.total, message.prompt, message.output, message.cached, message.spent_usd
        )

    def on_run_notice(self, message: RunNotice) -> None:
        self.log_widget.notice(message.message, message.level, message.is_retry)

    def on_run_finished(self, message: RunFinished) -> None:
        self.log_widget.finished(message.explanation)
        self.app.record_run(message.explanation)
        self.refresh_title()
        self.show_run(len(self.app.session.runs) - 1)
        self.action_tab("tab-heatmap")
        self.query_one(TokenHeatmap).focus()

    def on_run_failed(self, message: RunFailed) -> None:
        self.log_widget.stopped(f"error: {message.message}")
        self.notify(message.message, severity="error", timeout=8)

    def on_run_cancelled(self, message: RunCancelled) -> None:
        self.log_widget.stopped(
            f"cancelled after {message.answers} answers; nothing was added to the session", "bold yellow"
        )
        self.notify("run cancelled")
