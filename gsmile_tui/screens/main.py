"""The auditor's main screen: prompt and settings, live log, heatmap, metric tables, checks.

Layout and wiring only: a Run builds a `RunRequest` (a trust check a `CheckRequest`) and gives it
to the app's runner; the runner's messages are routed to the widgets; a finished explanation (or
check) is handed to the app, which keeps it in the session (and auto-saves).

Focus follows the pane: a tab's key (F2-F6, F12) shows the tab and focuses its main widget, or
the widget last focused in it, so typing, arrows and the pane's keys work at once; the pane that
holds the focus has a highlighted border (app.tcss).
"""

from __future__ import annotations

from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Header, Label, Static, TabbedContent, TabPane, TextArea
from textual.worker import Worker, WorkerState

from gsmile_core.calls.backend_options import origin_of
from gsmile_core.evaluation.checks import REPEAT_STAGE, CallPlan, CheckInputs, config_of
from gsmile_core.config import ExplainConfig
from gsmile_core.calls.dryrun import static_identity
from gsmile_core.drill_down import drilled
from gsmile_core.method.units import AUTO_WORDS
from gsmile_core.errors import ConfigError, GsmileError
from gsmile_core.reports.terminal import run_summary
from gsmile_core.sanitize import one_line
from gsmile_core.types import Explanation

from ..messages import (
    AnswerReceived,
    CheckCancelled,
    CheckFailed,
    CheckFinished,
    CheckStarted,
    DrillFinished,
    RunCancelled,
    RunFailed,
    RunFinished,
    RunNotice,
    RunProgress,
    RunStarted,
)
from ..runner import CheckRequest, DrillRequest, RunRequest, check_inputs, check_plan, check_prompt, dry_run
from ..widgets.answer import AnswerView, explained_span
from ..widgets.checks import ChecksView
from ..widgets.footer import FittingFooter
from ..widgets.heatmap import TokenHeatmap
from ..widgets.legend import HeatLegend
from ..widgets.run_log import RunLog
from ..widgets.settings import BackendChoice, RunSettings
from ..widgets.tables import FidelityTable, InteractionsTable, PerturbationTable, TopWordsTable
from ..widgets.word_detail import WordDetail, unit_status

STAGE_WORDS = {"generate": "answers", "embed": "answers embedded", "pvalues": "p-values", "fit": "fits"}
TABS = ("tab-prompt", "tab-log", "tab-heatmap", "tab-metrics", "tab-perturbations", "tab-checks")
# The widget a tab's key focuses the first time (later: the one last focused in that tab).
PANE_FOCUS = {
    "tab-prompt": "#prompt",
    "tab-log": "#log",
    "tab-heatmap": "#heatmap",
    "tab-metrics": "#top-words",
    "tab-perturbations": "#perturbations",
    "tab-checks": "#field-edited",
}
LONG_PROMPT_UNITS = AUTO_WORDS  # more units than this: the selected one is also shown at the heatmap's foot
SORT_HINT = "s: next column · r: reverse · or select a header"


