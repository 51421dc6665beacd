"""Dry run: what a run would send, before spending anything — masks, prompts, duplicates, cached
answers, calls/tokens/cost estimate. Planned by `gsmile_core.calls.dryrun`; no model is called."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Label, Static

from gsmile_core.calls.dryrun import DryRunPlan
from gsmile_core.sanitize import one_line


def estimate_text(plan: DryRunPlan) -> str:
    e = plan.estimate
    cost = (
        f"no price known for {plan.identity.provider} {plan.identity.model or '(default model)'}"
        if e.cost is None
        else f"at most ${e.cost:.4f}"
    )
    return (
        f"{plan.identity.provider} · model {plan.identity.model or '(default)'}\n"
        f"{len(plan.prompts)} perturbations · {plan.unique_prompts} unique prompts · "
        f"{plan.calls_total} calls ({plan.calls_cached} already cached, {plan.calls_needed} to make)\n"
        f"~{e.input_tokens} input tokens · ≤ {e.output_tokens} output tokens · {cost}"
    )


class DryRunScreen(ModalScreen):
    BINDINGS = [Binding("escape,q", "dismiss", "Close")]
    DEFAULT_CSS = """
    DryRunScreen { align: center middle; }
    DryRunScreen > Vertical { width: 95%; height: 90%; border: thick $primary; background: $surface; padding: 0 1; }
    DryRunScreen #estimate { height: auto; margin-bottom: 1; }
    DryRunScreen DataTable { height: 1fr; }
    """

    def __init__(self, plan: DryRunPlan, request=None) -> None:
        super().__init__()
        self.plan = plan

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("Dry run — nothing is sent (escape closes)", classes="section")
            yield Static(estimate_text(self.plan), id="estimate", markup=False)
            yield DataTable(id="dry-table", zebra_stripes=True, cursor_type="row")

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("#", "mask", "note", "perturbed prompt")
        for j, planned in enumerate(self.plan.prompts):
            note = "repeat" if planned.duplicate else ("cached" if planned.cached_samples else "")
            table.add_row(
                Text(str(j), justify="right"),
                Text("".join(map(str, planned.mask))),
                Text(note),
                Text(one_line(planned.prompt, 200)),
            )
        table.focus()
