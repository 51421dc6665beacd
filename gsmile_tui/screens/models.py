"""F11: explain a text classifier or a row of a table, and see a model run's features as bars.

Two forms: a text and a classifier (the bundled VADER demo, or module:function), or a model file,
a data file and a row (with an optional protected column for the fairness counterfactual). A run
is computed by the core (`gsmile_core.scoring`) on a worker thread and kept in the session like
every run, so F4 shows a classifier's word heatmap, F5/F6 its fidelity and perturbations, and
the reports include it. Below the forms, the run is drawn as the core's bar chart
(`gsmile_core.reports.model_terminal`): column, value, score, bar, interval, p-value; for a counterfactual
pair, both rows' scores side by side with their deltas. Every text from the user's model or data
is drawn as plain text, never markup.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Footer, Header, Input, Label, Static, TabbedContent, TabPane

from gsmile_core.config import ExplainConfig
from gsmile_core.errors import GsmileError
from gsmile_core.sanitize import one_line
from gsmile_core.types import Explanation


def _optional(value: str) -> str | None:
    return value.strip() or None


class ModelsScreen(Screen):
    BINDINGS = [
        Binding("ctrl+r", "run", "Run", priority=True),
        Binding("escape", "app.pop_screen", "Back"),
    ]
    DEFAULT_CSS = """
    ModelsScreen #model-forms { height: auto; max-height: 14; }
    ModelsScreen .form-row { height: auto; }
    ModelsScreen .form-row Input { width: 1fr; }
    ModelsScreen #model-status { height: auto; color: $text-muted; }
    ModelsScreen #model-error { height: auto; color: $error; }
    ModelsScreen #model-result { height: 1fr; }
    """

    def __init__(self) -> None:
        super().__init__(id="models")
        self.shown: Explanation | None = None

    def compose(self) -> ComposeResult:
        yield Header(icon="≋")
        with TabbedContent(initial="form-text", id="model-forms"):
            with TabPane("Text classifier", id="form-text"):
                yield Input(placeholder="text to classify", id="cls-text", compact=True)
                with Horizontal(classes="form-row"):
                    yield Input("vader", placeholder="classifier: vader or module:function", id="cls-spec", compact=True)
                    yield Input(placeholder="class (empty: distance between distributions)", id="cls-class", compact=True)
                    yield Button("Run", id="cls-run", compact=True)
            with TabPane("Table row", id="form-table"):
                with Horizontal(classes="form-row"):
                    yield Input(placeholder="MODEL file (.joblib/.pkl: loading runs its code)", id="tab-model", compact=True)
                    yield Input(placeholder="DATA file (.csv/.parquet)", id="tab-data", compact=True)
                    yield Input(placeholder="row (0-based)", id="tab-row", compact=True)
                with Horizontal(classes="form-row"):
                    yield Input(placeholder="drop columns (comma-separated)", id="tab-drop", compact=True)
                    yield Input(placeholder="class (optional)", id="tab-class", compact=True)
                    yield Input(placeholder="protected column (optional)", id="tab-protected", compact=True)
                    yield Input(placeholder="swap to (optional)", id="tab-swap", compact=True)
                    yield Button("Run", id="tab-run", compact=True)
        yield Label("", id="model-status", markup=False)
        yield Label("", id="model-error", markup=False)
        with VerticalScroll(id="model-result"):
            yield Static("", id="model-chart", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.title, self.sub_title = "gSMILE", "models: text classifiers and table rows (F11)"
        main = self.app.main_screen
        self.query_one("#cls-text", Input).value = main.prompt_text.strip()
        runs = self.app.session.runs
        if main.shown_run is not None and main.shown_run < len(runs):
            explanation = runs[main.shown_run].explanation
            if explanation.extras.get("model"):
                self.show(explanation)

    # -- running -------------------------------------------------------------------------------
    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.start("table" if event.button.id == "tab-run" else "text")

    def action_run(self) -> None:
        active = self.query_one(TabbedContent).active
        self.start("table" if active == "form-table" else "text")

    def _value(self, widget_id: str) -> str:
        return self.query_one(f"#{widget_id}", Input).value

    def start(self, kind: str) -> None:
        self.query_one("#model-error", Label).update("")
        config = self.app.main_screen.settings.validate()  # the shared method settings (F2)
        if config is None:
            self.query_one("#model-error", Label).update("the run settings (F2) have errors: fix them first")
            return
        if kind == "text":
            request = ("text", self._value("cls-text"), self._value("cls-spec").strip() or "vader", _optional(self._value("cls-class")))
        else:
            request = ("table", self._value("tab-model").strip(), self._value("tab-data").strip(), self._value("tab-row").strip(),
                       [c.strip() for c in self._value("tab-drop").split(",") if c.strip()], _optional(self._value("tab-class")),
                       _optional(self._value("tab-protected")), _optional(self._value("tab-swap")))
        self.query_one("#model-status", Label).update("running…")
        self.run_worker(lambda: self._compute(request, config), thread=True, exclusive=True, group="models")

    def _compute(self, request: tuple, config: ExplainConfig | None) -> None:
        config = config or ExplainConfig()
        try:
            if request[0] == "text":
                from gsmile_core.scoring.classifier import explain_text_classifier

                _, text, spec, explained_class = request
                explanation = explain_text_classifier(text, spec, config, explained_class=explained_class)
                self.app.call_from_thread(self._finished, explanation, None)
                return
            from gsmile_core.scoring.tabular import explain_row, load_model_file

            _, model_path, data_path, row_text, drop, explained_class, protected, swap = request
            if not model_path or not data_path:
                raise GsmileError("give the MODEL file and the DATA file")
            try:
                row = int(row_text)
            except ValueError:
                raise GsmileError(f"the row must be a whole number, got {one_line(row_text, 20)!r}") from None
            model = load_model_file(model_path, lambda message: self.app.call_from_thread(
                self.app.notify, message, severity="warning", timeout=10))
            options = {"explained_class": explained_class, "drop": tuple(drop)}
            if protected is None:
                self.app.call_from_thread(self._finished, explain_row(model, data_path, row, config, **options), None)
                return
            from gsmile_core.scoring.counterfactual import explain_counterfactual

            found = explain_counterfactual(model, data_path, row, protected, swap, config, **options)
            self.app.call_from_thread(self._finished, found.original, found)
        except GsmileError as error:
            self.app.call_from_thread(self._failed, str(error))

    def _failed(self, message: str) -> None:
        self.query_one("#model-status", Label).update("failed")
        self.query_one("#model-error", Label).update(one_line(message, 300))

    def _finished(self, explanation: Explanation, counterfactual) -> None:
        if counterfactual is None:
            self.app.record_run(explanation)
        else:
            self.app.record_compare([counterfactual.original, counterfactual.swapped], list(counterfactual.labels))
        runs = self.app.session.runs
        self.app.main_screen.show_run(next(i for i, run in enumerate(runs) if run.explanation is explanation))
        self.query_one("#model-status", Label).update(
            f"done: {explanation.model_calls} model calls · kept in the session"
            + (" with its counterfactual (a comparison)" if counterfactual is not None else ""))
        self.show(explanation, counterfactual)

    # -- drawing -------------------------------------------------------------------------------
    def show(self, explanation: Explanation, counterfactual=None) -> None:
        from rich.console import Group
        from rich.text import Text

        from gsmile_core.reports.model_terminal import counterfactual_view, feature_chart, model_heading, tests_note
        from gsmile_core.scoring.summary import model_summary

        summary = model_summary(explanation)
        if summary is None:
            return
        self.shown = explanation
        parts = [model_heading(summary), Text(summary.legend(), style="dim"), feature_chart(summary), tests_note(summary)]
        if counterfactual is not None:
            parts.append(counterfactual_view(counterfactual))
        self.query_one("#model-chart", Static).update(Group(*parts))