class MainScreen(Screen):
    BINDINGS = [
        Binding("ctrl+r", "run", "Run", priority=True),
        Binding("escape", "cancel", "Cancel"),  # shown and active only while something runs
        Binding("ctrl+g", "dry_run", "Dry run", priority=True),
        Binding("ctrl+l", "open_prompt", "Open prompt file", show=False, priority=True),
        Binding("f2", "tab('tab-prompt')", "Prompt", show=False, priority=True),
        Binding("f3", "tab('tab-log')", "Log", show=False, priority=True),
        Binding("f4", "tab('tab-heatmap')", "Heatmap", show=False, priority=True),
        Binding("f5", "tab('tab-metrics')", "Metrics", show=False, priority=True),
        Binding("f6", "tab('tab-perturbations')", "Perturbations", show=False, priority=True),
        Binding("f12", "tab('tab-checks')", "Checks", show=False, priority=True),
        Binding("left_square_bracket", "show_run(-1)", "Prev run", show=False),
        Binding("right_square_bracket", "show_run(1)", "Next run", show=False),
    ]

    def __init__(
        self, prompt: str = "", choice: BackendChoice | None = None, config: ExplainConfig | None = None
    ) -> None:
        super().__init__(id="main")
        self.initial_prompt = prompt
        self.initial_choice = choice or BackendChoice("fake")
        self.initial_config = config
        self.shown_run: int | None = None  # index into app.session.runs
        self._repeat: tuple[int, int] | None = None  # (explanation, of R) of a running consistency check
        self._last_focus: dict[str, Widget] = {}  # tab id -> the widget last focused in it
        self.planning: Worker | None = None  # a dry run being planned (a thread; escape cancels)
        self.prompt_path = ""  # the prompt file last typed (the dialog starts with it)
        # Words of expanded units: (run id, unit index) -> the word-level explanation (this app
        # session; expanding again asks the response cache, not the model).
        self.unit_words: dict[tuple[str, int], Explanation] = {}

    def compose(self) -> ComposeResult:
        yield Header(icon="≋")
        with TabbedContent(initial="tab-prompt", id="tabs"):
            with TabPane("Prompt F2", id="tab-prompt"):
                with Horizontal():
                    with Vertical(id="prompt-side", classes="pane") as side:
                        side.border_title = "Prompt"
                        yield TextArea(self.initial_prompt, id="prompt", soft_wrap=True, show_line_numbers=False)
                        yield Label("", id="prompt-error", markup=False)
                    settings = RunSettings(self.initial_choice, self.initial_config, id="settings", classes="pane")
                    settings.border_title = "Settings"
                    yield settings
            with TabPane("Log F3", id="tab-log"):
                yield RunLog(clock=getattr(self.app, "clock", None), id="runlog")
            with TabPane("Heatmap F4", id="tab-heatmap"):
                yield Label("No run yet.", id="run-title", markup=False)
                with Horizontal():
                    with VerticalScroll(id="heat-side", classes="pane") as heat:
                        heat.border_title = "Heatmap · ← → select a word"
                        yield TokenHeatmap(id="heatmap")
                        # docked at the pane's foot, in view however far the prompt is scrolled:
                        # the selected unit in one line, and the words of an expanded unit
                        with Vertical(id="heat-foot"):
                            yield Label("", id="unit-status", markup=False)
                            with VerticalScroll(id="drill"):
                                yield Label("", id="drill-title", markup=False)
                                yield TokenHeatmap(id="drill-heatmap")
                        yield HeatLegend(id="legend")
                        yield WordDetail(id="word-detail")
                    with VerticalScroll(id="answer-side", classes="pane") as answer:
                        answer.border_title = "Original answer"
                        yield AnswerView(id="answer")
            with TabPane("Metrics F5", id="tab-metrics"):
                with VerticalScroll(id="metrics", classes="pane") as metrics:
                    metrics.border_title = "Metrics"
                    yield Label("Fidelity of the surrogate (paper eqs. 17-22)", classes="section")
                    yield FidelityTable(id="fidelity")
                    yield Label("Top words", classes="section")
                    yield TopWordsTable(id="top-words")
                    yield Label("Interactions: pairs of top units acting together (Holm-adjusted p)", classes="section")
                    yield InteractionsTable(id="interactions")
                    yield Static("", id="summary", markup=False)
            with TabPane("Perturbations F6", id="tab-perturbations"):
                table = PerturbationTable(id="perturbations", classes="pane")
                table.border_title = f"Perturbations · sorted by original order · {SORT_HINT}"
                yield table
            with TabPane("Checks F12", id="tab-checks"):
                checks = ChecksView(id="checks", classes="pane")
                checks.border_title = "Trust checks"
                yield checks
        yield FittingFooter()

    def on_mount(self) -> None:
        self.collapse()
        self.query_one("#unit-status").display = False
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
        """A RunRequest from the form, or None after showing what is wrong (the first wrong
        field focused). Valid settings are kept for the next launch."""
        settings = self.settings
        config = settings.validate()
        if config is None:
            self.action_tab("tab-prompt")
            wrong = settings.first_invalid()
            if wrong is not None:
                self.set_focus(wrong)
            self.notify("fix the highlighted settings first", severity="error")
            return None
        backend = settings.backend
        options = self.app.backend_options(backend, settings.model, config, settings.base_url)
        self.app.remember_settings(settings.choice, config)
        return RunRequest(prompts, backend, config, options, label, self.app.response_cache, settings.drill_down)

    # -- tabs and focus --------------------------------------------------------------------------
    def action_tab(self, tab: str) -> None:
        """Show `tab` and move the focus into it, at once: focusing first and then letting the
        old pane hide (as before) made Textual refocus a field of the old pane, which switched
        the tab back."""
        self.query_one(TabbedContent).active = tab
        remembered = self._last_focus.get(tab)
        target = remembered if remembered is not None and remembered.is_attached and remembered.focusable else None
        self.set_focus(target or self.query_one(PANE_FOCUS[tab]))

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        pane = next((a for a in event.widget.ancestors if isinstance(a, TabPane)), None)
        if pane is not None and pane.id in PANE_FOCUS:
            self._last_focus[pane.id] = event.widget

    @property
    def busy(self) -> bool:
        """A run, a check or a dry-run plan is under way (escape cancels it)."""
        return self.app.runner.running or (self.planning is not None and self.planning.is_running)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # on the Checks tab ctrl+r runs the focused check (ChecksView's binding), not the prompt
        if action == "run" and self.query_one(TabbedContent).active == "tab-checks":
            return False
        if action == "cancel":
            return self.busy  # escape means cancel only while something runs
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
        if self.planning is not None and self.planning.is_running:
            self.planning.cancel()
            self.set_prompt_error("dry run cancelled")
            self.refresh_bindings()
        elif self.app.runner.cancel():
            self.notify("cancelling the run…")

    def action_dry_run(self) -> None:
        """Plan the dry run in a thread (a large plan takes seconds; the keys keep working and
        escape cancels), then show it."""
        if self.busy:
            self.notify("a run or a dry run is in progress (escape cancels it)", severity="warning")
            return
        request = self.request((self.prompt_text,), "dry-run")
        if request is None:
            return
        self.set_prompt_error(f"planning {request.config.perturbations:,} perturbations… (escape cancels)")
        self.planning = self.run_worker(
            lambda: dry_run(request), name="dry-run", group="dry-run", thread=True, exit_on_error=False
        )
        self.refresh_bindings()

    @on(Worker.StateChanged)
    def _planned(self, event: Worker.StateChanged) -> None:
        if event.worker is not self.planning or not event.worker.is_finished:
            return
        self.planning = None
        self.refresh_bindings()
        if event.state == WorkerState.SUCCESS:
            self.set_prompt_error("")
            from .dry_run import DryRunScreen

            self.app.push_screen(DryRunScreen(event.worker.result))
        elif event.state == WorkerState.ERROR:
            error = event.worker.error
            message = str(error) if isinstance(error, GsmileError) else f"unexpected {type(error).__name__}: {error}"
            self.set_prompt_error(one_line(message))
            self.notify(one_line(message), severity="error")

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

    def session_opened(self) -> None:
        """A session was opened: its last run on screen, with the prompt, backend and settings
        that made it in the form, and a fresh log (the old one was another session's)."""
        session = self.app.session
        if not session.runs:
            self.start_over()
            return
        self.refresh_title()
        self.log_widget.clear(f"session {one_line(session.name, 60)} opened: {len(session.runs)} runs")
        self.show_run(len(session.runs) - 1)
        explanation = session.runs[-1].explanation
        self.query_one("#prompt", TextArea).text = explanation.prompt
        backend, model = explanation.provenance.backend, explanation.provenance.model
        settings = self.settings
        try:
            default_model = static_identity(backend, {}).model
            base_url = settings.choice.base_url if settings.backend == backend else ""
            config = config_of(explanation)
            settings.restore(BackendChoice(backend, "" if model == default_model else model, base_url), config)
        except ConfigError as error:  # e.g. a backend this installation does not have
            self.notify(f"the form keeps its settings: {one_line(str(error))}", severity="warning", timeout=10)
        settings.validate()

    def start_over(self) -> None:
        """Forget the shown run (a new or empty session); the log starts afresh."""
        self.shown_run = None
        self.refresh_title()
        self.log_widget.clear(f"session {one_line(self.app.session.name, 60)}")
        self.query_one("#run-title", Label).update("No run yet.")
        self.heatmap.show(None)
        self.query_one("#unit-status", Label).update("")
        self.query_one("#unit-status").display = False
        self.query_one(HeatLegend).show(None)
        self.query_one(AnswerView).show(None)
        self.query_one(InteractionsTable).show(None)
        self.collapse()
        self.query_one(FidelityTable).show(None)
        self.query_one(TopWordsTable).show(None)
        self.query_one(PerturbationTable).show(None)
        self.query_one("#summary", Static).update("")
        self.query_one(ChecksView).show(None)

    def show_explanation(self, explanation: Explanation, title: str) -> None:
        span = explained_span(explanation)
        if span is not None:
            title += f" · explains the answer span “{one_line(span, 40)}”"
        self.query_one("#run-title", Label).update(title + "   [ ] other runs")
        self.collapse()
        heatmap = self.heatmap
        heatmap.show(explanation)
        hint = " · enter: words" if heatmap.level != "word" else ""
        self.query_one("#heat-side").border_title = f"Heatmap · {heatmap.level_name} · ← →{hint}"
        # a long prompt is taller than the pane: the selected unit's line stays in view at its foot
        self.query_one("#unit-status").display = heatmap.level != "word" or len(heatmap.supports) > LONG_PROMPT_UNITS
        self.query_one(HeatLegend).show(explanation)
        self.query_one(AnswerView).show(explanation)
        self.query_one("#answer-side").border_title = (
            "Answer · explained span underlined" if span is not None else "Answer · ↑↓ enter explains"
        )
        self.query_one(InteractionsTable).show(explanation)
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

    @property
    def heatmap(self) -> TokenHeatmap:
        return self.query_one("#heatmap", TokenHeatmap)

    # -- the words of a coarse unit (drill-down) ---------------------------------------------------
    def known_words(self, run_id: str, explanation: Explanation, unit: int) -> Explanation | None:
        """The word-level explanation of `unit`: expanded earlier in this app, or made by the
        run's own drill-down (its top K units); None when it must be asked for."""
        if (run_id, unit) in self.unit_words:
            return self.unit_words[(run_id, unit)]
        found = drilled(explanation)
        if found is not None and unit in found[0]:
            return found[1]
        return None

    def expand(self, unit: int, words: Explanation) -> None:
        """Show the words of `unit` (of the run on screen) under the heatmap, linked by its number."""
        heatmap = self.heatmap
        feature = heatmap.explanation.features[unit]
        heatmap.mark_expanded(unit)
        shown = self.query_one("#drill-heatmap", TokenHeatmap)
        shown.show(words, window=(feature.start, feature.end))
        self.query_one("#drill-title", Label).update(
            f"▾ {feature.level} {unit + 1}: its {len(shown.supports)} words (the rest kept whole) · enter folds them"
        )
        self.query_one("#drill").display = True

    def collapse(self) -> None:
        self.heatmap.mark_expanded(None)
        self.query_one("#drill-heatmap", TokenHeatmap).show(None)
        self.query_one("#drill").display = False

    @on(TokenHeatmap.ExpandToggled)
    def _expand_toggled(self, event: TokenHeatmap.ExpandToggled) -> None:
        event.stop()
        heatmap, unit = self.heatmap, event.feature.index
        run_id, explanation = self.shown_run_id, self.shown_explanation
        if event.heatmap is not heatmap or heatmap.expanded == unit:
            self.collapse()
            heatmap.focus()
            return
        if run_id is None or explanation is None:
            return
        if heatmap.level == "word":
            self.notify("these are words already (a run by sentences or paragraphs has units to expand)")
            return
        words = self.known_words(run_id, explanation, unit)
        if words is not None:
            self.expand(unit, words)
            return
        if self.app.runner.running:
            self.notify("a run is already in progress (escape cancels it)", severity="warning")
            return
        backend = explanation.provenance.backend
        options = self.app.backend_options(backend, origin_of(explanation).model, config_of(explanation))
        request = DrillRequest(run_id, explanation, unit, backend, options, self.app.response_cache)
        self.log_widget.reset(f"the words of {event.feature.level} {unit + 1} of run {run_id} on {backend}")
        self.notify(f"explaining the words of {event.feature.level} {unit + 1}…")
        self.app.runner.start_drill(request, self)

    def on_drill_finished(self, message: DrillFinished) -> None:
        self.log_widget.finished(message.explanation)
        self.unit_words[(message.run_id, message.unit)] = message.explanation
        if message.run_id == self.shown_run_id:
            self.expand(message.unit, message.explanation)
            self.action_tab("tab-heatmap")

    # -- the answer span -----------------------------------------------------------------------------
    @on(AnswerView.SpanChosen)
    def _span_chosen(self, event: AnswerView.SpanChosen) -> None:
        """Explain the run on screen again, its target the chosen sentence of its answer: same
        prompt, backend, model and settings (so the original answer comes from the cache)."""
        event.stop()
        explanation = self.shown_explanation
        if explanation is None:
            return
        if self.app.runner.running:
            self.notify("a run is already in progress (escape cancels it)", severity="warning")
            return
        try:
            config = config_of(explanation).with_changes(answer_span=event.span)
        except ConfigError as error:
            self.notify(one_line(str(error)), severity="error")
            return
        backend = explanation.provenance.backend
        options = self.app.backend_options(backend, origin_of(explanation).model, config)
        request = RunRequest((explanation.prompt,), backend, config, options, "answer span", self.app.response_cache)
        self.log_widget.reset(f"answer span on {backend}: {one_line(event.span, 60)}")
        self.app.runner.start(request, self)
        self.action_tab("tab-log")

    # -- a prompt from a file ------------------------------------------------------------------------
    def action_open_prompt(self) -> None:
        from .prompt_file import PromptFileScreen

        def loaded(found) -> None:
            if found is None:
                return
            self.prompt_path = str(found.path)
            self.action_tab("tab-prompt")
            self.query_one("#prompt", TextArea).text = found.text
            self.set_prompt_error("")
            self.notify(f"loaded {one_line(found.path.name, 40)}: {found.units:,} {found.level}s")

        if not isinstance(self.app.screen, PromptFileScreen):
            self.app.push_screen(PromptFileScreen(self.settings.current_config, self.prompt_path), loaded)

    @on(TokenHeatmap.WordSelected)
    def _word_selected(self, event: TokenHeatmap.WordSelected) -> None:
        # the main heatmap's selection, or the expanded words' when they have the focus
        if event.heatmap.explanation is not None and (event.heatmap is self.heatmap or event.heatmap.has_focus):
            self.query_one(WordDetail).show(event.heatmap.explanation, event.support)
            self.query_one("#unit-status", Label).update(unit_status(event.heatmap.explanation, event.support))

    @on(PerturbationTable.SortChanged)
    def _sorted(self, event: PerturbationTable.SortChanged) -> None:
        event.table.border_title = f"Perturbations · sorted by {event.table.sort_label} · {SORT_HINT}"

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

    def on_run_failed(self, message: RunFailed) -> None:
        self.log_widget.stopped(f"error: {message.message}")
        self.notify(message.message, severity="error", timeout=8)

    def on_run_cancelled(self, message: RunCancelled) -> None:
        self.log_widget.stopped(
            f"cancelled after {message.answers} answers; nothing was added to the session", "bold yellow"
        )
        self.notify("run cancelled")
