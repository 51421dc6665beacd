"""gSMILE's colour themes, shipped as TOML files next to this module. The folder is
installed as the package `gsmile_tui.bundled_themes` (setuptools package-dir in pyproject.toml).

A package (not a loose folder) so `importlib.resources` finds the files wherever gSMILE is
installed. Each file defines one Textual theme; its `[variables]` table carries the heatmap's
diverging scale (`heat-positive`, `heat-negative`, `heat-zero`), which is the ONLY source of
heatmap colours in the app. The loader lives in `gsmile_tui.themes`.
"""

from importlib.resources import files


def theme_files() -> list:
    """The shipped theme files (Traversables), sorted by name."""
    return sorted((f for f in files(__name__).iterdir() if f.name.endswith(".toml")), key=lambda f: f.name)
