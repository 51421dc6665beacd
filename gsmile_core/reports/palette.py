"""Heatmap colours: a named diverging `Palette` and the colour scale of one or more explanations.

The default palette is colour-blind safe (blue–orange); a front end passes its theme's palette
(`get_palette` accepts a name or a `Palette`). Text on a coloured word is dark or light, whichever
contrasts more (WCAG ratio), so every word stays readable at any strength.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass

from ..types import Explanation


def _rgb(hex_colour: str) -> tuple[int, int, int]:
    value = hex_colour.lstrip("#")
    if not re.fullmatch(r"[0-9a-fA-F]{6}", value):
        raise ValueError(f"not a #rrggbb colour: {hex_colour!r}")
    return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)


def _luminance(rgb: tuple[int, int, int]) -> float:
    def channel(c: int) -> float:
        c = c / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


@dataclass(frozen=True)
class Palette:
    """A diverging heatmap scale: `neutral` at importance 0, `positive`/`negative` at ±max."""

    name: str
    negative: str
    positive: str
    neutral: str = "#ffffff"
    dark_text: str = "#000000"
    light_text: str = "#ffffff"

    def __post_init__(self) -> None:
        for colour in (self.negative, self.positive, self.neutral, self.dark_text, self.light_text):
            _rgb(colour)

    def background(self, score: float, scale: float) -> str:
        """The colour of a word with importance `score` when the largest |importance| is `scale`."""
        strength = 0.0 if scale <= 0 or not math.isfinite(score) else min(abs(score) / scale, 1.0)
        start = _rgb(self.neutral)
        end = _rgb(self.positive if score >= 0 else self.negative)
        r, g, b = (round(s + (e - s) * strength) for s, e in zip(start, end))
        return f"#{r:02x}{g:02x}{b:02x}"

    def foreground(self, background: str) -> str:
        """Dark or light text, whichever contrasts more with `background` (WCAG ratio)."""
        bg = _luminance(_rgb(background))
        contrasts = []
        for text in (self.dark_text, self.light_text):
            fg = _luminance(_rgb(text))
            hi, lo = max(bg, fg), min(bg, fg)
            contrasts.append((hi + 0.05) / (lo + 0.05))
        return self.dark_text if contrasts[0] >= contrasts[1] else self.light_text


PALETTES: dict[str, Palette] = {
    # Colour-blind safe (deuteranopia/protanopia/tritanopia distinguish blue from orange).
    "blue-orange": Palette("blue-orange", negative="#2166ac", positive="#e66101"),
    "red-blue": Palette("red-blue", negative="#1f77b4", positive="#d62728"),
    "purple-green": Palette("purple-green", negative="#762a83", positive="#1b7837"),
}
DEFAULT_PALETTE = "blue-orange"


def get_palette(palette: str | Palette | None = None) -> Palette:
    """A palette by name (see `PALETTES`) or the given `Palette`; None gives the default."""
    if palette is None:
        return PALETTES[DEFAULT_PALETTE]
    if isinstance(palette, Palette):
        return palette
    try:
        return PALETTES[palette]
    except KeyError:
        raise ValueError(f"unknown palette {palette!r}; choose one of: {', '.join(PALETTES)}") from None


def scale_of(explanations: Iterable[Explanation]) -> float:
    """The largest |importance| across explanations: one colour scale for a side-by-side view."""
    return max((abs(a) for e in explanations for a in e.attributions if math.isfinite(a)), default=0.0)
