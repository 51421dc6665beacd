"""Open a prompt file: a path typed in a small dialog; enter loads it into the prompt pane.

Whatever is wrong (a missing, binary or non-UTF-8 file, a prompt with too many words) is one
line under the path, and nothing is lost: the typed path stays, the prompt pane keeps its text
until a file is loaded. Reading and checking are `gsmile_tui.prompt_file`'s (the core's file
reader and prompt check).
"""

from __future__ import annotations

from collections.abc import Callable

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label

from gsmile_core.config import ExplainConfig
from gsmile_core.errors import GsmileError
from gsmile_core.sanitize import one_line

from ..prompt_file import LoadedPrompt, load_prompt_file


class PromptFileScreen(ModalScreen[LoadedPrompt | None]):
    BINDINGS = [Binding("escape", "close", "Close")]
    DEFAULT_CSS = """
    PromptFileScreen { align: center middle; }
    PromptFileScreen > Vertical { width: 76; height: auto; border: thick $primary; background: $surface; padding: 0 1; }
    PromptFileScreen #prompt-file-path { margin: 1 0 0 0; }
    PromptFileScreen #prompt-file-error { color: $error; width: 100%; height: auto; }
    """

    def __init__(self, config_now: Callable[[], ExplainConfig], path: str = "") -> None:
        """`config_now` gives the run settings to check the prompt against (its unit, its word
        limit) when enter is pressed."""
        super().__init__()
        self.config_now = config_now
        self.initial_path = path

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("Open a prompt file (UTF-8 text; enter loads it, escape closes)", classes="section")
            yield Input(self.initial_path, placeholder="path, e.g. ~/contract.txt", id="prompt-file-path")
            yield Label("", id="prompt-file-error", markup=False)

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        try:
            loaded = load_prompt_file(event.value, self.config_now())
        except GsmileError as error:
            self.query_one("#prompt-file-error", Label).update(one_line(str(error), 300))
            return
        self.dismiss(loaded)

    def action_close(self) -> None:
        self.dismiss(None)
