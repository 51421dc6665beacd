"""The SVG heatmap: a standalone picture of one or several labelled heatmaps on one colour scale.

Words wrap at the picture's width; every text node is sanitised and XML-escaped (`format.esc`,
`format.clean`); no scripts, links or external references.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Sequence

from ..method.word_support import word_support
from ..session import Session
from ..types import Explanation
from .format import clean, esc, number, p_value
from .palette import Palette, get_palette, scale_of
from .selection import selected_runs
from .summary import UNIT_VERDICT
from .units import capitalised, counted, drill_down_of, interaction_rows, plural, unit_level
from .wording import LEGEND, VERDICT, legend_for, scale_ends, significance_sentence

_SVG_FONT = 16
_CHAR_WIDTH = 0.62 * _SVG_FONT  # monospace advance, generous
_LINE_HEIGHT = 30


def heatmap_svg(
    items: Explanation | Sequence[tuple[str, Explanation]],
    palette: str | Palette | None = None,
    width: int = 900,
) -> str:
    """A standalone SVG of one heatmap, or of several labelled heatmaps on one colour scale.

    Each heatmap is labelled with its units (words, sentences...); a drill-down adds, under its
    heatmap, each explained unit with the words inside it (on the drill-down's own scale); the
    strongest interactions and the legend follow, wrapped to the width. Words wrap at `width`; a
    word longer than a line widens the picture instead of being cut.
    """
    pal = get_palette(palette)
    labelled = [("", items)] if isinstance(items, Explanation) else list(items)
    scale = scale_of(e for _, e in labelled)
    canvas = _Canvas(width, pal)
    notes: list[str] = []
    for label, explanation in labelled:
        level = unit_level(explanation)
        canvas.label(f"{label} — " if label else "", f"{len(explanation.features)} {plural(level)}, by importance")
        units = zip(explanation.features, explanation.attributions, word_support(explanation))
        canvas.boxes(((f.text, score, sup) for f, score, sup in units), scale)
        drill = drill_down_of(explanation)
        if drill is not None:
            for unit in drill.units:
                canvas.label("", f"{capitalised(drill.level)} {unit.feature.index + 1} "
                                 f"({number(unit.score, 3, signed=True)}, {UNIT_VERDICT[unit.support.significant]}): its words")
                canvas.boxes(((w.text, score, sup) for w, score, sup in unit.words), drill.scale)
            low, high = scale_ends(drill.scale)
            notes.append(f"Drill-down of {counted(len(drill.units), drill.level)}: words on their own scale {low} … {high}.")
        for r in interaction_rows(explanation)[:3]:
            notes.append(f"Interaction: “{clean(r.first)}” × “{clean(r.second)}”: {r.kind}, γ = {number(r.coefficient, 3, signed=True)}, "
                         f"p (Holm) = {p_value(r.p_adjusted)}{' < α' if r.significant else ''}.")
    rules = list(dict.fromkeys(significance_sentence(e, "Underlined") for _, e in labelled))
    legend = [legend_for(unit_level(labelled[0][1])) if len(labelled) == 1 else LEGEND, *rules, *notes]
    width = int(math.ceil(canvas.widest))
    body, height = _legend(pal, scale, legend, canvas.y + 6, width, _MARGIN)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="DejaVu Sans Mono, monospace" font-size="{_SVG_FONT}">'
        f'<rect width="100%" height="100%" fill="#ffffff"/>{"".join(canvas.body)}{body}</svg>\n'
    )


_MARGIN = 12


class _Canvas:
    """Where the next label or row of coloured boxes goes."""

    def __init__(self, width: int, pal: Palette) -> None:
        self.width, self.pal = width, pal
        self.y = _MARGIN
        self.widest = float(width)
        self.body: list[str] = []

    def label(self, bold: str, text: str) -> None:
        """A line of text; bold when it starts with a run's label (`bold`)."""
        self.y += _SVG_FONT
        weight = ' font-weight="bold"' if bold else ""
        self.body.append(f'<text x="{_MARGIN}" y="{self.y}" font-size="13"{weight}>{esc(bold + text)}</text>')
        self.widest = max(self.widest, _MARGIN * 2 + (len(clean(bold)) + len(clean(text))) * 0.62 * 13)
        self.y += 8

    def boxes(self, units, scale: float) -> None:
        x = _MARGIN
        self.y += 4
        for text, score, sup in units:
            word = clean(text)
            w = len(word) * _CHAR_WIDTH + 10
            if x > _MARGIN and x + w > self.width - _MARGIN:
                x = _MARGIN
                self.y += _LINE_HEIGHT
            bg = self.pal.background(score, scale)
            fg = self.pal.foreground(bg)
            title = esc(f"{word} · importance {number(score, signed=True)} · significant: {VERDICT[sup.significant]}")
            self.body.append(
                f'<g><title>{title}</title><rect x="{x:.1f}" y="{self.y}" width="{w:.1f}" height="{_LINE_HEIGHT - 6}" '
                f'rx="3" fill="{bg}"/><text x="{x + 5:.1f}" y="{self.y + _LINE_HEIGHT - 12}" fill="{fg}"'
                + (' text-decoration="underline"' if sup.significant is False else "")
                + f">{esc(word)}</text></g>"
            )
            x += w + 6
            self.widest = max(self.widest, x + _MARGIN)
        self.y += _LINE_HEIGHT + 6


def session_svg(session: Session, palette: str | Palette | None = None, run_ids: Sequence[str] | None = None) -> str:
    runs = selected_runs(session, run_ids)
    return heatmap_svg([(f"{r.id}: {r.label}", r.explanation) for r in runs], palette)


_LEGEND_FONT = 12
_LEGEND_LINE = 16


def _legend(pal: Palette, scale: float, sentences: Sequence[str], y: float, width: int, margin: int) -> tuple[str, int]:
    """The colour scale (the gradient with its end values and 0) and the legend's sentences
    wrapped to the picture's width, never cut; returns the SVG and the picture's height."""
    low, high = scale_ends(scale)
    bar_x, bar_w = round(margin + len(low) * 0.62 * _LEGEND_FONT + 8), 220
    parts = [
        '<defs><linearGradient id="gsmile-scale" x1="0" x2="1" y1="0" y2="0">'
        f'<stop offset="0" stop-color="{pal.negative}"/><stop offset="0.5" stop-color="{pal.neutral}"/>'
        f'<stop offset="1" stop-color="{pal.positive}"/></linearGradient></defs>',
        f'<text x="{margin}" y="{y + 12}" font-size="{_LEGEND_FONT}">{low}</text>',
        f'<rect x="{bar_x}" y="{y}" width="{bar_w}" height="14" fill="url(#gsmile-scale)" stroke="#999"/>',
        f'<text x="{bar_x + bar_w / 2:.1f}" y="{y + 11}" font-size="10" text-anchor="middle">0</text>',
        f'<text x="{bar_x + bar_w + 8}" y="{y + 12}" font-size="{_LEGEND_FONT}">{high}</text>',
    ]
    columns = max(20, int((width - 2 * margin) / (0.62 * _LEGEND_FONT)))
    line_y = y + 14
    for sentence in sentences:
        for line in textwrap.wrap(clean(sentence), columns):
            line_y += _LEGEND_LINE
            parts.append(f'<text x="{margin}" y="{line_y}" font-size="{_LEGEND_FONT}">{esc(line)}</text>')
    return "".join(parts), int(line_y + margin)
