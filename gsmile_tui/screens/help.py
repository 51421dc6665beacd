"""The help screen: every key binding of the app, read from the classes that declare them, so
the list cannot drift from what the keys actually do."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Label

KEY_NAMES = {"left_square_bracket": "[", "right_square_bracket": "]", "escape": "esc"}


def binding_rows(owners: list[tuple[str, type]]) -> list[tuple[str, str, str]]:
    """(where, keys, what) for every binding with a description."""
    rows = []
    for where, owner in owners:
        for binding in getattr(owner, "BINDINGS", []):
            if not isinstance(binding, Binding) or not binding.description:
                continue
            keys = ", ".join(KEY_NAMES.get(k.strip(), k.strip()) for k in binding.key.split(","))
            rows.append((where, keys, binding.tooltip or binding.description))
    return rows


class HelpScreen(ModalScreen):
    BINDINGS = [Binding("escape,q,f1", "dismiss", "Close help")]
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > Vertical { width: 90%; height: 90%; border: thick $primary; background: $surface; padding: 0 1; }
    HelpScreen DataTable { height: 1fr; }
    """

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("Keyboard shortcuts · escape closes · ctrl+p: command palette", classes="section")
            yield DataTable(id="help-table", cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("where", "keys", "what")
        for row in binding_rows(self.app.binding_owners()):
            table.add_row(*(Text(cell) for cell in row))
        table.focus()
