"""The Checks tab: the three trust checks of the shown run, their inputs and their result tables.

Layout and text only. Each section parses its fields (text typed by the user), lets the core
decide whether the inputs are valid (`runner.check_inputs`, the core's message shown under the
fields), shows how many model calls the check will make (a planner handed in by the screen), and
asks the screen to run it (`ChecksView.RunRequested`): enter in a field, its button, or ctrl+r
while the section has focus. Results are drawn from the session's saved values, so reopening a
session shows them without a model. Every word and prompt is shown as plain `Text`/`markup=False`
after `one_line` (which strips terminal escapes), never parsed as markup.
"""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import Button, DataTable, Input, Label

from gsmile_core.evaluation.check_results import (
    CHECK_TITLES,
    CheckResult,
    ConsistencyCheck,
    DeletionCheck,
    StabilityCheck,
    latest,
)
from gsmile_core.evaluation.checks import DEFAULT_RANDOM_ORDERS, DEFAULT_REPEATS, DEFAULT_TOP_K, CallPlan, CheckInputs
from gsmile_core.errors import GsmileError
from gsmile_core.evaluation.metrics.stability import minimal_edit
from gsmile_core.sanitize import one_line
from gsmile_core.session import Run

from ..forms import parse_whole_number
from .tables import number

Planner = Callable[[str, str, CheckInputs], CallPlan]  # (kind, run id, inputs) -> calls; ConfigError naming the field
Validator = Callable[[str, str, CheckInputs], None]  # raises ConfigError naming the field

INTRO = ("Checks of the run shown on the Heatmap tab, with its model and settings: enter in a field, "
         "Run or ctrl+r starts one; escape cancels.")


def cost_line(plan: CallPlan) -> str:
    if plan.calls == 0:
        return f"needs {plan.answers} answers, all in the response cache: no model call"
    cached = f", {plan.cached} from the response cache" if plan.cached else ""
    return f"will make {plan.calls} model calls ({plan.answers} answers{cached})"


def spent_line(check: CheckResult) -> str:
    c = check.cost
    return f"{c.model_calls} model calls · {c.cache_hits} cache hits · {check.created_at or 'time unknown'}"


