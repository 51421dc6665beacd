"""A prompt read from a file for the prompt pane: the core's file reader, then its prompt check.

Long prompts (a contract, a retrieved document) are not typed: they are loaded. The bytes are read
by the core's one reader of a user's text file (`gsmile_core.text_files`, as `gsmile explain
--prompt-file` reads them), which refuses a missing file, a folder, a binary file and text that is
not UTF-8 with one line each; the text must then pass the core's own check (`prepare_prompt`:
empty, too many words, a `[[` never closed), so a file the run would refuse is refused here,
before it replaces the prompt.
A file larger than `MAX_FILE_BYTES` is refused before it is read (memory bounded): at the core's
word limit no prompt comes near it. The text shown is stripped of terminal escapes (it is
untrusted; the core strips them before sending too).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from gsmile_core.config import ExplainConfig
from gsmile_core.errors import ConfigError
from gsmile_core.pipeline import prepare_prompt
from gsmile_core.sanitize import strip_unsafe
from gsmile_core.text_files import read_user_text

MAX_FILE_BYTES = 8 * 1024 * 1024


@dataclass(frozen=True)
class LoadedPrompt:
    """A prompt file's text (escapes stripped), how many units it has and at which level."""

    path: Path
    text: str
    units: int
    level: str


def load_prompt_file(typed: str, config: ExplainConfig) -> LoadedPrompt:
    """The prompt in the file at `typed` (a path, `~` allowed), checked against `config`'s unit
    and word limit; ConfigError with one line otherwise."""
    if not typed.strip():
        raise ConfigError("type the path of a prompt file")
    path = Path(typed.strip()).expanduser()
    try:
        size = path.stat().st_size if path.is_file() else 0
    except OSError:
        size = 0  # the reader says what is wrong with it
    if size > MAX_FILE_BYTES:
        raise ConfigError(f"prompt file {path} has {size:,} bytes; at most {MAX_FILE_BYTES:,} are read")
    text = read_user_text(path, "prompt file")
    _, units = prepare_prompt(text, config)
    return LoadedPrompt(path, strip_unsafe(text), len(units), units[0].level if units else "word")
