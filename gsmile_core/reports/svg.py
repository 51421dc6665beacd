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
from .format import clean, esc, number
from .palette import Palette, get_palette, scale_of
from .selection import selected_runs
from .wording import LEGEND, VERDICT, scale_ends, significance_sentence

_SVG_FONT = 16
_CHAR_WIDTH = 0.62 * _SVG_FONT  # monospace advance, generous
_LINE_HEIGHT = 30


def heatmap_svg(
    items: Explanation | Sequence[tuple[str, Explanation]],
    palette: str | Palette | None = None,
    width: int = 900,
) -> str:
    """A standalone SVG of one heatmap, or of several labelled heatmaps on one colour scale.

    Words wrap at `width`; every text node is sanitised and XML-escaped; no scripts, links or
    external references.
    """
    pal = get_palette(palette)
    labelled = [("", items)] if isinstance(items, Explanation) else list(items)
    scale = scale_of(e for _, e in labelled)
    margin = 12
    y = margin
    widest = float(width)  # a word longer than a line widens the picture instead of being cut
    body: list[str] = []
    for label, explanation in labelled:
        if label:
            y += _SVG_FONT
            body.append(f'<text x="{margin}" y="{y}" font-weight="bold">{esc(label)}</text>')
            y += 8
        support = word_support(explanation)
        x = margin
        y += 4
        for feature, score, sup in zip(explanation.features, explanation.attributions, support):
            word = clean(feature.text)
            w = len(word) * _CHAR_WIDTH + 10
            if x > margin and x + w > width - margin:
                x = margin
                y += _LINE_HEIGHT
            bg = pal.background(score, scale)
            fg = pal.foreground(bg)
            title = esc(f"{word} · importance {number(score, signed=True)} · significant: {VERDICT[sup.significant]}")
            body.append(
                f'<g><title>{title}</title><rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{_LINE_HEIGHT - 6}" '
                f'rx="3" fill="{bg}"/><text x="{x + 5:.1f}" y="{y + _LINE_HEIGHT - 12}" fill="{fg}"'
                + (' text-decoration="underline"' if sup.significant is False else "")
                + f">{esc(word)}</text></g>"
            )
            x += w + 6
            widest = max(widest, x + margin)
        y += _LINE_HEIGHT + 6
    width = int(math.ceil(widest))
    rules = list(dict.fromkeys(significance_sentence(e, "Underlined") for _, e in labelled))
    legend, height = _legend(pal, scale, [LEGEND, *rules], y + 6, width, margin)
    body.append(legend)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="DejaVu Sans Mono, monospace" font-size="{_SVG_FONT}">'
        f'<rect width="100%" height="100%" fill="#ffffff"/>{"".join(body)}</svg>\n'
    )


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
