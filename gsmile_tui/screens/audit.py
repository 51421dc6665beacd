"""ctrl+b: audit a prompt set or a fairness set, resumable, and read its aggregate.

A form names the prompt file (JSONL, CSV or one prompt a line) or the templates and groups files,
and the audit's folder; the run uses the main screen's settings (F2). ctrl+r starts the audit or
resumes it (the same folder and settings continue where it stopped), ctrl+e runs again only the
prompts that failed, escape cancels (everything finished is kept: the lines, the cached answers,
the summary and reports of what is done). Progress shows prompts done / failed, model calls,
cache hits, cost and ETA; each finished prompt is a row (enter opens its explanation on the main
screen; c opens a fairness template's variants side by side in the compare view); when the audit
ends, the set's most influential words are shown. The audit itself runs in the core
(`gsmile_core.batch`) through the app's runner; prompts, answers and words are plain text here,
never markup.
"""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Input, Label, ProgressBar, Static

from gsmile_core.batch.audit import AuditInput
from gsmile_core.batch.results import AuditFolder
from gsmile_core.sanitize import one_line
from gsmile_core.types import Explanation

from ..messages import AuditFailed, AuditFinished, AuditProgressed, AuditRecord, AuditStarted, RunNotice
from ..runner import AuditRequest

MAX_VARIANTS = 3  # the compare view's columns


def progress_text(state) -> str:
    cost = "" if state.cost_usd is None else f" · ${state.cost_usd:.4f}"
    eta = "" if state.eta_s is None else f" · eta {state.eta_s:.0f} s"
    finished = state.earlier + state.done + state.failed
    return (f"{finished}/{state.total} prompts · {state.failed} failed · {state.calls} calls · "
            f"{state.cache_hits} cache hits{cost}{eta}")


def aggregate_text(summary: dict) -> str:
    counts, calls = summary["counts"], summary["calls"]
    lines = [f"{counts['ok']} ok · {counts['failed']} failed · {counts['not_done']} not done · "
             f"{calls['model_calls']} model calls · {calls['cache_hits']} cache hits",
             "Most influential words of the set (mean importance, 95% interval, prompts):"]
    for stat in summary["aggregate"]["most_influential"][:10]:
        interval = "n/a" if stat["lower"] is None else f"[{stat['lower']:+.3f}, {stat['upper']:+.3f}]"
        lines.append(f"  {one_line(stat['word'], 24):<24} {stat['mean']:+.4f}  {interval}  {stat['prompts']}")
    fairness = summary.get("fairness")
    if fairness:
        for slot in fairness["slots"]:
            for pair in slot["pairs"]:
                test = pair.get("shift_test") or {}
                lines.append(f"  {{{slot['slot']}}} {one_line(pair['groups'][0], 20)} vs {one_line(pair['groups'][1], 20)}: "
                             f"output distance {pair['output_distance']['mean']:.3f}, p {test.get('p_value', float('nan')):.4f}")
    for failure in summary.get("failures", [])[:5]:
        lines.append(f"  failed {one_line(failure['id'], 30)}: {one_line(failure['error'], 100)}")
    return "\n".join(lines)


