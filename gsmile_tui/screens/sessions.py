"""Sessions: list the session files, reopen one (heatmaps and tables come back from the file,
no model is called), or start a new session. A broken or newer-version file is listed with its
one-line reason and cannot be opened; it is never modified."""

from __future__ import annotations

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Label

from gsmile_core.sanitize import one_line
from gsmile_core.session import Session, SessionError, SessionInfo, list_sessions, load_session


class SessionsScreen(Screen):
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back"),
        Binding("enter", "open", "Open", priority=True),
        Binding("n", "new", "New session"),
        Binding("f5", "reload", "Reload list"),
    ]

    def __init__(self) -> None:
        super().__init__(id="sessions")
        self.infos: list[SessionInfo] = []

    def compose(self) -> ComposeResult:
        yield Header(icon="≋")
        yield Label("", id="sessions-where", markup=False)
        yield DataTable(id="sessions-table", cursor_type="row", zebra_stripes=True)
        yield Label("", id="sessions-message", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.title, self.sub_title = "gSMILE", "sessions"
        table = self.query_one(DataTable)
        for name, width in (("name", 28), ("updated", 20), ("runs", 4), ("compares", 8), ("status", 30), ("file", 44)):
            table.add_column(name, width=width, key=name)
        self.action_reload()

    def action_reload(self) -> None:
        current = self.app.session_path
        self.query_one("#sessions-where", Label).update(
            f"folder {self.app.sessions_dir} · current: {current.name if current else 'not saved yet'}"
        )
        self.load_list()

    @work(thread=True, exclusive=True, group="sessions-list")
    def load_list(self) -> None:
        infos = list_sessions(self.app.sessions_dir)
        self.app.call_from_thread(self.show_list, infos)

    def show_list(self, infos: list[SessionInfo]) -> None:
        self.infos = infos
        table = self.query_one(DataTable)
        table.clear()
        for info in infos:
            table.add_row(
                Text(one_line(info.name, 36)),
                Text(info.updated_at or "-"),
                Text(str(info.runs), justify="right"),
                Text(str(info.groups), justify="right"),
                Text("ok" if info.error is None else one_line(info.error, 200), style="" if info.error is None else "red"),
                Text(info.path.name),
            )
        self.message(f"{len(infos)} session files" if infos else "no session files yet: runs are saved here automatically")
        table.focus()

    def message(self, text: str) -> None:
        self.query_one("#sessions-message", Label).update(text)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        info = self.selected
        if info is not None:
            self.message(info.error or f"{info.path} · enter opens it")

    @property
    def selected(self) -> SessionInfo | None:
        table = self.query_one(DataTable)
        if not self.infos or table.cursor_row is None or table.cursor_row >= len(self.infos):
            return None
        return self.infos[table.cursor_row]

    def _busy(self) -> bool:
        if self.app.runner.running:
            self.message("a run is in progress: wait for it (or cancel it) before changing sessions")
            return True
        return False

    def action_open(self) -> None:
        if self._busy():
            return
        info = self.selected
        if info is None:
            return
        try:
            session = load_session(info.path)
        except SessionError as error:
            self.message(str(error))
            self.notify(str(error), severity="error", timeout=10)
            return
        self.app.open_session(session, info.path)
        self.notify(f"opened {session.name}: {len(session.runs)} runs")
        self.app.pop_screen()

    def action_new(self) -> None:
        if self._busy():
            return
        self.app.session, self.app.session_path = Session.new(), None
        self.app.main_screen.start_over()
        self.notify("new session (saved after its first run)")
        self.app.pop_screen()
