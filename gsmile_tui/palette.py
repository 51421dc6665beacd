"""The heatmap's diverging colour scale, computed from the current theme's variables only.

score 0 → `heat-zero`; positive scores blend towards `heat-positive`, negative towards
`heat-negative`, in proportion to |score| / the largest |score| of the run. The text colour is
picked for contrast against each cell's background.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from textual.color import Color

from .themes import HEAT_DEFAULTS


@dataclass(frozen=True)
class HeatPalette:
    positive: Color
    negative: Color
    zero: Color

    @classmethod
    def from_variables(cls, variables: Mapping[str, str]) -> HeatPalette:
        def pick(name: str) -> Color:
            return Color.parse(variables.get(name) or HEAT_DEFAULTS[name])

        return cls(pick("heat-positive"), pick("heat-negative"), pick("heat-zero"))

    def background(self, score: float, scale: float) -> Color:
        strength = 0.0 if scale <= 0 else min(abs(score) / scale, 1.0)
        return self.zero.blend(self.positive if score >= 0 else self.negative, strength)

    def foreground(self, background: Color) -> Color:
        return Color(255, 255, 255) if background.brightness < 0.55 else Color(0, 0, 0)
