"""The heatmap's legend: the colour scale (from theme variables) and what the sign means."""

from __future__ import annotations

from textual.content import Content
from textual.style import Style
from textual.widget import Widget

from gsmile_core.method.word_support import support_rule

from ..palette import HeatPalette

MEANING = (
    "score = −θ · positive: keeping the word holds the answer near the original answer · "
    "negative: keeping it moves the answer away · underlined italic: not significant"
)
STEPS = 11


class HeatLegend(Widget):
    DEFAULT_CSS = "HeatLegend { height: auto; padding: 0 1; color: $text-muted; }"

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.rule = ""

    def show(self, explanation) -> None:
        """Say which significance rule applies to this run (`gsmile_core.method.word_support`)."""
        self.rule = "" if explanation is None else support_rule(explanation)
        self.tooltip = self.rule or None

    def on_mount(self) -> None:
        self.app.theme_changed_signal.subscribe(self, lambda _theme: self.refresh())

    def render(self) -> Content:
        palette = HeatPalette.from_variables(self.app.theme_variables)
        parts: list = [("− ", Style(bold=True))]
        for step in range(STEPS):
            score = -1 + 2 * step / (STEPS - 1)
            parts.append((" ", Style(background=palette.background(score, 1.0))))
        parts += [(" +", Style(bold=True)), "\n", MEANING]
        return Content.assemble(*parts)
