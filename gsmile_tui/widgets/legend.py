"""The heatmap's legend: the colour scale with the scores at its ends and centre (from the run on
screen and the theme's variables), and what the sign means.

The heatmap colours a word by its score over the largest |score| of the run, so the scale's ends
are ∓ that largest |score| and its centre 0; the legend prints those numbers under the colours.
"""

from __future__ import annotations

from textual.content import Content
from textual.style import Style
from textual.widget import Widget

from gsmile_core.method.word_support import support_rule, word_support

from ..palette import HeatPalette

MEANING = (
    "score = −θ · positive: keeping the word holds the answer near the original answer · "
    "negative: keeping it moves the answer away · underlined italic: not significant"
)
STEPS = 11
CELL = 2  # columns per colour step


def scale_of(explanation) -> float:
    """The largest |score| of the run: the score the legend's (and the heatmap's) ends stand for."""
    return max((abs(s.score) for s in word_support(explanation)), default=0.0) if explanation is not None else 0.0


def number(value: float) -> str:
    return f"{value:+.3g}".replace("-", "−")


class HeatLegend(Widget):
    DEFAULT_CSS = "HeatLegend { height: auto; padding: 0 1; color: $text-muted; }"

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.rule = ""
        self.scale: float | None = None  # None: no run on screen

    def show(self, explanation) -> None:
        """The run's scale and significance rule (`gsmile_core.method.word_support`)."""
        self.rule = "" if explanation is None else support_rule(explanation)
        self.scale = None if explanation is None else scale_of(explanation)
        self.tooltip = self.rule or None
        self.refresh(layout=True)

    def on_mount(self) -> None:
        self.app.theme_changed_signal.subscribe(self, lambda _theme: self.refresh())

    def render(self) -> Content:
        palette = HeatPalette.from_variables(self.app.theme_variables)
        parts: list = [("− ", Style(bold=True))]
        for step in range(STEPS):
            score = -1 + 2 * step / (STEPS - 1)
            parts.append((" " * CELL, Style(background=palette.background(score, 1.0))))
        parts += [(" +", Style(bold=True)), "\n"]
        if self.scale is not None:
            parts.append(self._ticks(self.scale))
            parts.append("\n")
        parts.append(MEANING)
        return Content.assemble(*parts)

    @staticmethod
    def _ticks(scale: float) -> str:
        """The scores under the bar's left end, centre and right end."""
        width = STEPS * CELL
        left, right = number(-scale) if scale else "0", number(scale) if scale else "0"
        centre = width // 2 - CELL // 2 + 2  # under the middle cell (after the "− " prefix)
        line = [" "] * (width + 4 + max(len(left), len(right)))
        for position, text in ((0, left), (centre, "0"), (width + 4 - len(right), right)):
            line[position : position + len(text)] = text
        return "".join(line).rstrip()
