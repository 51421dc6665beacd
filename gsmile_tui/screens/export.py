"""Export the session or the run on screen as HTML, Markdown, JSON or an SVG heatmap.

Rendering and the atomic write are `gsmile_core.reports.render.export`, run in a worker thread. The
report uses the current theme's heatmap colours on a white page. A file name whose extension is
another format's (JSON into `x.svg`) is questioned first: enter again writes it anyway.
"""

from __future__ import annotations

import re
from pathlib import Path

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Select

from gsmile_core.errors import GsmileError
from gsmile_core.reports.palette import Palette
from gsmile_core.reports.render import export

EXTENSIONS = {"html": "html", "markdown": "md", "json": "json", "svg": "svg"}
FORMAT_OF_EXTENSION = {"html": "html", "htm": "html", "md": "markdown", "markdown": "markdown", "json": "json", "svg": "svg"}
FORMAT_NAMES = {"html": "HTML", "markdown": "Markdown", "json": "JSON", "svg": "SVG"}


def extension_mismatch(path: Path, fmt: str) -> str | None:
    """A warning when `path`'s extension belongs to another format than `fmt`, else None."""
    other = FORMAT_OF_EXTENSION.get(path.suffix.lower().lstrip("."))
    if other is None or other == fmt:
        return None
    return (f"{path.name} ends in {path.suffix} ({FORMAT_NAMES[other]}) but the format is {FORMAT_NAMES[fmt]}: "
            "press enter again to write it anyway, or change the name or the format")


def theme_palette(app) -> Palette:
    variables = app.theme_variables
    return Palette(app.theme, negative=variables["heat-negative"], positive=variables["heat-positive"])


def default_path(app, scope: str, fmt: str) -> str:
    stem = app.session_path.stem if app.session_path else re.sub(r"[^a-z0-9]+", "-", app.session.name.lower()).strip("-")
    if scope == "run":
        run_id = app.main_screen.shown_run_id or "run"
        stem = f"{stem}-{run_id}"
    return str(Path.cwd() / f"{stem or 'gsmile'}.{EXTENSIONS[fmt]}")


class ExportScreen(ModalScreen[Path | None]):
    BINDINGS = [Binding("escape", "dismiss_none", "Close")]
    DEFAULT_CSS = """
    ExportScreen { align: center middle; }
    ExportScreen > Vertical { width: 76; height: auto; border: thick $primary; background: $surface; padding: 0 1; }
    ExportScreen .row { height: 1; margin-bottom: 1; }
    ExportScreen .row > Label { width: 10; }
    ExportScreen .row > Select, ExportScreen .row > Input { width: 1fr; }
    ExportScreen #export-message { height: auto; width: 1fr; }
    """

    def __init__(self) -> None:
        super().__init__()
        self.questioned: tuple[Path, str] | None = None  # a mismatch already shown once

    def compose(self) -> ComposeResult:
        has_run = self.app.main_screen.shown_run_id is not None
        with Vertical():
            yield Label("Export (enter writes the file, escape closes)", classes="section")
            with Horizontal(classes="row"):
                yield Label("what")
                yield Select(
                    [("the whole session", "session")] + ([("the run on screen", "run")] if has_run else []),
                    value="session", allow_blank=False, compact=True, id="export-scope",
                )
            with Horizontal(classes="row"):
                yield Label("format")
                yield Select(
                    [("HTML report", "html"), ("Markdown", "markdown"), ("JSON", "json"), ("SVG heatmap", "svg")],
                    value="html", allow_blank=False, compact=True, id="export-format",
                )
            with Horizontal(classes="row"):
                yield Label("file")
                yield Input(default_path(self.app, "session", "html"), compact=True, id="export-path")
            yield Label("", id="export-message", markup=False)

    def on_mount(self) -> None:
        self.query_one("#export-path", Input).focus()

    def on_select_changed(self, event: Select.Changed) -> None:
        scope = str(self.query_one("#export-scope", Select).value)
        fmt = str(self.query_one("#export-format", Select).value)
        self.query_one("#export-path", Input).value = default_path(self.app, scope, fmt)

    def action_dismiss_none(self) -> None:
        self.dismiss(None)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        scope = str(self.query_one("#export-scope", Select).value)
        fmt = str(self.query_one("#export-format", Select).value)
        path = Path(event.value.strip()).expanduser()
        if not event.value.strip():
            self.query_one("#export-message", Label).update("give a file name")
            return
        session = self.app.session
        run_ids = [self.app.main_screen.shown_run_id] if scope == "run" else None
        if not session.runs:
            self.query_one("#export-message", Label).update("nothing to export yet: the session has no runs")
            return
        warning = extension_mismatch(path, fmt)
        if warning is not None and self.questioned != (path, fmt):
            self.questioned = (path, fmt)
            self.query_one("#export-message", Label).update(warning)
            return
        self.query_one("#export-message", Label).update("writing…")
        self.write(session, fmt, path, theme_palette(self.app), run_ids)

    @work(thread=True, exclusive=True, group="export")
    def write(self, session, fmt: str, path: Path, palette: Palette, run_ids) -> None:
        try:
            written = export(session, fmt, path, palette, run_ids)
        except (GsmileError, ValueError, KeyError) as error:
            self.app.call_from_thread(self.query_one("#export-message", Label).update, f"not written: {error}")
            return
        self.app.call_from_thread(self.finish, written)

    def finish(self, written: Path) -> None:
        self.app.notify(f"exported {written}", timeout=6)
        self.dismiss(written)
