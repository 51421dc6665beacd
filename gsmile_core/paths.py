"""Where gSMILE keeps its files, following the XDG base-directory rules in one place.

Every folder has an explicit override (`$GSMILE_*`), then the XDG variable, then the XDG default
under the home folder. The cache, the price table, the sessions and the TUI's settings all ask here,
so a user who moves one of them reads one rule.
"""

from __future__ import annotations

import os
from pathlib import Path

APP_DIR = "gsmile"


def _xdg_home(variable: str, default: tuple[str, ...]) -> Path:
    value = os.environ.get(variable)
    return Path(value).expanduser() if value else Path.home().joinpath(*default)


def _override(variable: str) -> Path | None:
    value = os.environ.get(variable)
    return Path(value).expanduser() if value else None


def config_dir() -> Path:
    """$XDG_CONFIG_HOME/gsmile, else ~/.config/gsmile: settings and the user's price table."""
    return _xdg_home("XDG_CONFIG_HOME", (".config",)) / APP_DIR


def cache_dir() -> Path:
    """$GSMILE_CACHE_DIR, else $XDG_CACHE_HOME/gsmile, else ~/.cache/gsmile: the response cache."""
    return _override("GSMILE_CACHE_DIR") or _xdg_home("XDG_CACHE_HOME", (".cache",)) / APP_DIR


def sessions_dir() -> Path:
    """$GSMILE_SESSIONS_DIR, else $XDG_DATA_HOME/gsmile/sessions, else ~/.local/share/gsmile/sessions."""
    return _override("GSMILE_SESSIONS_DIR") or _xdg_home("XDG_DATA_HOME", (".local", "share")) / APP_DIR / "sessions"


def unsaved_dir() -> Path:
    """`unsaved/` in the cache folder: results a command could not write where it was asked to,
    kept rather than lost (the command says where)."""
    return cache_dir() / "unsaved"


def price_file() -> Path:
    """$GSMILE_PRICES, else the `prices.json` in the config folder: the user's price overrides."""
    return _override("GSMILE_PRICES") or config_dir() / "prices.json"


def settings_file() -> Path:
    """$GSMILE_SETTINGS, else `settings.toml` in the config folder: what the TUI keeps between launches."""
    return _override("GSMILE_SETTINGS") or config_dir() / "settings.toml"
