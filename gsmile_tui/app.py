"""`gsmile tui` / `gsmile-tui`: the auditor's terminal.

The app is small on purpose: it owns the session (a `gsmile_core.session.Session` value, saved
after every run), the runner, the themes, the settings kept between launches
(`saved_settings`) and the screens; everything else lives in screens, widgets and the core.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from textual.app import App, SystemCommand
from textual.binding import Binding

from gsmile_core import paths
from gsmile_core.backends import BACKENDS, create_backend
from gsmile_core.backends.api_common import API_BACKENDS
from gsmile_core.calls.backend_options import options_for_run
from gsmile_core.evaluation.check_results import CheckResult
from gsmile_core.config import ExplainConfig
from gsmile_core.errors import ConfigError, GsmileError
from gsmile_core.session import Session, SessionError, default_sessions_dir, new_session_path, save_session
from gsmile_core.types import Explanation

from .runner import BackendFactory, Runner
from .saved_settings import SavedSettings, load_settings, save_settings
from .themes import DEFAULT_THEME, HEAT_DEFAULTS, load_themes
from .widgets.settings import BackendChoice

DEFAULT_BACKEND = "local"


class GsmileApp(App):
    CSS_PATH = "app.tcss"
    TITLE = "gSMILE"
    # The footer shows what fits (widgets/footer.py): Compare, Sessions and Credentials give way
    # first on a narrow terminal; every key is in F1 and the command palette.
    BINDINGS = [
        Binding("f1", "help", "Help", priority=True),
        Binding("ctrl+t", "next_theme", "Next theme", show=False, priority=True),
        Binding("ctrl+s", "save", "Save session", show=False, priority=True),
        Binding("f7", "compare", "Compare", priority=True),
        Binding("f8,ctrl+o", "sessions", "Sessions", priority=True),
        Binding("f9", "credentials", "Credentials", priority=True),
        Binding("f10", "export", "Export", priority=True),
        Binding("f11", "models", "Models", show=False, priority=True),
        Binding("ctrl+b", "audit", "Audit a set", show=False, priority=True),
        Binding("ctrl+q", "quit", "Quit", priority=True),
    ]

    def __init__(
        self,
        *,
        prompt: str = "",
        backend: str | None = None,
        config: ExplainConfig | None = None,
        sessions_dir: Path | str | None = None,
        session: Session | None = None,
        session_path: Path | None = None,
        backend_factory: BackendFactory = create_backend,
        theme: str | None = None,
        clock=None,
        settings_path: Path | str | None = None,
    ) -> None:
        """`backend`, `config` and `theme` given here win over the saved settings (None: the
        saved ones, else the defaults); an unknown backend or theme raises ConfigError."""
        super().__init__()
        self.sessions_dir = Path(sessions_dir) if sessions_dir is not None else default_sessions_dir()
        self.session = session or Session.new()
        self.session_path = session_path
        self.runner = Runner(self, backend_factory)
        self.clock = clock  # injectable for frozen snapshots (progress-bar ETA)
        self.session_keys: dict[str, Any] = {}  # provider -> Secret, this session only
        self._cache = None
        self._cache_failed = False
        self.startup_warnings: list[str] = []
        self.settings_path = Path(settings_path) if settings_path is not None else paths.settings_file()
        self.saved, problem = load_settings(self.settings_path)
        if problem:
            self.startup_warnings.append(problem)
        for found in load_themes():
            self.register_theme(found)
        self.theme = self._starting_theme(theme)
        self._initial = (prompt, self._starting_choice(backend), config or self.saved.config)

    def _starting_choice(self, backend: str | None) -> BackendChoice:
        saved = self.saved.choice
        if backend is None:
            return saved or BackendChoice(DEFAULT_BACKEND)
        BACKENDS.require(backend)  # an unknown name is an error, never another backend
        return saved if saved is not None and saved.backend == backend else BackendChoice(backend)

    def _starting_theme(self, theme: str | None) -> str:
        if theme is not None:
            if theme not in self.available_themes:
                raise ConfigError(f"unknown theme {theme!r} (known: {', '.join(self.gsmile_themes)})", field="theme")
            return theme
        if self.saved.theme and self.saved.theme not in self.available_themes:
            self.startup_warnings.append(f"saved theme {self.saved.theme!r} is not installed; using {DEFAULT_THEME}")
            return DEFAULT_THEME
        return self.saved.theme or DEFAULT_THEME

    # -- themes --------------------------------------------------------------------------------
    def get_theme_variable_defaults(self) -> dict[str, str]:
        return {**super().get_theme_variable_defaults(), **HEAT_DEFAULTS}

    @property
    def gsmile_themes(self) -> list[str]:
        return [name for name in self.available_themes if name.startswith("gsmile-")]

    def action_next_theme(self) -> None:
        names = self.gsmile_themes
        index = names.index(self.theme) if self.theme in names else -1
        self.theme = names[(index + 1) % len(names)]
        self.notify(f"theme: {self.theme}", timeout=2)

    def watch_theme(self, theme: str) -> None:
        if self.is_running:  # a theme picked from the palette or ctrl+t is kept for the next launch
            self.remember_settings()

    # -- settings kept between launches ----------------------------------------------------------
    def remember_settings(self, choice: BackendChoice | None = None, config: ExplainConfig | None = None) -> None:
        """Keep the theme and, when given, the backend choice and run settings in the settings
        file (not over a file that could not be read). No key is ever part of them."""
        if self.saved.unreadable:
            return
        updated = SavedSettings(choice or self.saved.choice, config or self.saved.config, self.theme)
        if updated == self.saved:
            return
        try:
            save_settings(updated, self.settings_path)
        except GsmileError as error:
            self.notify(f"settings not kept for the next launch: {error}", severity="warning", timeout=8)
            return
        self.saved = updated

    # -- screens -------------------------------------------------------------------------------
    def on_mount(self) -> None:
        from .screens.main import MainScreen

        prompt, choice, config = self._initial
        self.push_screen(MainScreen(prompt, choice, config))
        for warning in self.startup_warnings:
            self.notify(warning, severity="warning", timeout=12)

    async def action_quit(self) -> None:
        """Quit; while a run or check is going, ask first (quitting discards it)."""
        if not self.runner.running:
            self.exit()
            return
        from .screens.confirm import ConfirmScreen

        def answered(quit_anyway: bool | None) -> None:
            if quit_anyway:
                self.runner.cancel()
                self.exit()

        if not isinstance(self.screen, ConfirmScreen):
            self.push_screen(
                ConfirmScreen("A run is in progress. Quit and discard it? Finished runs are saved already.",
                              "Quit and discard", "Keep running"),
                answered,
            )

    @property
    def main_screen(self):
        from .screens.main import MainScreen

        return next(s for s in self.screen_stack if isinstance(s, MainScreen))

    def binding_owners(self) -> list[tuple[str, type]]:
        from .screens.compare import CompareScreen
        from .screens.credentials import CredentialsScreen
        from .screens.main import MainScreen
        from .screens.audit import AuditScreen
        from .screens.models import ModelsScreen
        from .screens.sessions import SessionsScreen
        from .widgets.answer import AnswerView
        from .widgets.heatmap import TokenHeatmap
        from .widgets.checks import ChecksView
        from .widgets.tables import PerturbationTable

        return [
            ("everywhere", GsmileApp),
            ("main", MainScreen),
            ("heatmap", TokenHeatmap),
            ("answer", AnswerView),
            ("perturbations", PerturbationTable),
            ("checks", ChecksView),
            ("compare", CompareScreen),
            ("sessions", SessionsScreen),
            ("models", ModelsScreen),
            ("audit", AuditScreen),
            ("keys", CredentialsScreen),
        ]

    def get_system_commands(self, screen):
        """The app's screens and actions in the command palette (ctrl+p), for discoverability.
        Textual's "Keys" (its key panel) is renamed, so no two entries are both called keys."""
        for command in super().get_system_commands(screen):
            if command.title == "Keys":
                command = SystemCommand("Key panel", "a side panel with the keys of the focused widget",
                                        command.callback, command.discover)
            yield command
        yield SystemCommand("Open a prompt file", "load a long prompt from a UTF-8 text file (ctrl+l)", self.action_open_prompt)
        yield SystemCommand("Trust checks", "stability, consistency, deletion test of the run on screen (F12)", self.action_checks)
        yield SystemCommand("Compare prompts", "2-3 prompts side by side; fairness template (F7)", self.action_compare)
        yield SystemCommand("Sessions", "list and reopen saved sessions (F8)", self.action_sessions)
        yield SystemCommand("Provider credentials", "each provider's API key: where it comes from; set or delete (F9)", self.action_credentials)
        yield SystemCommand("Export", "session or run as HTML, Markdown, JSON or SVG (F10)", self.action_export)
        yield SystemCommand("Models", "explain a text classifier (VADER, module:function) or a table row; fairness counterfactual (F11)", self.action_models)
        yield SystemCommand("Audit a prompt set", "a prompt file or a fairness set, resumable; progress and aggregate (ctrl+b)", self.action_audit)
        yield SystemCommand("Save session", "write the session file now (ctrl+s)", self.action_save)
        yield SystemCommand("Next gSMILE theme", "dark, light, colour-blind-safe blue-orange (ctrl+t)", self.action_next_theme)
        yield SystemCommand("Keyboard shortcuts", "every key of the app and where it works (F1)", self.action_help)

    def action_help(self) -> None:
        from .screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def _back_to_main(self) -> bool:
        """Close every full screen above the main one; False (and a warning) when a comparison
        is running on one of them, whose results would go to a closed screen."""
        if self.runner.running and self.runner.target in self.screen_stack[2:]:
            self.notify("a comparison is running: wait for it or press escape to cancel", severity="warning")
            return False
        while len(self.screen_stack) > 2:
            self.pop_screen()
        return True

    def _switch_to(self, screen_type: type, factory) -> None:
        """Show a full screen once (pop back to main first, so screens never pile up)."""
        if not isinstance(self.screen, screen_type) and self._back_to_main():
            self.push_screen(factory())

    def action_checks(self) -> None:
        """The main screen's Checks tab (back from any full screen first)."""
        if self._back_to_main():
            self.main_screen.action_tab("tab-checks")

    def action_open_prompt(self) -> None:
        """The prompt-file dialog of the main screen (back from any full screen first)."""
        if self._back_to_main():
            self.main_screen.action_open_prompt()

    def action_compare(self) -> None:
        from .screens.compare import CompareScreen

        self._switch_to(CompareScreen, CompareScreen)

    def action_sessions(self) -> None:
        from .screens.sessions import SessionsScreen

        self._switch_to(SessionsScreen, SessionsScreen)

    def action_credentials(self) -> None:
        from .screens.credentials import CredentialsScreen

        self._switch_to(CredentialsScreen, CredentialsScreen)

    def action_models(self) -> None:
        from .screens.models import ModelsScreen

        self._switch_to(ModelsScreen, ModelsScreen)

    def action_audit(self) -> None:
        from .screens.audit import AuditScreen

        self._switch_to(AuditScreen, AuditScreen)

    def action_export(self) -> None:
        from .screens.export import ExportScreen

        if not isinstance(self.screen, ExportScreen):
            self.push_screen(ExportScreen())

    # -- runs and the session --------------------------------------------------------------------
    def on_worker_state_changed(self, event) -> None:
        if event.worker is self.runner.worker and self.screen_stack:
            self.screen.refresh_bindings()  # escape (cancel) is shown only while a run goes
    @property
    def response_cache(self):
        """The shared response cache (opened on first use); None, said once, if it cannot open."""
        if self._cache is None and not self._cache_failed:
            from gsmile_core.calls.cache import ResponseCache

            try:
                self._cache = ResponseCache()
            except GsmileError as error:
                self._cache_failed = True
                self.notify(f"running without the response cache: {error}", severity="warning", timeout=10)
        return self._cache

    def backend_options(
        self, backend: str, model: str | None, config: ExplainConfig, base_url: str | None = None
    ) -> dict[str, Any]:
        """Options for the backend factory: the model, those that follow from the run's settings
        (the core's `options_for_run`, as the CLI builds them), an API backend's base URL, and a
        this-session-only key when the user entered one (passed as a Secret, never revealed)."""
        options = options_for_run(backend, config, model=model)
        if backend in API_BACKENDS and base_url:
            options["base_url"] = base_url
        if backend in self.session_keys:
            options["api_key"] = self.session_keys[backend]
        return options

    def record_run(self, explanation: Explanation) -> None:
        self.session = self.session.with_run(explanation)
        self.autosave()

    def record_check(self, run_id: str, check: CheckResult) -> None:
        """Keep a finished trust check with its run and auto-save (KeyError: no such run)."""
        self.session = self.session.with_check(run_id, check)
        self.autosave()

    def record_compare(self, explanations: Sequence[Explanation], labels: Sequence[str]) -> None:
        self.session = self.session.with_compare_group(explanations, labels)
        self.autosave()

    def autosave(self) -> bool:
        """Save the session after a run; a failure is shown, the session stays in memory."""
        try:
            if self.session_path is None:
                self.session_path = new_session_path(self.session, self.sessions_dir)
            save_session(self.session, self.session_path)
            return True
        except GsmileError as error:
            self.notify(f"session not saved: {error}", severity="error", timeout=10)
            return False

    def action_save(self) -> None:
        if self.autosave():
            self.notify(f"session saved to {self.session_path}", timeout=8)

    def open_session(self, session: Session, path: Path) -> None:
        self.session, self.session_path = session, path
        self.main_screen.session_opened()


def app_from_args(args: argparse.Namespace) -> GsmileApp:
    session = path = None
    if args.session:
        from gsmile_core.session import load_session

        path = Path(args.session)
        session = load_session(path)  # SessionError: one line, file untouched
    return GsmileApp(  # an unknown --backend or --theme: ConfigError, one line
        prompt=args.prompt,
        backend=args.backend,
        sessions_dir=args.sessions_dir,
        session=session,
        session_path=path,
        theme=args.theme,
    )