class AuditScreen(Screen):
    BINDINGS = [
        Binding("ctrl+r", "start", "Start / resume", priority=True),
        Binding("ctrl+e", "retry_failed", "Retry failed", priority=True),
        Binding("c", "compare_template", "Compare variants"),
        Binding("escape", "back_or_cancel", "Back / cancel"),
    ]
    DEFAULT_CSS = """
    AuditScreen #audit-form { height: auto; }
    AuditScreen .form-row { height: auto; }
    AuditScreen .form-row Input { width: 1fr; }
    AuditScreen #audit-status-line { height: 1; }
    AuditScreen #audit-status { width: 1fr; }
    AuditScreen #audit-error { height: auto; color: $error; }
    AuditScreen #audit-table { height: 1fr; }
    AuditScreen #audit-aggregate { height: auto; max-height: 16; }
    """

    def __init__(self) -> None:
        super().__init__(id="audit")
        self.folder: AuditFolder | None = None
        self.rows: dict[str, str | None] = {}  # id -> template (fairness sets)
        self.summary: dict | None = None

    def compose(self) -> ComposeResult:
        yield Header(icon="≋")
        with Vertical(id="audit-form"):
            with Horizontal(classes="form-row"):
                yield Input(placeholder="prompt FILE (.jsonl / .csv / one prompt a line)", id="audit-file", compact=True)
                yield Input(placeholder="output folder", id="audit-out", compact=True)
            with Horizontal(classes="form-row"):
                yield Input(placeholder="or fairness: templates file", id="audit-templates", compact=True)
                yield Input(placeholder="groups file", id="audit-groups", compact=True)
        with Horizontal(id="audit-status-line"):
            yield Label("idle · ctrl+r starts or resumes", id="audit-status", markup=False)
            yield ProgressBar(total=1, id="audit-progress", show_eta=False)
        yield Label("", id="audit-error", markup=False)
        yield DataTable(id="audit-table", cursor_type="row", zebra_stripes=True)
        yield Static("", id="audit-aggregate", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.title, self.sub_title = "gSMILE", "audit a prompt set or a fairness set (ctrl+b)"
        self.query_one(DataTable).add_columns("id", "status", "top words / error")
        self.query_one("#audit-file", Input).focus()

    def _value(self, widget_id: str) -> str | None:
        return self.query_one(f"#{widget_id}", Input).value.strip() or None

    # -- actions -------------------------------------------------------------------------------
    def action_start(self, retry_failed: bool = False) -> None:
        if self.app.runner.running:
            self.notify("a run is already in progress (escape cancels it)", severity="warning")
            return
        out = self._value("audit-out")
        if out is None:
            self.query_one("#audit-error", Label).update("name the output folder")
            return
        base = self.app.main_screen.request((), "audit")
        if base is None:
            self.query_one("#audit-error", Label).update("the run settings (F2) have errors: fix them first")
            return
        source = AuditInput(file=self._value("audit-file"), templates=self._value("audit-templates"),
                            groups=self._value("audit-groups"))
        request = AuditRequest(source, out, base.backend, base.config, base.backend_options, base.cache,
                               retry_failed=retry_failed)
        self.query_one("#audit-error", Label).update("")
        self.query_one(DataTable).clear()
        self.query_one("#audit-aggregate", Static).update("")
        self.rows.clear()
        self.summary = None
        self.query_one("#audit-status", Label).update("checking the inputs…")
        self.app.runner.start_audit(request, self)

    def action_retry_failed(self) -> None:
        self.action_start(retry_failed=True)

    def action_back_or_cancel(self) -> None:
        if self.app.runner.cancel():
            self.notify("cancelling the audit: finished prompts are kept")
        else:
            self.app.pop_screen()

    def _selected_id(self) -> str | None:
        table = self.query_one(DataTable)
        if table.row_count == 0:
            return None
        return str(table.coordinate_to_cell_key((table.cursor_row, 0)).row_key.value)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        self.open_explanation(str(event.row_key.value))

    def open_explanation(self, item_id: str) -> None:
        """The prompt's explanation as a run of the session, shown on the main screen."""
        record = self.folder.record_of(item_id) if self.folder is not None else None
        if record is None or record.get("status") != "ok":
            self.notify("this prompt has no explanation (it failed or is not done)", severity="warning")
            return
        explanation = Explanation.from_dict(record["explanation"])
        self.app.record_run(explanation)
        if self.app._back_to_main():
            self.app.main_screen.show_run(len(self.app.session.runs) - 1)
            self.app.main_screen.action_tab("tab-heatmap")

    def action_compare_template(self) -> None:
        """The selected prompt's template: its variants side by side (the compare view)."""
        from gsmile_core.batch.fairness_stats import template_variants

        item_id = self._selected_id()
        template = self.rows.get(item_id) if item_id is not None else None
        if template is None or self.folder is None:
            self.notify("select a variant of a fairness template first", severity="warning")
            return
        records = template_variants(self.folder, template, self._group_order())
        if len(records) < 2:
            self.notify("fewer than two variants of this template are explained", severity="warning")
            return
        if len(records) > MAX_VARIANTS:
            self.notify(f"the compare view shows the first {MAX_VARIANTS} of {len(records)} variants", timeout=6)
        chosen = records[:MAX_VARIANTS]
        self.app.record_compare([Explanation.from_dict(r["explanation"]) for r in chosen],
                                [f"{r.get('group')}" if r.get("filler") == r.get("group") else f"{r.get('group')}: {r.get('filler')}" for r in chosen])
        self.app.action_compare()

    def _group_order(self) -> list[str]:
        """The groups in the groups file's order (from the finished summary, else the file)."""
        fairness = (self.summary or {}).get("fairness") or {}
        order = [group for slot in fairness.get("slots", []) for group in slot.get("groups", [])]
        if order or not self._value("audit-groups"):
            return order
        from gsmile_core.batch.fairness import read_groups
        from gsmile_core.errors import GsmileError

        try:
            return [group for groups in read_groups(Path(self._value("audit-groups"))).values() for group in groups]
        except GsmileError:
            return []

    # -- runner messages -----------------------------------------------------------------------
    def on_audit_started(self, message: AuditStarted) -> None:
        self.folder = AuditFolder(message.folder)
        bar = self.query_one("#audit-progress", ProgressBar)
        bar.update(total=message.total, progress=message.earlier)
        verb = "resuming" if message.resumed else "auditing"
        self.query_one("#audit-status", Label).update(f"{verb}: {message.earlier} of {message.total} already done")
        for record in self.folder.records():  # what an earlier run finished
            self._add_row(record["id"], str(record.get("status")), tuple((w, s) for w, s in (record.get("top") or [])[:3]),
                          str(record.get("error") or ""), record.get("template"))

    def on_audit_progressed(self, message: AuditProgressed) -> None:
        state = message.progress
        self.query_one("#audit-progress", ProgressBar).update(total=state.total, progress=state.earlier + state.done + state.failed)
        self.query_one("#audit-status", Label).update(progress_text(state))

    def on_audit_record(self, message: AuditRecord) -> None:
        self._add_row(message.item_id, message.status, message.top, message.error, message.template)

    def _add_row(self, item_id: str, status: str, top, error: str, template: str | None) -> None:
        table = self.query_one(DataTable)
        detail = error if status != "ok" else ", ".join(f"{w} {s:+.3f}" for w, s in top if s is not None)
        if item_id in self.rows:
            table.remove_row(item_id)
        self.rows[item_id] = template
        table.add_row(Text(one_line(item_id, 40)), Text(status, style="red" if status != "ok" else ""),
                      Text(one_line(detail, 120)), key=item_id)

    def on_audit_finished(self, message: AuditFinished) -> None:
        self.summary = message.summary
        ended = "finished" if message.stopped is None else f"stopped: {one_line(message.stopped, 120)}"
        self.query_one("#audit-status", Label).update(f"{ended} · {message.folder}/report.html")
        self.query_one("#audit-aggregate", Static).update(aggregate_text(message.summary))

    def on_audit_failed(self, message: AuditFailed) -> None:
        self.query_one("#audit-error", Label).update(message.message)
        self.query_one("#audit-status", Label).update("idle · ctrl+r starts or resumes")

    def on_run_notice(self, message: RunNotice) -> None:
        if message.level in ("warning", "error"):
            self.query_one("#audit-error", Label).update(one_line(message.message, 200))
