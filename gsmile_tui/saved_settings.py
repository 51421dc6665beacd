"""What the TUI keeps between launches: the backend choice, the run settings and the theme, in the
settings file (`gsmile_core.paths.settings_file()`, TOML).

Never a secret: API keys live in the environment, the keyring or this session's memory, and no
key field is stored; the base URL is kept without a query or fragment (where a key could hide;
the core already refuses a user name or password in it). A file that cannot be read is reported
in one line and left as it is (never overwritten in that session); the app starts from the
defaults.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import tomli_w

from gsmile_core.atomic import write_text_atomic
from gsmile_core.backends import BACKENDS
from gsmile_core.config import ExplainConfig
from gsmile_core.errors import ConfigError, GsmileError

from .forms import PARSERS
from .widgets.settings import BackendChoice

FORMAT = 1


@dataclass(frozen=True)
class SavedSettings:
    """The launch state: None/empty = not saved (the defaults apply)."""

    choice: BackendChoice | None = None
    config: ExplainConfig | None = None
    theme: str | None = None
    # the file could not be read: it is left as it is and nothing is saved over it
    unreadable: bool = field(default=False, compare=False)


def base_url_to_keep(url: str) -> str:
    """The base URL as stored: scheme, host and path only."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


def to_toml(settings: SavedSettings) -> str:
    data: dict[str, Any] = {"format": FORMAT}
    if settings.theme:
        data["theme"] = settings.theme
    if settings.choice is not None:
        data["backend"] = {
            "name": settings.choice.backend,
            "model": settings.choice.model,
            "base_url": base_url_to_keep(settings.choice.base_url),
        }
    if settings.config is not None:
        # the form's settings only, None (an empty field) left out: TOML has no null
        data["run"] = {name: value for name in PARSERS if (value := getattr(settings.config, name)) is not None}
    return tomli_w.dumps(data)


def from_toml(text: str) -> SavedSettings:
    """The settings in `text`; ConfigError (one line) when they are not valid."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"not valid TOML ({error})") from None
    if data.get("format", FORMAT) != FORMAT:
        raise ConfigError(f"format {data.get('format')!r} is not one this version reads ({FORMAT})")
    theme = data.get("theme")
    if theme is not None and not isinstance(theme, str):
        raise ConfigError("theme must be a name")
    choice = None
    if (backend := data.get("backend")) is not None:
        if not isinstance(backend, dict) or not all(isinstance(v, str) for v in backend.values()):
            raise ConfigError("[backend] must hold a name, a model and a base_url as text")
        choice = BackendChoice(BACKENDS.require(backend.get("name", "")), backend.get("model", ""), backend.get("base_url", ""))
    config = None
    if (run := data.get("run")) is not None:
        if not isinstance(run, dict):
            raise ConfigError("[run] must be a table of settings")
        known = {f.name for f in fields(ExplainConfig)} & set(PARSERS)
        unknown = sorted(set(run) - known)
        if unknown:
            raise ConfigError(f"[run] has unknown settings: {', '.join(unknown)}")
        try:
            config = ExplainConfig(**run)
        except ConfigError as error:
            raise ConfigError(f"[run] {error.field or 'setting'}: {error}") from None
    return SavedSettings(choice, config, theme)


def load_settings(path: Path) -> tuple[SavedSettings, str | None]:
    """(settings, None), or (empty settings marked unreadable, one line saying why) for a file
    that cannot be used; a missing file is no settings and no problem."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return SavedSettings(), None
    except (OSError, UnicodeDecodeError) as error:
        return SavedSettings(unreadable=True), f"settings file {path} ignored: {getattr(error, 'strerror', None) or error}"
    try:
        return from_toml(text), None
    except ConfigError as error:
        return SavedSettings(unreadable=True), f"settings file {path} ignored (left as it is): {error}"


def save_settings(settings: SavedSettings, path: Path) -> None:
    """Write the settings atomically (GsmileError naming the file when it cannot be written)."""
    write_text_atomic(path, to_toml(settings), GsmileError)
