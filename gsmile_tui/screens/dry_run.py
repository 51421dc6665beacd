"""Dry run: what a run would send, before spending anything — masks, prompts, unique count,
calls/tokens/cost estimate. Computed by `runner.dry_run`; no model is called."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Label, Static

from gsmile_core.sanitize import one_line

from ..runner import DryRun, RunRequest


def estimate_text(plan: DryRun, request: RunRequest) -> str:
    model = request.backend_options.get("model")
    estimate = plan.estimate(request.config, request.backend, model)
    cost = (
        "cost unknown (no price for this model in the price table)"
        if estimate.cost is None
        else f"at most ${estimate.cost:.4f}"
    )
    return (
        f"{plan.words} words · {len(plan.masks)} perturbations · {plan.unique} unique prompts"
        + (" (all masks enumerated)" if plan.enumerated else "")
        + f"\n≤ {estimate.calls} model calls (before cache hits) · ~{estimate.input_tokens} input tokens"
        f" · ≤ {estimate.output_tokens} output tokens · {cost}"
    )


class DryRunScreen(ModalScreen):
    BINDINGS = [Binding("escape,q", "dismiss", "Close")]
    DEFAULT_CSS = """
    DryRunScreen { align: center middle; }
    DryRunScreen > Vertical { width: 95%; height: 90%; border: thick $primary; background: $surface; padding: 0 1; }
    DryRunScreen #estimate { height: auto; margin-bottom: 1; }
    DryRunScreen DataTable { height: 1fr; }
    """

    def __init__(self, plan: DryRun, request: RunRequest) -> None:
        super().__init__()
        self.plan, self.request = plan, request

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("Dry run — nothing is sent (escape closes)", classes="section")
            yield Static(estimate_text(self.plan, self.request), id="estimate", markup=False)
            yield DataTable(id="dry-table", zebra_stripes=True, cursor_type="row")

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("#", "mask", "perturbed prompt")
        for j, (mask, text) in enumerate(zip(self.plan.masks, self.plan.texts)):
            table.add_row(Text(str(j), justify="right"), Text("".join(map(str, mask))), Text(one_line(text, 200)))
        table.focus()
