"""Load gSMILE's themes (the TOML files of the top-level `themes/` folder, installed as
`gsmile_tui.bundled_themes`) as Textual themes.

Heatmap colours come only from each theme's `heat-*` variables; `HEAT_DEFAULTS` exists so a
theme that forgets one still draws (Textual requires every referenced variable to exist).
"""

from __future__ import annotations

import tomllib

from textual.color import Color, ColorParseError
from textual.theme import Theme

from gsmile_core.errors import ConfigError

from . import bundled_themes

HEAT_DEFAULTS = {"heat-positive": "#d62728", "heat-negative": "#1f77b4", "heat-zero": "#808080"}
THEME_FIELDS = (
    "primary", "secondary", "accent", "warning", "error", "success",
    "foreground", "background", "surface", "panel",
)
DEFAULT_THEME = "gsmile-dark"


def theme_from_toml(text: str, source: str) -> Theme:
    """One theme from TOML text; a bad file raises ConfigError naming `source`."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"theme {source}: not valid TOML ({error})") from None
    name = data.get("name")
    if not isinstance(name, str) or not name or "primary" not in data:
        raise ConfigError(f"theme {source}: needs a 'name' and a 'primary' colour")
    variables = {**HEAT_DEFAULTS, **{str(k): str(v) for k, v in data.get("variables", {}).items()}}
    colours = {k: str(data[k]) for k in THEME_FIELDS if k in data}
    for key, value in {**colours, **{k: v for k, v in variables.items() if k.startswith("heat-")}}.items():
        try:
            Color.parse(value)
        except ColorParseError:
            raise ConfigError(f"theme {source}: {key} = {value!r} is not a colour") from None
    return Theme(name=name, dark=bool(data.get("dark", True)), variables=variables, **colours)


def load_themes() -> list[Theme]:
    """Every shipped theme, sorted by file name."""
    return [theme_from_toml(f.read_text(encoding="utf-8"), f.name) for f in bundled_themes.theme_files()]
