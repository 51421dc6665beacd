"""Themes ship as TOML files in the `themes` package; each defines the heatmap's scale."""

import pytest
from textual.color import Color

from gsmile_core.errors import ConfigError
from gsmile_tui.palette import HeatPalette
from gsmile_tui.themes import load_themes, theme_from_toml


def test_the_shipped_themes_load_with_a_complete_heat_scale():
    themes = {t.name: t for t in load_themes()}
    assert {"gsmile-dark", "gsmile-light", "gsmile-blue-orange"} <= set(themes)
    assert themes["gsmile-light"].dark is False and themes["gsmile-dark"].dark is True
    for theme in themes.values():
        for name in ("heat-positive", "heat-negative", "heat-zero"):
            Color.parse(theme.variables[name])


def test_blue_orange_keeps_the_sign_readable_without_hue():
    """Colour-blind safe: the two ends differ in lightness too, not only in hue (Okabe-Ito)."""
    theme = next(t for t in load_themes() if t.name == "gsmile-blue-orange")
    palette = HeatPalette.from_variables(theme.variables)
    assert abs(palette.positive.brightness - palette.negative.brightness) > 0.25


def test_scale_runs_from_zero_to_each_end():
    palette = HeatPalette(Color.parse("#ff0000"), Color.parse("#0000ff"), Color.parse("#ffffff"))
    assert palette.background(0.0, 2.0) == Color.parse("#ffffff")
    assert palette.background(2.0, 2.0) == Color.parse("#ff0000")
    assert palette.background(-5.0, 2.0) == Color.parse("#0000ff")  # clipped at the largest
    assert palette.background(1.0, 0.0) == Color.parse("#ffffff")  # every score 0


@pytest.mark.parametrize(
    "text, message",
    [
        ("name = 'x'\nprimary = '#123456'\n[variables]\nheat-positive = 'reddish'", "not a colour"),
        ("primary = '#123456'", "needs a 'name'"),
        ("name = [", "not valid TOML"),
    ],
)
def test_a_broken_theme_file_is_one_clear_error(text, message):
    with pytest.raises(ConfigError, match=message):
        theme_from_toml(text, "broken.toml")