class CheckSection(Vertical):
    """One check: title, fields with a Run button, the field message, the cost, the result."""

    kind = ""
    DEFAULT_CSS = """
    CheckSection { height: auto; margin-bottom: 1; }
    CheckSection .check-fields { height: 1; }
    CheckSection .check-fields Label { width: auto; padding: 0 1 0 0; }
    CheckSection .check-fields Input { width: 8; margin-right: 1; }
    CheckSection .check-fields Input.wide { width: 1fr; }
    CheckSection .check-fields Button { width: auto; min-width: 7; }
    CheckSection .check-error { color: $error; height: auto; width: 1fr; display: none; }
    CheckSection .check-error.shown { display: block; }
    CheckSection .check-plan, CheckSection .check-status { color: $text-muted; height: auto; width: 1fr; }
    CheckSection .check-summary { height: auto; width: 1fr; }
    CheckSection DataTable { height: auto; max-height: 14; }
    CheckSection #curve-deletion { margin-top: 1; }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(id=f"check-{self.kind}", **kwargs)
        self.checked_run: Run | None = None
        self.planner: Planner | None = None
        self.validator: Validator | None = None

    # -- layout ----------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield Label(CHECK_TITLES[self.kind], classes="section", markup=False)
        with Horizontal(classes="check-fields"):
            yield from self.fields()
            yield Button("Run", id=f"run-{self.kind}", compact=True, variant="primary")
        yield Label("", classes="check-error", id=f"error-{self.kind}", markup=False)
        yield Label("", classes="check-plan", id=f"plan-{self.kind}", markup=False)
        yield Label("", classes="check-status", id=f"status-{self.kind}", markup=False)
        yield Label("", classes="check-summary", id=f"summary-{self.kind}", markup=False)
        yield from self.tables()

    def fields(self) -> ComposeResult:
        raise NotImplementedError

    def tables(self) -> ComposeResult:
        yield DataTable(id=f"table-{self.kind}", cursor_type="none", zebra_stripes=True)

    def _label(self, name: str) -> Label:
        return self.query_one(f"#{name}-{self.kind}", Label)

    # -- inputs ----------------------------------------------------------------------------------
    def read_inputs(self) -> CheckInputs:
        """The typed inputs (GsmileError with a one-line message when they do not parse)."""
        raise NotImplementedError

    def set_defaults(self, run: Run) -> None:
        raise NotImplementedError

    def inputs(self) -> CheckInputs | None:
        """Valid inputs, or None after showing what is wrong under the fields."""
        if self.checked_run is None:
            self.show_error("no run to check yet: run a prompt or open a session first")
            return None
        try:
            inputs = self.read_inputs()
            if self.validator is not None:
                self.validator(self.kind, self.checked_run.id, inputs)
        except GsmileError as error:
            self.show_error(one_line(str(error)))
            return None
        self.show_error("")
        return inputs

    def show_error(self, message: str) -> None:
        label = self._label("error")
        label.update(message)
        label.set_class(bool(message), "shown")
        wrong = self.field_for(message) if message else None
        for field in self.query(Input):
            field.set_class(field is wrong, "-invalid")
        if message:
            self._label("plan").update("")

    def field_for(self, message: str) -> Input:
        """The field a message is about (the core's messages start with the field's name)."""
        return self.query(Input).first()

    def refresh_plan(self) -> None:
        """The cost line for the typed inputs; the planner validates them (the core's
        `plan_check`), so a bad field shows its message from this one call."""
        if self.checked_run is None or self.planner is None:
            return
        try:
            plan = self.planner(self.kind, self.checked_run.id, self.read_inputs())
        except GsmileError as error:
            self.show_error(one_line(str(error)))
            return
        self.show_error("")
        self._label("plan").update(cost_line(plan))

    @on(Input.Changed)
    def _changed(self, event: Input.Changed) -> None:
        event.stop()
        if self.checked_run is not None:
            self.refresh_plan()

    @on(Input.Submitted)
    @on(Button.Pressed)
    def _submitted(self, event) -> None:
        event.stop()
        self.request_run()

    def request_run(self) -> None:
        inputs = self.inputs()
        if inputs is not None and self.checked_run is not None:
            self.post_message(ChecksView.RunRequested(self.kind, self.checked_run.id, inputs))

    # -- results ---------------------------------------------------------------------------------
    def show(self, run: Run | None) -> None:
        self.checked_run = run
        if run is not None:
            self.set_defaults(run)
            self.refresh_plan()
        else:
            self.show_error("")
            self._label("plan").update("")
        self.status("")
        check = latest(run.checks, self.kind) if run is not None else None
        self.show_result(check)

    def status(self, text: str) -> None:
        label = self._label("status")
        label.update(text)
        label.display = bool(text)

    def show_result(self, check: CheckResult | None) -> None:
        for table in self.query(DataTable):
            table.clear(columns=True)
        if check is None:
            self._label("summary").update("not run yet")
        else:
            self.draw(check)

    def draw(self, check: CheckResult) -> None:
        """Fill the summary and the (cleared) tables from a finished check."""
        raise NotImplementedError


class StabilitySection(CheckSection):
    kind = "stability"

    def fields(self) -> ComposeResult:
        yield Label("edited prompt")
        yield Input(id="field-edited", classes="wide", compact=True)
        yield Label("k")
        yield Input(str(DEFAULT_TOP_K), id="field-k", compact=True)

    def set_defaults(self, run: Run) -> None:
        previous = latest(run.checks, self.kind)
        self.default_edit = one_line(minimal_edit(run.explanation.prompt), 10_000)
        edited = self.default_edit if previous is None else one_line(previous.edited_prompt, 10_000)
        with self.prevent(Input.Changed):
            self.query_one("#field-edited", Input).value = edited
            self.query_one("#field-k", Input).value = str(previous.result.k if previous else DEFAULT_TOP_K)

    def field_for(self, message: str) -> Input:
        return self.query_one("#field-k" if message.startswith("k:") else "#field-edited", Input)

    def read_inputs(self) -> CheckInputs:
        edited = self.query_one("#field-edited", Input).value
        k = parse_whole_number(self.query_one("#field-k", Input).value, "k")
        # the untouched default stands for the paper's edit of the real (possibly multi-line) prompt
        return CheckInputs(edited_prompt=None if edited == getattr(self, "default_edit", None) else edited, k=k)

    def draw(self, check: StabilityCheck) -> None:
        table = self.query_one(DataTable)
        r = check.result
        by = "|score|" if r.ranked_by == "abs" else "signed score"
        shared = ", ".join(one_line(w, 24) for w in r.shared) or "none"
        self.query_one("#summary-stability", Label).update(
            f"Jaccard {r.jaccard:.3f} of the top-{r.k} words by {by} · shared: {shared}\n"
            f"edited prompt: {one_line(check.edited_prompt, 200)}\n{spent_line(check)}"
        )
        table.add_columns("rank", "top words: prompt", "top words: edited prompt")
        for rank, first, second in r.side_by_side():
            table.add_row(Text(str(rank), justify="right"), Text(one_line(first, 30)), Text(one_line(second, 30)))


class OneNumberSection(CheckSection):
    """A check with one whole-number input (the `CheckInputs` field `input_name`)."""

    label = ""  # shown before the field
    name = ""  # how the core's messages call it
    input_name = ""
    field_id = ""
    default = 0

    def previous_value(self, check: CheckResult) -> int:
        """The input the saved check was made with."""
        raise NotImplementedError

    def fields(self) -> ComposeResult:
        yield Label(self.label, markup=False)
        yield Input(str(self.default), id=self.field_id, compact=True)

    def set_defaults(self, run: Run) -> None:
        previous = latest(run.checks, self.kind)
        with self.prevent(Input.Changed):
            self.query_one(f"#{self.field_id}", Input).value = str(
                self.previous_value(previous) if previous else self.default
            )

    def read_inputs(self) -> CheckInputs:
        text = self.query_one(f"#{self.field_id}", Input).value
        return CheckInputs(**{self.input_name: parse_whole_number(text, self.name)})


class ConsistencySection(OneNumberSection):
    kind = "consistency"
    label, name, input_name, field_id, default = "repeats R", "repeats", "repeats", "field-repeats", DEFAULT_REPEATS

    def previous_value(self, check: ConsistencyCheck) -> int:
        return check.result.repeats

    def draw(self, check: ConsistencyCheck) -> None:
        table = self.query_one(DataTable)
        r = check.result
        seeds = f"{check.seeds[0]}..{check.seeds[-1]}" if check.seeds else "-"
        note = " · every run enumerated all masks: they differ only if the model does" if check.enumerated else ""
        self.query_one("#summary-consistency", Label).update(
            f"{r.repeats} runs, seeds {seeds} · mean variance {r.mean_variance:.6f} · mean std {r.mean_std:.4f} "
            f"(sample, ddof={r.ddof}){note}\n{spent_line(check)}"
        )
        table.add_columns("word", "mean score", "variance", "std")
        for word, mean, variance, std in zip(r.words, r.mean_score, r.variance, r.std):
            table.add_row(Text(one_line(word, 24)), number(mean), number(variance, 6), number(std))
        table.add_row(Text("mean over words", style="bold"), Text(""), number(r.mean_variance, 6), number(r.mean_std))


class DeletionSection(OneNumberSection):
    kind = "deletion"
    label = name = "random orders"
    input_name, field_id, default = "random_orders", "field-orders", DEFAULT_RANDOM_ORDERS

    def previous_value(self, check: DeletionCheck) -> int:
        return check.result.random_seeds

    def tables(self) -> ComposeResult:
        yield DataTable(id="table-deletion", cursor_type="none", zebra_stripes=True)
        yield DataTable(id="curve-deletion", cursor_type="none", zebra_stripes=True)

    def draw(self, check: DeletionCheck) -> None:
        table = self.query_one("#table-deletion", DataTable)
        curve = self.query_one("#curve-deletion", DataTable)
        r = check.result
        self.query_one("#summary-deletion", Label).update(
            f"order: {one_line(', '.join(r.order), 200)} · random: mean of {r.random_seeds} orders\n"
            f"{r.prompts_asked} masked prompts · {spent_line(check)}"
        )
        table.add_columns("AOPC", "explanation", "random", "gain")
        table.add_row(Text("comprehensiveness (higher: faithful)"), number(r.comprehensiveness),
                      number(r.random_comprehensiveness), number(r.comprehensiveness_gain))
        table.add_row(Text("sufficiency (lower: faithful)"), number(r.sufficiency),
                      number(r.random_sufficiency), number(r.sufficiency_gain))
        curve.add_columns("k words", "deletion Δ", "random", "insertion Δ", "random")
        for k in range(len(r.deletion)):
            curve.add_row(Text(str(k), justify="right"), number(r.deletion[k]), number(r.random_deletion[k]),
                          number(r.insertion[k]), number(r.random_insertion[k]))


class ChecksView(VerticalScroll):
    """The three check sections of the shown run."""

    BINDINGS = [Binding("ctrl+r", "run_focused", "Run check")]
    DEFAULT_CSS = """
    ChecksView { height: 1fr; padding: 0 1; }
    ChecksView #checks-title { height: auto; width: 1fr; }
    ChecksView #checks-intro { color: $text-muted; height: auto; width: 1fr; margin-bottom: 1; }
    """

    class RunRequested(Message):
        """The user asked for check `kind` of run `run_id` with valid `inputs`."""

        def __init__(self, kind: str, run_id: str, inputs: CheckInputs) -> None:
            super().__init__()
            self.kind, self.run_id, self.inputs = kind, run_id, inputs

    def compose(self) -> ComposeResult:
        yield Label("No run yet.", id="checks-title", classes="section", markup=False)
        yield Label(INTRO, id="checks-intro", markup=False)
        yield StabilitySection()
        yield ConsistencySection()
        yield DeletionSection()

    @property
    def sections(self) -> list[CheckSection]:
        return list(self.query(CheckSection))

    def section(self, kind: str) -> CheckSection:
        return self.query_one(f"#check-{kind}", CheckSection)

    def connect(self, planner: Planner, validator: Validator) -> None:
        for section in self.sections:
            section.planner, section.validator = planner, validator

    def show(self, run: Run | None, title: str = "") -> None:
        self.query_one("#checks-title", Label).update(one_line(title, 200) if run is not None else "No run yet.")
        for section in self.sections:
            section.show(run)

    def action_run_focused(self) -> None:
        focused = self.screen.focused
        for section in self.sections:
            if focused is not None and section in focused.ancestors_with_self:
                section.request_run()
                return
        self.notify("move to a check's field first (tab), then ctrl+r", severity="warning")
